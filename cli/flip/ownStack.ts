// One Consul cluster per stack: a rollout names its own stack (spec.stack, and its id starts with
// it), and the client acts only on a rollout of the stack it was asked about. With CONSUL_HTTP_ADDR
// left pointing at production's Consul, `abort --stack dev` must not abort production's rollout
// (nor `status --stack dev` report production's health as dev's).
import { HistoryRecord, rollbackIdFor, rolloutIdFor, RolloutState, ServiceClaims } from "../../src/rollout/contract";
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

/** Throws unless every rollout id (claims' or history's) that says its stack says `stack`. */
function assertOwnIds(ids: readonly string[], what: (id: string) => string, stack: string, address: string): void {
    const ours = [stackOfRolloutId(rolloutIdFor(stack, "0".repeat(16), 1)), stackOfRolloutId(rollbackIdFor(stack, "x"))];
    // An id of another form (a newer engine's) proves nothing either way.
    const foreign = ids.find((id) => stackOfRolloutId(id) !== undefined && !ours.includes(stackOfRolloutId(id)));
    if (foreign) {
        throw mismatch(address, what(foreign), stackOfRolloutId(foreign) ?? "unknown", stack);
    }
}

/** Throws unless the rollouts the claims name are of `stack` (read from their ids: no state needs reading). */
export function assertOwnClaims(claims: ServiceClaims, stack: string, address: string): void {
    assertOwnIds(
        Object.values(claims.services).map((c) => c.rolloutId),
        (id) => `rollout ${id}`,
        stack,
        address,
    );
}

/** Throws unless the records' rollout ids are of `stack`. */
export function assertOwnHistory(records: readonly HistoryRecord[], stack: string, address: string): void {
    assertOwnIds(
        records.map((r) => r.rolloutId),
        (id) => `the history of rollout ${id}`,
        stack,
        address,
    );
}

/** The (sanitized) stack part of a release's id (rolloutIdFor) or a rollback's (rollbackIdFor), undefined for an id of neither form. */
function stackOfRolloutId(rolloutId: string): string | undefined {
    return /^(.+)-rollback-[A-Za-z0-9_-]+$/.exec(rolloutId)?.[1] ?? /^(.+)-[0-9a-f]{16}-\d+$/.exec(rolloutId)?.[1];
}
