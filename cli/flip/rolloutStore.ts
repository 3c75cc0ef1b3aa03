// What the flip client reads and writes in Consul under schema 3 of the contract
// (src/rollout/contract.ts has the layout): the claims document (which rollout each service belongs
// to), each rollout's state and its own command slot, the history in KV, and each service's live
// split from its service-splitter. The HTTP calls are the engine's own thin client
// (src/rollout/consulApi.ts, the documented KV and config APIs), so client and engine read Consul
// the same way; every document is checked (documents.ts) before the client uses it. The client
// writes only a rollout's command slot, never a splitter, a state or the claims.
import { ConsulHttpError, ConsulHttpOptions } from "../../src/consul/httpClient";
import { CLAIMS_KEY, ControlCommand, HistoryRecord, LEGACY_STATE_KEY, parseServiceClaims, ROLLOUT_HISTORY_PREFIX, rolloutCommandKey, RolloutState, rolloutStateKey, ServiceClaims, Weights } from "../../src/rollout/contract";
import { rolloutConsulApi } from "../../src/rollout/consulApi";
import { Detached, UnreadableState } from "./clientErrors";
import { commandOf, historyRecordOf, rolloutStateOf } from "./documents";

/** A KV document and the ModifyIndex to CAS against. */
interface Versioned<T> {
    readonly value: T;
    readonly index: number;
}

export interface RolloutStore {
    readonly address: string;
    /** Which rollout each service belongs to; no services (index 0) before any rollout claimed one. */
    claims(): Promise<Versioned<ServiceClaims>>;
    /** A rollout's state, or undefined when Consul has none of that id. */
    rollout(rolloutId: string): Promise<Versioned<RolloutState> | undefined>;
    /** A rollout's command slot. */
    command(rolloutId: string): Promise<Versioned<ControlCommand> | undefined>;
    /** PUT the slot of command.rolloutId ?cas=<index> (0: only if the slot is empty); false when another client wrote first. */
    putCommand(command: ControlCommand, cas: number): Promise<boolean>;
    /** Whether schema 2's one state (bluegreen/rollout/current) is still there: the engine has not moved it yet. */
    legacyPresent(): Promise<boolean>;
    /** Every history record, oldest first. */
    history(): Promise<HistoryRecord[]>;
    /** The service's live split from GET /v1/config/service-splitter/<name>; undefined without one. */
    liveSplit(service: string): Promise<Weights | undefined>;
}

/** A KV read whose bytes are not JSON: consulApi's JSON.parse error, said as what it is. */
function undecodable(key: string, err: unknown): Error {
    return err instanceof ConsulHttpError ? err : new UnreadableState(`${key} in Consul is not a JSON document (${(err as Error).message.split("\n")[0]})`);
}

function claimsOf(value: unknown, key: string): ServiceClaims {
    const parsed = parseServiceClaims(value);
    if (!parsed.ok) {
        throw new UnreadableState(`${key} in Consul ${parsed.error}`);
    }
    return parsed.claims;
}

export function consulRolloutStore(options: ConsulHttpOptions): RolloutStore {
    const api = rolloutConsulApi(options);
    const versioned = async <T>(key: string, check: (value: unknown, key: string) => T): Promise<Versioned<T> | undefined> => {
        const doc = await api.getJson<unknown>(key).catch((err: unknown) => {
            throw undecodable(key, err);
        });
        return doc ? { value: check(doc.value, key), index: doc.modifyIndex } : undefined;
    };
    return {
        address: options.address,
        claims: async () => (await versioned(CLAIMS_KEY, claimsOf)) ?? { value: { schemaVersion: 3, services: {} }, index: 0 },
        rollout: (rolloutId) => versioned(rolloutStateKey(rolloutId), rolloutStateOf),
        command: (rolloutId) => versioned(rolloutCommandKey(rolloutId), commandOf),
        putCommand: (command, cas) => api.casJson(rolloutCommandKey(command.rolloutId), command, cas),
        // Only whether it is there: its bytes are schema 2's (or not JSON at all), which this client does not act on.
        legacyPresent: async () =>
            (await api.getJson<unknown>(LEGACY_STATE_KEY).catch((err: unknown) => {
                if (err instanceof ConsulHttpError) {
                    throw err;
                }
                return { value: undefined, modifyIndex: 0 };
            })) !== undefined,
        async history() {
            const records = await api.listJson<unknown>(ROLLOUT_HISTORY_PREFIX).catch((err: unknown) => {
                throw undecodable(ROLLOUT_HISTORY_PREFIX, err);
            });
            // Keys sort by start time (historyKeySuffix).
            return Object.keys(records)
                .sort()
                .map((key) => historyRecordOf(records[key], key));
        },
        liveSplit: (service) => api.getSplit(service),
    };
}

/**
 * The store as a command uses it: every call ends at once with Detached when `signal` aborts (a
 * hung Consul request never holds a Ctrl-C), and the last state read of each rollout is kept for
 * the detach message, which then needs no request of its own.
 */
export interface WatchedStore extends RolloutStore {
    /** Every rollout as last read. */
    lastStates(): RolloutState[];
}

/** @param reading what a signal during a read stopped ("stopped watching" for status --watch). */
export function watchedStore(store: RolloutStore, signal?: AbortSignal, reading = "stopped waiting for Consul"): WatchedStore {
    const last = new Map<string, RolloutState>();
    const guard = <T>(what: string, promise: Promise<T>): Promise<T> => {
        if (!signal) {
            return promise;
        }
        return new Promise<T>((resolve, reject) => {
            const onAbort = () => reject(new Detached(what));
            if (signal.aborted) {
                promise.catch(() => undefined);
                onAbort();
                return;
            }
            signal.addEventListener("abort", onAbort, { once: true });
            promise.then(
                (value) => {
                    signal.removeEventListener("abort", onAbort);
                    resolve(value);
                },
                (err: unknown) => {
                    signal.removeEventListener("abort", onAbort);
                    reject(err);
                },
            );
        });
    };
    return {
        address: store.address,
        lastStates: () => [...last.values()],
        claims: () => guard(reading, store.claims()),
        async rollout(rolloutId) {
            const read = await guard(reading, store.rollout(rolloutId));
            if (read) {
                last.set(rolloutId, read.value);
            }
            return read;
        },
        command: (rolloutId) => guard(reading, store.command(rolloutId)),
        putCommand: (command, cas) => guard(`stopped waiting for Consul's answer to the ${command.kind} (it may or may not have been written: see status)`, store.putCommand(command, cas)),
        legacyPresent: () => guard(reading, store.legacyPresent()),
        history: () => guard(reading, store.history()),
        liveSplit: (service) => guard(reading, store.liveSplit(service)),
    };
}
