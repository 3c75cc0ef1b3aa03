// What every Consul command of the client reads first: which rollout each service belongs to (the
// claims document) and the states of the rollouts the selected services belong to, checked to be
// of the stack asked about. A stack whose engine still keeps schema 2's one state is said plainly:
// this client reads schema 3 only, and acting on half of the truth would be worse than stopping.
import { LEGACY_STATE_KEY, RolloutState, ServiceClaims } from "../../src/rollout/contract";
import { mapLimit } from "../../src/shared/concurrency";
import { UnreadableState } from "./clientErrors";
import { assertOwnClaims, assertOwnStack } from "./ownStack";
import { RolloutStore } from "./rolloutStore";

/** Rollout states read at a time (a stack of 200 services may have as many rollouts). */
const READ_CONCURRENCY = 8;

export interface StackRead {
    readonly claims: ServiceClaims;
    /** The rollouts read, by id, in the order asked (each once). */
    readonly rollouts: ReadonlyMap<string, RolloutState>;
}

/**
 * @param services whose rollouts to read (undefined: every service the claims name)
 * @param rolloutIds rollouts to read besides (one asked for by id)
 */
export async function readStack(store: RolloutStore, stack: string, services: readonly string[] | undefined, rolloutIds: readonly string[] = []): Promise<StackRead> {
    const claims = await store.claims();
    if (claims.index === 0 && (await store.legacyPresent())) {
        throw new UnreadableState(
            `Consul at ${store.address} still holds schema 2's one rollout state (${LEGACY_STATE_KEY}) and no claims: the stack's engine is older than this client, ` +
                `or has not run since it was upgraded (it moves that state to its own key at its next invocation). Deploy this version (pulumi up), ` +
                `or use the flip client of the version the stack runs`,
        );
    }
    assertOwnClaims(claims.value, stack, store.address);
    const claimed = (services ?? Object.keys(claims.value.services)).map((s) => claims.value.services[s]?.rolloutId).filter((id): id is string => id !== undefined);
    const ids = [...new Set([...rolloutIds, ...claimed])];
    const states = await mapLimit(ids, READ_CONCURRENCY, (id) => store.rollout(id));
    const rollouts = new Map<string, RolloutState>();
    ids.forEach((id, i) => {
        const state = states[i]?.value;
        // A claim whose state is gone is left out, as the engine's readClaimedRollouts does.
        if (state) {
            assertOwnStack(state, stack, store.address);
            rollouts.set(id, state);
        }
    });
    return { claims: claims.value, rollouts };
}

/** The services a rollout is for, as its spec lists them. */
export function servicesOf(state: RolloutState): string[] {
    return state.spec.services.map((s) => s.service);
}
