// What the flip client reads and writes in Consul: the rollout's state, the command slot and the
// history in KV (src/rollout/contract.ts has the layout), and each service's live split from its
// service-splitter. The HTTP calls are the engine's own thin client (src/rollout/consulApi.ts, the
// documented KV and config APIs), so client and engine read Consul the same way; the client never
// writes a splitter or the state.
import { ConsulHttpOptions } from "../../src/consul/httpClient";
import { ControlCommand, HistoryRecord, ROLLOUT_COMMAND_KEY, ROLLOUT_HISTORY_PREFIX, ROLLOUT_STATE_KEY, RolloutState, Weights } from "../../src/rollout/contract";
import { rolloutConsulApi } from "../../src/rollout/consulApi";

/** A KV document and the ModifyIndex to CAS against. */
export interface Versioned<T> {
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

export function consulRolloutStore(options: ConsulHttpOptions): RolloutStore {
    const api = rolloutConsulApi(options);
    const versioned = async <T>(key: string): Promise<Versioned<T> | undefined> => {
        const doc = await api.getJson<T>(key);
        return doc ? { value: doc.value, index: doc.modifyIndex } : undefined;
    };
    return {
        address: options.address,
        state: () => versioned<RolloutState>(ROLLOUT_STATE_KEY),
        command: () => versioned<ControlCommand>(ROLLOUT_COMMAND_KEY),
        putCommand: (command, cas) => api.casJson(ROLLOUT_COMMAND_KEY, command, cas),
        async history() {
            const records = await api.listJson<HistoryRecord>(ROLLOUT_HISTORY_PREFIX);
            // Keys sort by start time (historyKeySuffix).
            return Object.keys(records)
                .sort()
                .map((key) => records[key]);
        },
        liveSplit: (service) => api.getSplit(service),
    };
}
