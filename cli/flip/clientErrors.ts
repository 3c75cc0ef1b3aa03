// The flip client's failure kinds and the exit code of each (src/shared/exitCodes.ts), and the
// clock it waits on, so that tests run its waits on virtual time.
import { StackConfigError } from "../../src/config";
import { ConsulHttpError } from "../../src/consul/httpClient";
import { UsageError } from "../../src/offline/errors";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { KnownFailure } from "../shared/run";

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
        return { code: EXIT_CODES.INVALID_INPUT, line: message };
    }
    if (err instanceof UsageError || err instanceof KnownFailure || (err instanceof Error && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"))) {
        return { code: EXIT_CODES.INVALID_INPUT, line: `error: ${message}` };
    }
    if (err instanceof ConsulHttpError) {
        return { code: EXIT_CODES.INTERNAL, line: `error: Consul: ${message}` };
    }
    if (err instanceof UnreadableState) {
        return { code: EXIT_CODES.INTERNAL, line: `error: ${message}` };
    }
    return { code: EXIT_CODES.INTERNAL, line: `internal error: ${err instanceof Error ? (err.stack ?? message) : message}` };
}
