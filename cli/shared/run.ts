// Runs a command-line entry point: known failures print their message alone (no stack trace) and
// set the exit code; anything unexpected prints in full.
import { StackConfigError } from "../../src/config";
import { UsageError } from "../../src/offline/errors";
import { EXIT_CODES } from "../../src/shared/exitCodes";


/** A failure the user can act on from its message alone: printed without a stack trace, exit 1. */
export class KnownFailure extends Error {}

export function runMain(command: () => Promise<number>): void {
    command().then(
        (code) => {
            process.exitCode = code;
        },
        (err: unknown) => {
            process.exitCode = reportError(err, (text) => process.stderr.write(`${text}\n`));
        },
    );
}

/** Prints an error the way a user should see it and returns the exit code for it. */
export function reportError(err: unknown, write: (text: string) => void): number {
    if (err instanceof StackConfigError || (err instanceof Error && err.name === "StackConfigError")) {
        write(err.message);
        return EXIT_CODES.FAILED;
    }
    if (err instanceof KnownFailure) {
        write(`error: ${err.message}`);
        return EXIT_CODES.FAILED;
    }
    if (err instanceof UsageError || (err instanceof Error && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
        write(`error: ${err.message}`);
        return EXIT_CODES.INVALID_INPUT;
    }
    write(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return EXIT_CODES.FAILED;
}
