// Before the client changes a production stack (its stack file, or its running rollout) it asks on
// the terminal; `--yes` answers for it. Without a terminal (CI, a pipe) and without `--yes` it
// refuses, so that an unattended job never changes production by accident.
import * as readline from "readline";
import { isProductionStack } from "../../src/shared/stacks";
import { FlipInputError } from "./clientErrors";

export interface Prompter {
    /** False when no one can answer (stdin or stdout is not a terminal). */
    readonly interactive: boolean;
    ask(question: string): Promise<string>;
}

export function terminalPrompter(): Prompter {
    return {
        interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
        ask: (question) =>
            new Promise((resolve) => {
                const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
                rl.question(question, (answer) => {
                    rl.close();
                    resolve(answer);
                });
            }),
    };
}

/** Resolves when the change may go ahead; throws FlipInputError (exit 2) otherwise. */
export async function confirmChange(stack: string, action: string, yes: boolean, prompter: Prompter): Promise<void> {
    if (yes || !isProductionStack(stack)) {
        return;
    }
    if (!prompter.interactive) {
        throw new FlipInputError(`${stack} is a production stack: pass --yes to ${action} without a terminal to confirm on`);
    }
    const answer = (await prompter.ask(`${stack} is a production stack. ${action}? Type the stack name to confirm: `)).trim();
    if (answer !== stack) {
        throw new FlipInputError(`not confirmed (typed ${JSON.stringify(answer)}, not ${JSON.stringify(stack)}); nothing was changed`);
    }
}
