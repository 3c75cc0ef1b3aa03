// The Consul HTTP API calls of the rollout engine, thin: KV reads and check-and-set writes
// (GET /v1/kv/<key>, PUT /v1/kv/<key>?cas=<index>, GET ?recurse) and the service-splitter config
// entries, the service's and its sticky virtual services' (GET /v1/config/service-splitter/<name>,
// PUT /v1/config, with ?cas=<ModifyIndex> for a check-and-set write as Consul documents it). Every decision is elsewhere.
import type { AxiosInstance } from "axios";
import { ConsulHttpError, ConsulHttpOptions, consulAxios, consulHttpClient } from "../consul/httpClient";
import { CLAIMS_KEY, ConsulKvEntry, LEGACY_STATE_KEY, parseRolloutState, parseServiceClaims, RolloutState, rolloutStateKey, ServiceClaims, Weights } from "./contract";

export interface KvDocument<T> {
    readonly value: T;
    readonly modifyIndex: number;
}

export interface RolloutConsulApi {
    /** The key's JSON document and ModifyIndex, or undefined when the key does not exist. */
    getJson<T>(key: string): Promise<KvDocument<T> | undefined>;
    /** Every document under `prefix` (GET ?recurse), by key; {} when there is none. */
    listJson<T>(prefix: string): Promise<Record<string, T>>;
    /** Check-and-set: writes only if the key's ModifyIndex is still `index` (0: only if absent). */
    casJson(key: string, value: unknown, index: number): Promise<boolean>;
    /** Check-and-set delete (DELETE /v1/kv/<key>?cas=<index>): false when the key changed since. */
    deleteJson(key: string, index: number): Promise<boolean>;
    /** A service's live split as its service-splitter says, or undefined when it has none. */
    getSplit(service: string): Promise<Weights | undefined>;
    /** The live split with the splitter entry's ModifyIndex (for a check-and-set write), or undefined. */
    getSplitEntry(service: string): Promise<KvDocument<Weights> | undefined>;
    /**
     * Writes the service's service-splitter with these weights (the engine is its one writer).
     * With `cas` (the entry's ModifyIndex; 0: only if it does not exist), Consul writes only if the
     * entry is unchanged since, and answers false otherwise.
     */
    putSplit(service: string, weights: Weights, cas?: number): Promise<boolean>;
    /** A config entry as Consul answers it (GET /v1/config/<kind>/<name>) with its ModifyIndex, or undefined (404). */
    getEntry(kind: string, name: string): Promise<KvDocument<ConfigEntryBody> | undefined>;
    /** Writes a config entry (PUT /v1/config?cas=<index>; 0: only if it does not exist): false when the entry changed since. */
    putEntry(body: ConfigEntryBody, cas: number): Promise<boolean>;
    passingInstances(service: string, colour: string): Promise<number>;
}

/** A config entry's body, in Consul's own field names (what PUT /v1/config takes and GET answers). */
export type ConfigEntryBody = Readonly<Record<string, unknown>>;

interface SplitterEntry {
    readonly Splits?: readonly { readonly Weight?: number; readonly ServiceSubset?: string }[];
}

/** The body of PUT /v1/config for a service's splitter: the same fields the Pulumi resource writes. */
export function splitterEntry(service: string, weights: Weights): Record<string, unknown> {
    return {
        Kind: "service-splitter",
        Name: service,
        Splits: (["blue", "green"] as const).map((colour) => ({ Weight: weights[colour], Service: service, ServiceSubset: colour })),
    };
}

/** Weights per colour from a splitter entry Consul answered (a subset listed twice adds up). */
export function weightsOfEntry(entry: SplitterEntry): Weights {
    const sum = (colour: string) => (entry.Splits ?? []).filter((s) => s.ServiceSubset === colour).reduce((total, s) => total + (s.Weight ?? 0), 0);
    return { blue: sum("blue"), green: sum("green") };
}

export function rolloutConsulApi(options: ConsulHttpOptions): RolloutConsulApi {
    // One pool of kept-alive connections for every call of the engine (src/consul/httpClient.ts).
    const http: AxiosInstance = consulAxios(options);
    const health = consulHttpClient(options, http);
    const fail = (what: string, status: number, data: unknown) =>
        new ConsulHttpError(`${what} on ${options.address} answered ${status}: ${typeof data === "string" ? data.trim() : JSON.stringify(data)}`, status);
    async function call(method: "get" | "put", path: string, config: { params?: Record<string, string>; data?: unknown } = {}) {
        try {
            return await http.request({ method, url: path, params: config.params, data: config.data, headers: { "Content-Type": "application/json" } });
        } catch (err) {
            throw new ConsulHttpError(`${method.toUpperCase()} ${path} on ${options.address} failed: ${(err as Error).message}`);
        }
    }
    const decode = <T>(entry: ConsulKvEntry): T => JSON.parse(Buffer.from(entry.Value ?? "", "base64").toString("utf8")) as T;
    async function getSplitEntry(service: string): Promise<KvDocument<Weights> | undefined> {
        const path = `/v1/config/service-splitter/${encodeURIComponent(service)}`;
        const response = await call("get", path);
        if (response.status === 404) {
            return undefined;
        }
        if (response.status !== 200 || typeof response.data !== "object" || response.data === null) {
            throw fail(`GET ${path}`, response.status, response.data);
        }
        return { value: weightsOfEntry(response.data as SplitterEntry), modifyIndex: Number((response.data as { ModifyIndex?: number }).ModifyIndex ?? 0) };
    }

    return {
        async getJson<T>(key: string) {
            const response = await call("get", `/v1/kv/${key}`);
            if (response.status === 404) {
                return undefined;
            }
            if (response.status !== 200 || !Array.isArray(response.data) || response.data.length !== 1) {
                throw fail(`GET /v1/kv/${key}`, response.status, response.data);
            }
            const entry = response.data[0] as ConsulKvEntry;
            return { value: decode<T>(entry), modifyIndex: entry.ModifyIndex };
        },
        async listJson<T>(prefix: string) {
            const response = await call("get", `/v1/kv/${prefix}`, { params: { recurse: "true" } });
            if (response.status === 404) {
                return {};
            }
            if (response.status !== 200 || !Array.isArray(response.data)) {
                throw fail(`GET /v1/kv/${prefix}?recurse`, response.status, response.data);
            }
            return Object.fromEntries((response.data as ConsulKvEntry[]).map((entry) => [entry.Key, decode<T>(entry)]));
        },
        async casJson(key, value, index) {
            const response = await call("put", `/v1/kv/${key}`, { params: { cas: String(index) }, data: JSON.stringify(value) });
            if (response.status !== 200 || typeof response.data !== "boolean") {
                throw fail(`PUT /v1/kv/${key}?cas=${index}`, response.status, response.data);
            }
            return response.data;
        },
        async deleteJson(key, index) {
            const response = await http.request({ method: "delete", url: `/v1/kv/${key}`, params: { cas: String(index) } }).catch((err: unknown) => {
                throw new ConsulHttpError(`DELETE /v1/kv/${key} on ${options.address} failed: ${(err as Error).message}`);
            });
            if (response.status !== 200 || typeof response.data !== "boolean") {
                throw fail(`DELETE /v1/kv/${key}?cas=${index}`, response.status, response.data);
            }
            return response.data;
        },
        async getSplit(service) {
            return (await getSplitEntry(service))?.value;
        },
        getSplitEntry,
        async putSplit(service, weights, cas) {
            const params = cas === undefined ? undefined : { cas: String(cas) };
            const response = await call("put", "/v1/config", { params, data: JSON.stringify(splitterEntry(service, weights)) });
            if (response.status !== 200 || typeof response.data !== "boolean" || (cas === undefined && !response.data)) {
                throw fail(`PUT /v1/config${params ? `?cas=${cas}` : ""} (service-splitter ${service})`, response.status, response.data);
            }
            return response.data;
        },
        async getEntry(kind, name) {
            const path = `/v1/config/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`;
            const response = await call("get", path);
            if (response.status === 404) {
                return undefined;
            }
            if (response.status !== 200 || typeof response.data !== "object" || response.data === null || Array.isArray(response.data)) {
                throw fail(`GET ${path}`, response.status, response.data);
            }
            const body = response.data as ConfigEntryBody;
            return { value: body, modifyIndex: Number(body.ModifyIndex ?? 0) };
        },
        async putEntry(body, cas) {
            const response = await call("put", "/v1/config", { params: { cas: String(cas) }, data: JSON.stringify(body) });
            if (response.status !== 200 || typeof response.data !== "boolean") {
                throw fail(`PUT /v1/config?cas=${cas} (${String(body.Kind)} ${String(body.Name)})`, response.status, response.data);
            }
            return response.data;
        },
        passingInstances: (service, colour) => health.passingInstances(service, colour),
    };
}

/** A rollout state document read under the contract: a document of another schema is an error, never misread. */
async function readStateAt(consul: Pick<RolloutConsulApi, "getJson">, key: string): Promise<KvDocument<RolloutState> | undefined> {
    const doc = await consul.getJson<unknown>(key);
    if (doc === undefined) {
        return undefined;
    }
    const parsed = parseRolloutState(doc.value);
    if (!parsed.ok) {
        throw new Error(`${key} in Consul ${parsed.error}`);
    }
    return { value: parsed.state, modifyIndex: doc.modifyIndex };
}

/** One rollout's state with its ModifyIndex, or undefined when it has none (never started, or removed). */
export function readRollout(consul: Pick<RolloutConsulApi, "getJson">, rolloutId: string): Promise<KvDocument<RolloutState> | undefined> {
    return readStateAt(consul, rolloutStateKey(rolloutId));
}

/** Schema 1-2's one state of the stack, while the engine has not moved it to its own key yet. */
export function readLegacyState(consul: Pick<RolloutConsulApi, "getJson">): Promise<KvDocument<RolloutState> | undefined> {
    return readStateAt(consul, LEGACY_STATE_KEY);
}

const NO_CLAIMS: ServiceClaims = { schemaVersion: 3, services: {} };

/** Which rollout each service belongs to, with the document's ModifyIndex (0 when there is none yet). */
export async function readClaims(consul: Pick<RolloutConsulApi, "getJson">): Promise<KvDocument<ServiceClaims>> {
    const doc = await consul.getJson<unknown>(CLAIMS_KEY);
    if (doc === undefined) {
        return { value: NO_CLAIMS, modifyIndex: 0 };
    }
    const parsed = parseServiceClaims(doc.value);
    if (!parsed.ok) {
        throw new Error(`${CLAIMS_KEY} in Consul ${parsed.error}`);
    }
    return { value: parsed.claims, modifyIndex: doc.modifyIndex };
}

/** The rollouts services belong to (each once), read with their ModifyIndex; a claim whose state is gone is left out. */
export async function readClaimedRollouts(consul: Pick<RolloutConsulApi, "getJson">, claims: ServiceClaims, services?: readonly string[]): Promise<Map<string, KvDocument<RolloutState>>> {
    const ids = [...new Set((services ?? Object.keys(claims.services)).map((s) => claims.services[s]?.rolloutId).filter((id): id is string => id !== undefined))];
    const read = await Promise.all(ids.map((id) => readRollout(consul, id)));
    return new Map(ids.flatMap((id, i) => (read[i] ? [[id, read[i]!] as const] : [])));
}
