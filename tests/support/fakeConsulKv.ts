// The Consul KV and config-entry endpoints of the loopback fake Consul (fakeConsul.ts), in the
// formats Consul documents: GET /v1/kv/<key> answers a JSON list of { Key, Value (base64), Flags,
// CreateIndex, ModifyIndex, LockIndex } or 404 with an empty body; ?recurse answers every key under
// the prefix, ?keys only their names; PUT /v1/kv/<key>?cas=<index> stores the raw body only when the
// key's ModifyIndex is <index> (0: only when absent) and answers `true` or `false`; DELETE takes
// ?cas and ?recurse the same way. GET /v1/config/<kind>/<name> answers the entry with its indexes,
// or 404 "Config entry not found for ..."; PUT /v1/config stores an entry and answers `true`. Every
// answer carries X-Consul-Index. It is NOT Consul: it exists to test our thin HTTP code.
import * as http from "http";

export interface FakeKvEntry {
    value: Buffer;
    flags: number;
    createIndex: number;
    modifyIndex: number;
}

export interface FakeKvStore {
    readonly kv: Map<string, FakeKvEntry>;
    /** Config entries by `<kind>/<name>`, as written (with CreateIndex and ModifyIndex added). */
    readonly configEntries: Map<string, Record<string, unknown>>;
    /** The Raft index: rises on every write. */
    index: number;
}

export function newKvStore(): FakeKvStore {
    return { kv: new Map(), configEntries: new Map(), index: 1 };
}

/** Writes `key` as a test fixture would through PUT (no CAS). */
export function putKv(store: FakeKvStore, key: string, value: string | object): void {
    const body = Buffer.from(typeof value === "string" ? value : JSON.stringify(value));
    const existing = store.kv.get(key);
    store.index++;
    store.kv.set(key, { value: body, flags: 0, createIndex: existing?.createIndex ?? store.index, modifyIndex: store.index });
}

/** The JSON stored at `key`, or undefined. */
export function readKv<T>(store: FakeKvStore, key: string): T | undefined {
    const entry = store.kv.get(key);
    return entry ? (JSON.parse(entry.value.toString("utf8")) as T) : undefined;
}

/** Answers a KV or config-entry request; false when the path is not one of those. */
export function answerKvOrConfig(store: FakeKvStore, req: http.IncomingMessage, url: URL, body: Buffer, res: http.ServerResponse): boolean {
    const send = (status: number, payload: unknown, type = "application/json") => {
        res.writeHead(status, { "Content-Type": type, "X-Consul-Index": String(store.index) });
        res.end(payload === undefined ? "" : type === "application/json" ? JSON.stringify(payload) : String(payload));
    };
    const kvKey = /^\/v1\/kv\/(.*)$/.exec(url.pathname);
    if (kvKey) {
        answerKv(store, req.method ?? "GET", decodeURIComponent(kvKey[1]), url.searchParams, body, send);
        return true;
    }
    const entry = /^\/v1\/config\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (entry && req.method === "GET") {
        const [kind, name] = [decodeURIComponent(entry[1]), decodeURIComponent(entry[2])];
        const found = store.configEntries.get(`${kind}/${name}`);
        if (found) {
            send(200, found);
        } else {
            send(404, `Config entry not found for "${kind}" / "${name}"`, "text/plain");
        }
        return true;
    }
    if (url.pathname === "/v1/config" && req.method === "PUT") {
        const written = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
        const key = `${String(written.Kind)}/${String(written.Name)}`;
        const existing = store.configEntries.get(key);
        store.index++;
        store.configEntries.set(key, { ...written, CreateIndex: existing?.CreateIndex ?? store.index, ModifyIndex: store.index });
        send(200, true);
        return true;
    }
    return false;
}

function answerKv(store: FakeKvStore, method: string, key: string, params: URLSearchParams, body: Buffer, send: (status: number, payload: unknown, type?: string) => void): void {
    const cas = params.has("cas") ? Number(params.get("cas")) : undefined;
    const recurse = params.has("recurse");
    if (method === "GET") {
        const matches = [...store.kv.entries()].filter(([k]) => (recurse || params.has("keys") ? k.startsWith(key) : k === key)).sort(([a], [b]) => a.localeCompare(b));
        if (matches.length === 0) {
            return send(404, undefined, "text/plain");
        }
        if (params.has("keys")) {
            return send(200, matches.map(([k]) => k));
        }
        return send(
            200,
            matches.map(([k, e]) => ({ LockIndex: 0, Key: k, Flags: e.flags, Value: e.value.length === 0 ? null : e.value.toString("base64"), CreateIndex: e.createIndex, ModifyIndex: e.modifyIndex })),
        );
    }
    const existing = store.kv.get(key);
    if (cas !== undefined && (cas === 0 ? existing !== undefined : existing?.modifyIndex !== cas)) {
        return send(200, false);
    }
    if (method === "PUT") {
        store.index++;
        store.kv.set(key, { value: body, flags: Number(params.get("flags") ?? 0), createIndex: existing?.createIndex ?? store.index, modifyIndex: store.index });
        return send(200, true);
    }
    if (method === "DELETE") {
        store.index++;
        for (const k of [...store.kv.keys()]) {
            if (recurse ? k.startsWith(key) : k === key) {
                store.kv.delete(k);
            }
        }
        return send(200, true);
    }
    send(405, `method ${method} not allowed`, "text/plain");
}
