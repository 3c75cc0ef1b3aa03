// What the flip client reads and writes in Consul, through Consul's documented HTTP API (axios): the
// rollout's state, the command slot and the history in KV (src/rollout/contract.ts has the layout),
// and each service's live split from its service-splitter config entry. Thin on purpose: every
// decision is the engine's or the caller's.
import axios, { AxiosInstance } from "axios";
import * as https from "https";
import { ConsulHttpError, ConsulHttpOptions } from "../../src/consul/httpClient";
import {
    ConsulKvEntry,
    ControlCommand,
    HistoryRecord,
    ROLLOUT_COMMAND_KEY,
    ROLLOUT_HISTORY_PREFIX,
    ROLLOUT_STATE_KEY,
    RolloutState,
    Weights,
} from "../../src/rollout/contract";

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
    const scheme = options.scheme ?? "https";
    const http: AxiosInstance = axios.create({
        baseURL: `${scheme}://${options.address}`,
        timeout: options.timeoutMs ?? 5000,
        headers: options.token ? { "X-Consul-Token": options.token } : {},
        httpsAgent: scheme === "https" ? new https.Agent({ ca: options.caPem, servername: options.tlsServerName, keepAlive: false }) : undefined,
        validateStatus: () => true,
        proxy: false,
        // Bodies are parsed here: a KV value is base64 of our JSON, not JSON itself.
        transformResponse: (data: unknown) => data,
        responseType: "text",
    });

    async function request(method: "GET" | "PUT", path: string, body?: string): Promise<{ status: number; text: string }> {
        try {
            const response = await http.request<string>({ method, url: path, data: body, headers: body === undefined ? {} : { "Content-Type": "application/json" } });
            return { status: response.status, text: String(response.data ?? "") };
        } catch (err) {
            throw new ConsulHttpError(`${method} ${path} on ${options.address} failed: ${(err as Error).message}`);
        }
    }

    async function json<T>(path: string): Promise<T | undefined> {
        const { status, text } = await request("GET", path);
        if (status === 404) {
            return undefined;
        }
        if (status !== 200) {
            throw new ConsulHttpError(`GET ${path} on ${options.address} answered ${status}: ${text.trim()}`, status);
        }
        try {
            return JSON.parse(text) as T;
        } catch {
            throw new ConsulHttpError(`GET ${path} on ${options.address} did not answer JSON`);
        }
    }

    function decode<T>(entry: ConsulKvEntry): T {
        try {
            return JSON.parse(Buffer.from(entry.Value ?? "", "base64").toString("utf8")) as T;
        } catch {
            throw new ConsulHttpError(`the KV key ${entry.Key} on ${options.address} does not hold JSON`);
        }
    }

    async function document<T>(key: string): Promise<Versioned<T> | undefined> {
        const entries = await json<ConsulKvEntry[]>(`/v1/kv/${key}`);
        const entry = entries?.find((e) => e.Key === key);
        return entry ? { value: decode<T>(entry), index: entry.ModifyIndex } : undefined;
    }

    return {
        address: options.address,
        state: () => document<RolloutState>(ROLLOUT_STATE_KEY),
        command: () => document<ControlCommand>(ROLLOUT_COMMAND_KEY),
        async putCommand(command, cas) {
            const path = `/v1/kv/${ROLLOUT_COMMAND_KEY}?cas=${cas}`;
            const { status, text } = await request("PUT", path, JSON.stringify(command));
            if (status !== 200) {
                throw new ConsulHttpError(`PUT ${path} on ${options.address} answered ${status}: ${text.trim()}`, status);
            }
            return text.trim() === "true";
        },
        async history() {
            const entries = (await json<ConsulKvEntry[]>(`/v1/kv/${ROLLOUT_HISTORY_PREFIX}?recurse`)) ?? [];
            return entries.sort((a, b) => a.Key.localeCompare(b.Key)).map((e) => decode<HistoryRecord>(e));
        },
        async liveSplit(service) {
            const entry = await json<{ Splits?: { Weight?: number; ServiceSubset?: string }[] }>(`/v1/config/service-splitter/${encodeURIComponent(service)}`);
            if (!entry) {
                return undefined;
            }
            const weights = { blue: 0, green: 0 };
            for (const split of entry.Splits ?? []) {
                if (split.ServiceSubset === "blue" || split.ServiceSubset === "green") {
                    weights[split.ServiceSubset] += split.Weight ?? 0;
                }
            }
            return weights;
        },
    };
}
