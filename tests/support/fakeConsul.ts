// A loopback HTTP server that answers the Consul HTTP API calls this project makes, in the response
// format Consul documents (status/leader: a JSON string; acl/token/self: a token object, 403 with a
// plain-text reason for a bad token; health/service: a list of { Node, Service, Checks } entries,
// with `passing` and `filter` applied; kv: GET answers [{ Key, Value (base64), CreateIndex,
// ModifyIndex, LockIndex, Flags }] or 404, `?recurse` every entry under a prefix, `?keys` the key
// names, PUT stores the raw body and answers true/false, honouring `?cas=<ModifyIndex>` with 0 as
// "only if absent", DELETE removes the key (`?recurse`: the prefix) and honours `?cas` the same way;
// config: PUT /v1/config stores an entry and answers true (with `?cas=<ModifyIndex>`, 0 meaning "only
// if absent", false when the index does not match), GET /v1/config/<kind>/<name> answers it with its
// indexes or 404; PUT acl/token creates a token, with the SecretID given or a new one, and refuses a
// SecretID in use; PUT and DELETE acl/token/<AccessorID> update and delete one). Over HTTP, or HTTPS
// with a given certificate, optionally answering late; it counts connections and requests in flight.
// It is NOT Consul: it exists so that our thin axios code can be tested on this machine, where no
// Consul runs. The same answers are available without a socket (consulModel) for tests that make
// many thousands of calls.
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";

export interface FakeInstance {
    readonly service: string;
    readonly version: string;
    readonly status: "passing" | "warning" | "critical";
}

export interface FakeConsulState {
    /** The leader's address, "" while there is none. */
    leader: string;
    /** Tokens the server accepts. */
    tokens: string[];
    instances: FakeInstance[];
    /** The KV store, by key: the raw bytes and Consul's indexes. */
    readonly kv: Map<string, FakeKvEntry>;
    /** Config entries by "<Kind>/<Name>", as written (plus their indexes). */
    readonly config: Map<string, Record<string, unknown>>;
    /** ACL tokens created through the API (the management tokens above are not listed here). */
    aclTokens: FakeAclToken[];
    /** Answers to force: the next `times` requests whose "METHOD path" starts with `prefix` get `status`. */
    faults: { prefix: string; status: number; times: number }[];
    /** Requests seen, as "METHOD path?query". */
    readonly requests: string[];
}

export interface FakeAclToken {
    AccessorID: string;
    SecretID: string;
    Description: string;
    Policies: { Name: string }[];
}

export interface FakeKvEntry {
    readonly value: Buffer;
    readonly createIndex: number;
    readonly modifyIndex: number;
}

/** How the server listens, for tests of the client's connections and for the engine tick benchmark. */
export interface FakeConsulServerOptions {
    /** Serve HTTPS with this key and certificate, as Consul's API does (8501), instead of HTTP. */
    readonly tls?: { readonly key: string; readonly cert: string };
    /** Answer each request this many milliseconds after it arrived (a server across a network). Default 0. */
    readonly latencyMs?: number;
}

/** What the server saw of its clients' connections. */
export interface FakeConsulTraffic {
    /** Connections opened (TLS: handshakes completed). */
    connections: number;
    /** Requests being answered now, and the most at once so far. */
    inFlight: number;
    maxInFlight: number;
}

export interface FakeConsul {
    readonly address: string;
    readonly state: FakeConsulState;
    readonly traffic: FakeConsulTraffic;
    /** Raises the Raft index and returns it, for a fixture that writes `state` directly. */
    nextIndex(): number;
    /** Answers one request in-process, as the server would (not logged in `state.requests`): how the engine driver calls it. */
    answer(method: string, url: URL, token: string | undefined, body: Buffer): ConsulAnswer;
    close(): Promise<void>;
}

/** One answer of the model: the status, the body (JSON unless `type` says otherwise) and its type. */
export interface ConsulAnswer {
    readonly status: number;
    readonly payload: unknown;
    readonly type: string;
}

/**
 * The documented behaviour above as an in-memory model, without a socket: what the loopback server
 * answers, and what tests that need many thousands of calls (the engine's fault-injection test)
 * call directly. Still NOT Consul.
 */
export interface ConsulModel {
    readonly state: FakeConsulState;
    /** Raises the Raft index and returns it, for a fixture that writes `state` directly. */
    nextIndex(): number;
    /** Answers one request as the HTTP API would: `token` is the X-Consul-Token header. */
    answer(method: string, url: URL, token: string | undefined, body: Buffer): ConsulAnswer;
}

export function consulModel(initial: Partial<Omit<FakeConsulState, "requests">> = {}): ConsulModel {
    const state: FakeConsulState = {
        leader: "10.40.1.10:8300",
        tokens: ["management-token"],
        instances: [],
        aclTokens: [],
        faults: [],
        ...initial,
        kv: new Map(),
        config: new Map(),
        requests: [],
    };
    let raftIndex = 10;
    const answer = (method: string, url: URL, token: string | undefined, body: Buffer): ConsulAnswer => {
        const send = (status: number, payload: unknown, type = "application/json"): ConsulAnswer => ({ status, payload, type });
        const fault = state.faults.find((f) => f.times > 0 && `${method} ${url.pathname}`.startsWith(f.prefix));
        if (fault) {
            fault.times--;
            return send(fault.status, "injected fault", "text/plain");
        }
        if (url.pathname === "/v1/status/leader") {
            return send(200, state.leader);
        }
        const own = state.aclTokens.find((t) => t.SecretID === token);
        if (url.pathname === "/v1/acl/token/self" && own) {
            return send(200, own);
        }
        if (typeof token !== "string" || !state.tokens.includes(token)) {
            return send(403, "ACL not found", "text/plain");
        }
        if (url.pathname === "/v1/acl/token/self") {
            return send(200, { AccessorID: "fake-accessor", SecretID: token, Description: "Initial Management Token", Policies: [{ Name: "global-management" }] });
        }
        const health = /^\/v1\/health\/service\/([^/]+)$/.exec(url.pathname);
        if (health) {
            const service = decodeURIComponent(health[1]);
            const onlyPassing = url.searchParams.has("passing") && url.searchParams.get("passing") !== "false";
            const filter = url.searchParams.get("filter");
            const version = filter ? /^Service\.Meta\.version == "([^"]*)"$/.exec(filter)?.[1] : undefined;
            if (filter && version === undefined) {
                return send(400, `Failed to create boolean expression evaluator: unsupported filter ${filter}`, "text/plain");
            }
            const entries = state.instances
                .filter((i) => i.service === service && (version === undefined || i.version === version) && (!onlyPassing || i.status === "passing"))
                .map((i, n) => ({
                    Node: { Node: "ecs-cluster", Address: `10.40.2.${n + 10}` },
                    Service: { ID: `${service}-${n}`, Service: service, Meta: { version: i.version }, Port: 9090 },
                    Checks: [{ CheckID: `${service}-${n}-app`, Status: i.status }],
                }));
            return send(200, entries);
        }
        const tokenPath = /^\/v1\/acl\/token(?:\/([^/]+))?$/.exec(url.pathname);
        if (tokenPath && (method === "PUT" || method === "DELETE")) {
            return send(...aclTokenWrite(state, method, tokenPath[1] && decodeURIComponent(tokenPath[1]), body.toString("utf8")));
        }
        const kv = /^\/v1\/kv\/(.*)$/.exec(url.pathname);
        if (kv) {
            return answerKv(decodeURIComponent(kv[1]), method, url.searchParams, body, send);
        }
        if (url.pathname === "/v1/config" && method === "PUT") {
            const entry = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
            const id = `${String(entry.Kind)}/${String(entry.Name)}`;
            const previous = state.config.get(id);
            // `?cas=<index>`: 0 stores only a new entry, otherwise only over that ModifyIndex; a
            // mismatch answers false and stores nothing (Consul's config API documentation).
            const cas = url.searchParams.get("cas");
            if (cas !== null && (cas === "0" ? previous !== undefined : previous?.ModifyIndex !== Number(cas))) {
                return send(200, false);
            }
            raftIndex++;
            state.config.set(id, { ...entry, CreateIndex: previous?.CreateIndex ?? raftIndex, ModifyIndex: raftIndex });
            return send(200, true);
        }
        const config = /^\/v1\/config\/([^/]+)\/([^/]+)$/.exec(url.pathname);
        if (config && method === "GET") {
            const entry = state.config.get(`${config[1]}/${decodeURIComponent(config[2])}`);
            return entry ? send(200, entry) : send(404, `Config entry not found for "${config[1]}" / "${config[2]}"`, "text/plain");
        }
        return send(404, `unknown path ${url.pathname}`, "text/plain");
    };
    const entryJson = (key: string, e: FakeKvEntry) => ({ Key: key, Value: e.value.length ? e.value.toString("base64") : null, CreateIndex: e.createIndex, ModifyIndex: e.modifyIndex, LockIndex: 0, Flags: 0 });
    const answerKv = (key: string, method: string, query: URLSearchParams, body: Buffer, send: (status: number, payload: unknown, type?: string) => ConsulAnswer): ConsulAnswer => {
        if (method === "PUT") {
            const existing = state.kv.get(key);
            const cas = query.get("cas");
            if (cas !== null && (cas === "0" ? existing !== undefined : existing?.modifyIndex !== Number(cas))) {
                return send(200, false);
            }
            raftIndex++;
            state.kv.set(key, { value: body, createIndex: existing?.createIndex ?? raftIndex, modifyIndex: raftIndex });
            return send(200, true);
        }
        if (method === "DELETE") {
            const existing = state.kv.get(key);
            const cas = query.get("cas");
            if (cas !== null && existing?.modifyIndex !== Number(cas)) {
                return send(200, false);
            }
            raftIndex++;
            for (const k of [...state.kv.keys()].filter((k) => (query.has("recurse") ? k.startsWith(key) : k === key))) {
                state.kv.delete(k);
            }
            return send(200, true);
        }
        const matching = [...state.kv.entries()].filter(([k]) => (query.has("recurse") || query.has("keys") ? k.startsWith(key) : k === key)).sort(([a], [b]) => (a < b ? -1 : 1));
        if (matching.length === 0) {
            return send(404, "", "text/plain");
        }
        return send(200, query.has("keys") ? matching.map(([k]) => k) : matching.map(([k, e]) => entryJson(k, e)));
    };
    return { state, nextIndex: () => ++raftIndex, answer };
}

export async function startFakeConsul(initial: Partial<Omit<FakeConsulState, "requests">> = {}, options: FakeConsulServerOptions = {}): Promise<FakeConsul> {
    const model = consulModel(initial);
    const state = model.state;
    const traffic: FakeConsulTraffic = { connections: 0, inFlight: 0, maxInFlight: 0 };
    const answer = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        state.requests.push(`${req.method} ${url.pathname}${url.search}`);
        const token = req.headers["x-consul-token"];
        const { status, payload, type } = model.answer(req.method ?? "GET", url, typeof token === "string" ? token : undefined, body);
        res.writeHead(status, { "Content-Type": type });
        res.end(type === "application/json" ? JSON.stringify(payload) : String(payload));
    };
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const chunks: Buffer[] = [];
        traffic.inFlight++;
        traffic.maxInFlight = Math.max(traffic.maxInFlight, traffic.inFlight);
        res.on("close", () => traffic.inFlight--);
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            if (options.latencyMs) {
                setTimeout(() => answer(req, res, Buffer.concat(chunks)), options.latencyMs);
            } else {
                answer(req, res, Buffer.concat(chunks));
            }
        });
    };
    const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener) : http.createServer(listener);
    server.on(options.tls ? "secureConnection" : "connection", () => traffic.connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        address: `127.0.0.1:${port}`,
        state,
        traffic,
        nextIndex: model.nextIndex,
        answer: model.answer,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

let accessorCounter = 0;

/** Consul's token writes: create (PUT /v1/acl/token), update (PUT .../<AccessorID>), delete. */
function aclTokenWrite(state: FakeConsulState, method: string, accessor: string | undefined, raw: string): [number, unknown, string?] {
    if (method === "DELETE") {
        const index = state.aclTokens.findIndex((t) => t.AccessorID === accessor);
        if (index < 0) {
            return [404, "ACL not found", "text/plain"];
        }
        state.aclTokens.splice(index, 1);
        return [200, true];
    }
    const body = JSON.parse(raw || "{}") as Partial<FakeAclToken>;
    const fields = { Description: body.Description ?? "", Policies: (body.Policies ?? []).map((p) => ({ Name: p.Name })) };
    if (accessor === undefined) {
        if (body.SecretID && state.aclTokens.some((t) => t.SecretID === body.SecretID)) {
            return [500, "Invalid Token: SecretID is already in use", "text/plain"];
        }
        const created = { AccessorID: body.AccessorID ?? `accessor-${++accessorCounter}`, SecretID: body.SecretID ?? `secret-${accessorCounter}`, ...fields };
        state.aclTokens.push(created);
        return [200, created];
    }
    const existing = state.aclTokens.find((t) => t.AccessorID === accessor);
    if (!existing) {
        return [403, "Cannot find token to update", "text/plain"];
    }
    Object.assign(existing, fields);
    return [200, existing];
}
