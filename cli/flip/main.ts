// `npm run flip -- <command> --stack <s> ...`: the thin client of the rollout engine. `set` edits the
// desired split in Pulumi.<stack>.yaml (the config flip stays the interface; `pulumi up` starts the
// rollout); `status`, `history`, `pause`, `resume`, `promote [--full]` and `abort` read and control
// rollouts through Consul from any machine that reaches it; `rollback` invokes the engine's function
// to move services back at once (rollback.ts). The engine (Step Functions + Lambda, in the stack)
// runs every rollout; this client never writes a splitter, except `rollback --break-glass`, which
// runs the engine's own code with an operator's token. Exit codes: clientErrors.ts.
import * as os from "os";
import * as path from "path";
import { dashboardName, dashboardUrl } from "../../src/metrics/names";
import { PROJECT } from "../../src/offline/stackFile";
import { COMMAND_KINDS } from "../../src/rollout/contract";
import { ControlKind, controlKind, FlipArgs, parseFlipArgs, USAGE } from "./args";
import { Applier, automationApplier } from "./apply";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { classify, Clock, Detached, FlipInputError } from "./clientErrors";
import { confirmChange, Prompter, terminalPrompter } from "./confirm";
import { consulOptionsFrom, Environment } from "./consulOptions";
import { findService, loadStackContext, optionalStackContext, StackContext } from "./context";
import { runControl } from "./control";
import { consulRolloutStore, RolloutStore, watchedStore } from "./rolloutStore";
import { nextSteps, PlanFn, runSetDryRun, runSetEdit } from "./set";
import { watchSignals } from "./signals";
import { detachedMessage, runHistory, runStatus } from "./statusCommand";

interface Output {
    write(text: string): unknown;
    readonly isTTY?: boolean;
}

/** What the flip talks to; every field but out and env has a real default, and tests replace some. */
export interface FlipEnvironment {
    readonly out: Output;
    readonly env: Environment;
    /** Real time and signals by default; tests pass a virtual clock. */
    readonly clock?: Clock;
    /** The signal that detached the client (for its exit code and message). */
    readonly detachedBy?: () => string | undefined;
    /** Aborted when the client detaches (cancels a `set --up`'s pulumi run). */
    readonly abort?: AbortSignal;
    readonly prompter?: Prompter;
    readonly applier?: Applier;
    readonly planOffline?: PlanFn;
    /** How long an edit waits for another flip's lock on the stack file (default 15 s). */
    readonly lockWaitMs?: number;
    readonly store?: (options: NonNullable<ReturnType<typeof consulOptionsFrom>>) => RolloutStore;
    /** `user@host`, recorded with every command. */
    readonly user?: string;
    /** How long rollback waits for one invocation of the engine's function (tests shorten it). */
    readonly invokeTimeoutMs?: number;
}

const PROJECT_DIR = path.join(__dirname, "..", "..");
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export async function flip(argv: readonly string[], environment: FlipEnvironment): Promise<number> {
    const write = (text: string) => environment.out.write(`${text}\n`);
    const args = parseFlipArgs(argv, PROJECT_DIR);
    if (args === "help") {
        write(USAGE);
        return EXIT_CODES.OK;
    }
    const clock = environment.clock ?? realClock();
    const prompter = environment.prompter ?? terminalPrompter();
    const command = `npm run flip -- ${argv.join(" ")}`;
    if (args.command === "set") {
        return runSet(args, loadStackContext(args.stack, args.dir), environment, prompter, command, write);
    }
    if (args.command === "rollback") {
        // Loaded only for a rollback: it may load the AWS SDK, which no other command needs.
        const { runRollback } = await import("./rollback");
        try {
            return await runRollback(args, loadStackContext(args.stack, args.dir), { ...environment, clock, prompter, user: environment.user ?? whoAmI() }, command, write);
        } catch (err) {
            if (!(err instanceof Detached)) {
                throw err;
            }
            const signal = environment.detachedBy?.() ?? "a signal";
            write(`detached on ${signal}: ${err.what}`);
            return EXIT_CODES.SIGNAL_BASE + (SIGNAL_NUMBERS[signal] ?? 0);
        }
    }
    const context = optionalStackContext(args.stack, args.dir);
    for (const name of args.services) {
        if (context) {
            findService(context, name);
        }
    }
    const options = consulOptionsFrom(args.consulAddress, environment.env, context?.config);
    if (!options) {
        throw new FlipInputError(`Consul's address is unknown; pass --consul-address or set CONSUL_HTTP_ADDR${context ? " (or bluegreen:consul.apiAddress)" : ""}`);
    }
    // Every Consul call ends at once on a signal, even one that hangs.
    const store = watchedStore((environment.store ?? consulRolloutStore)(options), environment.abort, args.command === "status" && args.watch ? "stopped watching" : undefined);
    try {
        return await runConsulCommand(args, context, store, clock, environment, prompter, write);
    } catch (err) {
        if (!(err instanceof Detached)) {
            throw err;
        }
        const signal = environment.detachedBy?.() ?? "a signal";
        write(detachedMessage(store.lastStates(), args.stack, signal, err.what, clock.now()));
        return EXIT_CODES.SIGNAL_BASE + (SIGNAL_NUMBERS[signal] ?? 0);
    }
}

async function runConsulCommand(
    args: FlipArgs,
    context: StackContext | undefined,
    store: RolloutStore,
    clock: Clock,
    environment: FlipEnvironment,
    prompter: Prompter,
    write: (text: string) => void,
): Promise<number> {
    if (args.command === "history") {
        return runHistory(store, args.stack, args.services, args.json, write);
    }
    if (args.command === "status") {
        const stackServices = context?.config.services.map((s) => s.name) ?? [];
        const stackFile = context ? Object.fromEntries(context.config.services.map((s) => [s.name, s.traffic])) : undefined;
        const dashboard = context ? dashboardUrl(context.config.region, dashboardName(PROJECT, args.stack)) : undefined;
        return runStatus(store, { ...args, rolloutId: args.rollout, stackServices, stackFile, dashboardUrl: dashboard }, clock, write);
    }
    const kind: ControlKind = controlKind(args);
    if (!(COMMAND_KINDS as readonly string[]).includes(kind)) {
        throw new FlipInputError(`unknown command ${kind}`);
    }
    // Confirmation goes by the rollout's own stack, read from Consul (ownStack.ts refuses another's).
    const confirm = (rolloutStack: string, state: { rolloutId: string }) => confirmChange(rolloutStack, `${kind} rollout ${state.rolloutId} of ${rolloutStack}`, args.yes, prompter);
    return runControl(store, { kind, stack: args.stack, services: args.services, rolloutId: args.rollout, issuedBy: environment.user ?? whoAmI(), reason: args.reason, pollMs: args.pollMs, confirm }, clock, write);
}

async function runSet(args: FlipArgs, context: StackContext, environment: FlipEnvironment, prompter: Prompter, command: string, write: (text: string) => void): Promise<number> {
    const request = { context, services: args.services.map((name) => findService(context, name)), to: args.to!, command };
    if (args.dryRun) {
        await runSetDryRun(request, environment.planOffline ?? planOffline, write);
        return EXIT_CODES.OK;
    }
    await confirmChange(args.stack, `change the desired traffic of ${args.services.join(", ")} in ${args.stack}${args.up ? " and run pulumi up" : ""}`, args.yes, prompter);
    const changed = await runSetEdit(request, write, { onWait: write, waitMs: environment.lockWaitMs });
    if (changed && args.up) {
        write(`Running pulumi up for ${args.stack}; the rollout starts in the engine and goes on if this client stops.`);
        try {
            await (environment.applier ?? automationApplier()).apply({
                stack: args.stack,
                services: args.services,
                workDir: context.dir,
                onOutput: (text) => environment.out.write(text),
                signal: environment.abort,
            });
        } catch (err) {
            if (environment.abort?.aborted) {
                const signal = environment.detachedBy?.() ?? "a signal";
                write(`detached on ${signal}: pulumi up was cancelled cleanly; a rollout it had started goes on in the engine.\n${nextSteps(args.stack, true)}`);
                return EXIT_CODES.SIGNAL_BASE + (SIGNAL_NUMBERS[signal] ?? 0);
            }
            throw err;
        }
    }
    if (changed) {
        write(nextSteps(args.stack, args.up));
    }
    return EXIT_CODES.OK;
}

/**
 * The dry run's plan, by the offline runtime. Loaded when a dry run starts: the runtime loads the
 * Pulumi SDK and the program, about a second that no other command needs (docs/performance.md).
 */
const planOffline: PlanFn = async (stack, config) => {
    const { planStack } = await import("../../src/offline/runtime");
    return planStack({ stack, config });
};

function whoAmI(): string {
    let user = "unknown";
    try {
        user = os.userInfo().username;
    } catch {
        // no passwd entry (a container): keep "unknown"
    }
    return `${user}@${os.hostname()}`;
}

function realClock(): Clock {
    return { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), detached: () => false };
}

/** The entry point: signals detach (never stop a rollout), errors print as one line with their exit code. */
async function flipMain(argv: readonly string[]): Promise<number> {
    const signals = watchSignals();
    try {
        return await flip(argv, { out: process.stdout, env: process.env, clock: signals.clock, detachedBy: signals.received, abort: signals.abort });
    } catch (err) {
        const { code, line } = classify(err);
        process.stderr.write(`${line}\n`);
        return code;
    } finally {
        signals.stop();
    }
}

if (require.main === module) {
    flipMain(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}
