// The flip client's failure kinds and exit codes (src/rollout/contract.ts EXIT_CODES, plus 128+n
// for a signal), and the clock it waits on, so that tests run its waits on virtual time.
import { StackConfigError } from "../../src/config";
import { ConsulHttpError } from "../../src/consul/httpClient";
import { UsageError } from "../../src/offline/errors";
import { FLIP_EXIT } from "../shared/exitCodes";
import { KnownFailure } from "../shared/run";

/**
 * Exit codes of `npm run flip`:
 * - 0 done: healthy, or the command was applied.
 * - 1 degraded: a gate failed and the platform rolled back, an abort, an engine failure, or a live
 *   split that differs from what the rollout says.
 * - 2 invalid input: arguments, stack config, no rollout to control, a pending command, a refused
 *   command, a locked or read-only stack file, no confirmation for a production stack.
 * - 3 internal: Consul unreachable or answering errors, an unreadable state, a bug.
 * - 4 not done: still progressing or paused when `status` returned (no --watch, or --timeout).
 * - 128+n detached on signal n (130 INT, 143 TERM, 129 HUP): the client stopped waiting; the
 *   rollout goes on in the engine, unchanged by the signal.
 */
export { FLIP_EXIT };

/** Invalid input the user can fix from the message alone (exit 2). */
export class FlipInputError extends KnownFailure {}

/**
 * What Consul holds is not something this client can read: a state of a newer schema, a document
 * that is not a rollout state, bytes that are not JSON (exit 3, one line naming the key and why).
 */
export class UnreadableState extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UnreadableState";
    }
}

/** The client was told to stop waiting (a signal); the rollout goes on without it. */
export class Detached extends Error {
    constructor(readonly what: string) {
        super(what);
        this.name = "Detached";
    }
}

export interface Clock {
    now(): number;
    /** Waits `ms`, or less once the client is detached. */
    sleep(ms: number): Promise<void>;
    /** True once a signal asked the client to detach. */
    detached(): boolean;
}

/** The exit code and the one line to print for an error. */
export function classify(err: unknown): { code: number; line: string } {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof StackConfigError || (err instanceof Error && err.name === "StackConfigError")) {
        return { code: FLIP_EXIT.INVALID_INPUT, line: message };
    }
    if (err instanceof UsageError || err instanceof KnownFailure || (err instanceof Error && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
        return { code: FLIP_EXIT.INVALID_INPUT, line: `error: ${message}` };
    }
    if (err instanceof ConsulHttpError) {
        return { code: FLIP_EXIT.INTERNAL, line: `error: Consul: ${message}` };
    }
    if (err instanceof UnreadableState) {
        return { code: FLIP_EXIT.INTERNAL, line: `error: ${message}` };
    }
    return { code: FLIP_EXIT.INTERNAL, line: `internal error: ${err instanceof Error ? (err.stack ?? message) : message}` };
}
