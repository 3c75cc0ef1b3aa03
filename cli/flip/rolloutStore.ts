// What the flip client reads and writes in Consul: the rollout's state, the command slot and the
// history in KV (src/rollout/contract.ts has the layout), and each service's live split from its
// service-splitter. The HTTP calls are the engine's own thin client (src/rollout/consulApi.ts, the
// documented KV and config APIs), so client and engine read Consul the same way; every document is
// checked (documents.ts) before the client uses it. The client never writes a splitter or the state.
import { ConsulHttpError, ConsulHttpOptions } from "../../src/consul/httpClient";
import { ControlCommand, HistoryRecord, ROLLOUT_COMMAND_KEY, ROLLOUT_HISTORY_PREFIX, ROLLOUT_STATE_KEY, RolloutState, Weights } from "../../src/rollout/contract";
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
    state(): Promise<Versioned<RolloutState> | undefined>;
    command(): Promise<Versioned<ControlCommand> | undefined>;
    /** PUT ?cas=<index> (0: only if the slot is empty); false when another client wrote first. */
    putCommand(command: ControlCommand, cas: number): Promise<boolean>;
    /** Every history record, oldest first. */
    history(): Promise<HistoryRecord[]>;
    /** The service's live split from GET /v1/config/service-splitter/<name>; undefined without one. */
    liveSplit(service: string): Promise<Weights | undefined>;
}

/** A KV read whose bytes are not JSON: consulApi's JSON.parse error, said as what it is. */
function undecodable(key: string, err: unknown): Error {
    return err instanceof ConsulHttpError ? err : new UnreadableState(`${key} in Consul is not a JSON document (${(err as Error).message.split("\n")[0]})`);
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
        state: () => versioned(ROLLOUT_STATE_KEY, rolloutStateOf),
        command: () => versioned(ROLLOUT_COMMAND_KEY, commandOf),
        putCommand: (command, cas) => api.casJson(ROLLOUT_COMMAND_KEY, command, cas),
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
 * hung Consul request never holds a Ctrl-C), and the last state read is kept for the detach
 * message, which then needs no request of its own.
 */
export interface WatchedStore extends RolloutStore {
    /** The state as last read, if any was. */
    lastState(): RolloutState | undefined;
}

/** @param reading what a signal during a read stopped ("stopped watching" for status --watch). */
export function watchedStore(store: RolloutStore, signal?: AbortSignal, reading = "stopped waiting for Consul"): WatchedStore {
    let last: RolloutState | undefined;
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
        lastState: () => last,
        async state() {
            const read = await guard(reading, store.state());
            last = read?.value;
            return read;
        },
        command: () => guard(reading, store.command()),
        putCommand: (command, cas) => guard(`stopped waiting for Consul's answer to the ${command.kind} (it may or may not have been written: see status)`, store.putCommand(command, cas)),
        history: () => guard(reading, store.history()),
        liveSplit: (service) => guard(reading, store.liveSplit(service)),
    };
}
