// Fixture helpers over the fake Consul's KV and config entries (fakeConsul.ts): what a test writes
// or reads directly, with the indexes Consul would give, without going through HTTP; and the rollout
// engine's Consul API over the in-memory model (consulModel) for tests that make many calls.
import { ConsulHttpError } from "../../src/consul/httpClient";
import type { KvDocument, RolloutConsulApi } from "../../src/rollout/consulApi";
import { splitterEntry, weightsOfEntry } from "../../src/rollout/consulApi";
import type { ConsulKvEntry, Weights } from "../../src/rollout/contract";
import { ConsulAnswer, FakeConsul } from "./fakeConsul";

/** Writes `key` as a PUT without CAS would. */
export function putKv(consul: Pick<FakeConsul, "state" | "nextIndex">, key: string, value: string | object): void {
    const existing = consul.state.kv.get(key);
    const index = consul.nextIndex();
    consul.state.kv.set(key, { value: Buffer.from(typeof value === "string" ? value : JSON.stringify(value)), createIndex: existing?.createIndex ?? index, modifyIndex: index });
}

/** The JSON stored at `key`, or undefined. */
export function readKv<T>(consul: Pick<FakeConsul, "state">, key: string): T | undefined {
    const entry = consul.state.kv.get(key);
    return entry ? (JSON.parse(entry.value.toString("utf8")) as T) : undefined;
}

/** Writes a config entry as PUT /v1/config would. */
export function putConfigEntry(consul: Pick<FakeConsul, "state" | "nextIndex">, entry: { Kind: string; Name: string } & Record<string, unknown>): void {
    const id = `${entry.Kind}/${entry.Name}`;
    const index = consul.nextIndex();
    consul.state.config.set(id, { ...entry, CreateIndex: consul.state.config.get(id)?.CreateIndex ?? index, ModifyIndex: index });
}

/** One request to the model: how the engine's calls are carried (and, in tests, delayed or failed). */
export type ConsulTransport = (method: "GET" | "PUT" | "DELETE", path: string, query: Readonly<Record<string, string>>, body?: string) => Promise<ConsulAnswer>;

/**
 * The rollout engine's Consul calls (src/rollout/consulApi.ts's RolloutConsulApi) over a transport
 * to the in-memory model, without HTTP: the same paths, query parameters and bodies, answers read
 * the way consulApi.ts reads them (its splitterEntry and weightsOfEntry, 404 as absent, anything
 * but the documented answer an error). A rejected transport is a request that failed (a time-out).
 * The HTTP client itself is tested against the loopback server (tests/rollout/engine.e2e.test.ts).
 */
export function modelRolloutApi(send: ConsulTransport): RolloutConsulApi {
    const call = async (method: "GET" | "PUT" | "DELETE", path: string, query: Record<string, string> = {}, body?: string) => {
        try {
            return await send(method, path, query, body);
        } catch (err) {
            throw new ConsulHttpError(`${method} ${path} failed: ${(err as Error).message}`);
        }
    };
    const fail = (what: string, answer: ConsulAnswer) => new ConsulHttpError(`${what} answered ${answer.status}: ${typeof answer.payload === "string" ? answer.payload : JSON.stringify(answer.payload)}`, answer.status);
    const decode = <T>(entry: ConsulKvEntry): T => JSON.parse(Buffer.from(entry.Value ?? "", "base64").toString("utf8")) as T;
    async function getSplitEntry(service: string): Promise<KvDocument<Weights> | undefined> {
        const path = `/v1/config/service-splitter/${encodeURIComponent(service)}`;
        const answer = await call("GET", path);
        if (answer.status === 404) {
            return undefined;
        }
        if (answer.status !== 200 || typeof answer.payload !== "object" || answer.payload === null) {
            throw fail(`GET ${path}`, answer);
        }
        return { value: weightsOfEntry(answer.payload as Parameters<typeof weightsOfEntry>[0]), modifyIndex: Number((answer.payload as { ModifyIndex?: number }).ModifyIndex ?? 0) };
    }
    return {
        async getJson<T>(key: string) {
            const answer = await call("GET", `/v1/kv/${key}`);
            if (answer.status === 404) {
                return undefined;
            }
            if (answer.status !== 200 || !Array.isArray(answer.payload) || answer.payload.length !== 1) {
                throw fail(`GET /v1/kv/${key}`, answer);
            }
            const entry = answer.payload[0] as ConsulKvEntry;
            return { value: decode<T>(entry), modifyIndex: entry.ModifyIndex };
        },
        async listJson<T>(prefix: string) {
            const answer = await call("GET", `/v1/kv/${prefix}`, { recurse: "true" });
            if (answer.status === 404) {
                return {};
            }
            if (answer.status !== 200 || !Array.isArray(answer.payload)) {
                throw fail(`GET /v1/kv/${prefix}?recurse`, answer);
            }
            return Object.fromEntries((answer.payload as ConsulKvEntry[]).map((entry) => [entry.Key, decode<T>(entry)]));
        },
        async casJson(key, value, index) {
            const answer = await call("PUT", `/v1/kv/${key}`, { cas: String(index) }, JSON.stringify(value));
            if (answer.status !== 200 || typeof answer.payload !== "boolean") {
                throw fail(`PUT /v1/kv/${key}?cas=${index}`, answer);
            }
            return answer.payload;
        },
        async deleteJson(key, index) {
            const answer = await call("DELETE", `/v1/kv/${key}`, { cas: String(index) });
            if (answer.status !== 200 || typeof answer.payload !== "boolean") {
                throw fail(`DELETE /v1/kv/${key}?cas=${index}`, answer);
            }
            return answer.payload;
        },
        async getSplit(service) {
            return (await getSplitEntry(service))?.value;
        },
        getSplitEntry,
        async putSplit(service, weights, cas) {
            const query: Record<string, string> = cas === undefined ? {} : { cas: String(cas) };
            const answer = await call("PUT", "/v1/config", query, JSON.stringify(splitterEntry(service, weights)));
            if (answer.status !== 200 || typeof answer.payload !== "boolean" || (cas === undefined && !answer.payload)) {
                throw fail(`PUT /v1/config${cas === undefined ? "" : `?cas=${cas}`} (service-splitter ${service})`, answer);
            }
            return answer.payload;
        },
        async getEntry(kind, name) {
            const path = `/v1/config/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`;
            const answer = await call("GET", path);
            if (answer.status === 404) {
                return undefined;
            }
            if (answer.status !== 200 || typeof answer.payload !== "object" || answer.payload === null || Array.isArray(answer.payload)) {
                throw fail(`GET ${path}`, answer);
            }
            const body = answer.payload as Record<string, unknown>;
            return { value: body, modifyIndex: Number(body.ModifyIndex ?? 0) };
        },
        async putEntry(body, cas) {
            const answer = await call("PUT", "/v1/config", { cas: String(cas) }, JSON.stringify(body));
            if (answer.status !== 200 || typeof answer.payload !== "boolean") {
                throw fail(`PUT /v1/config?cas=${cas} (${String(body.Kind)} ${String(body.Name)})`, answer);
            }
            return answer.payload;
        },
        async passingInstances(service, colour) {
            const path = `/v1/health/service/${encodeURIComponent(service)}`;
            const answer = await call("GET", path, { passing: "true", filter: `Service.Meta.version == ${JSON.stringify(colour)}` });
            if (answer.status !== 200 || !Array.isArray(answer.payload)) {
                throw fail(`GET ${path}`, answer);
            }
            return answer.payload.length;
        },
    };
}
