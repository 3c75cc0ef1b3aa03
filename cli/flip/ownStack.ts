// One Consul cluster per stack: a rollout names its own stack (spec.stack), and the client acts only
// on a rollout of the stack it was asked about. With CONSUL_HTTP_ADDR left pointing at production's
// Consul, `abort --stack dev` must not abort production's rollout (nor `status --stack dev` report
// production's health as dev's).
import { HistoryRecord, rolloutIdFor, RolloutState } from "../../src/rollout/contract";
import { FlipInputError } from "./clientErrors";

function mismatch(address: string, what: string, theirs: string, stack: string): FlipInputError {
    return new FlipInputError(
        `Consul at ${address} holds ${what} of stack ${theirs}, not ${stack}: nothing was done. ` +
            `Point CONSUL_HTTP_ADDR (or --consul-address) at ${stack}'s Consul, or pass --stack ${theirs} if ${theirs} is meant`,
    );
}

/** Throws unless the state (if any) is a rollout of `stack`. */
export function assertOwnStack(state: RolloutState | undefined, stack: string, address: string): void {
    if (state && state.spec.stack !== stack) {
        throw mismatch(address, `rollout ${state.rolloutId}`, state.spec.stack, stack);
    }
}

/** Throws unless the records' rollout ids (`<stack>-<hash>-<attempt>`, rolloutIdFor) are of `stack`. */
export function assertOwnHistory(records: readonly HistoryRecord[], stack: string, address: string): void {
    const ours = stackOfRolloutId(rolloutIdFor(stack, "0".repeat(16), 1));
    // An id of another form (a newer engine's) proves nothing either way.
    const foreign = records.find((r) => stackOfRolloutId(r.rolloutId) !== undefined && stackOfRolloutId(r.rolloutId) !== ours);
    if (foreign) {
        throw mismatch(address, `the history of rollout ${foreign.rolloutId}`, stackOfRolloutId(foreign.rolloutId) ?? "unknown", stack);
    }
}

/** The (sanitized) stack part of a rollout id, undefined for an id not of that form. */
function stackOfRolloutId(rolloutId: string): string | undefined {
    return /^(.+)-[0-9a-f]{16}-\d+$/.exec(rolloutId)?.[1];
}
