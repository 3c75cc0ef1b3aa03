// A loopback HTTP server that answers the Consul HTTP API calls this project makes, in the response
// format Consul documents (status/leader: a JSON string; acl/token/self: a token object, 403 with a
// plain-text reason for a bad token; health/service: a list of { Node, Service, Checks } entries,
// with `passing` and `filter` applied; KV and config entries: fakeConsulKv.ts). It is NOT Consul: it exists so that our thin axios code can
// be tested on this machine, where no Consul runs.
import * as http from "http";
import { AddressInfo } from "net";
import { answerKvOrConfig, FakeKvStore, newKvStore } from "./fakeConsulKv";

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
    /** Requests seen, as "METHOD path?query". */
    readonly requests: string[];
}

export interface FakeConsul {
    readonly address: string;
    readonly state: FakeConsulState;
    /** KV and config entries (fakeConsulKv.ts). */
    readonly store: FakeKvStore;
    close(): Promise<void>;
}

export async function startFakeConsul(initial: Partial<Omit<FakeConsulState, "requests">> = {}): Promise<FakeConsul> {
    const state: FakeConsulState = { leader: "10.40.1.10:8300", tokens: ["management-token"], instances: [], ...initial, requests: [] };
    const store = newKvStore();
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => answer(req, Buffer.concat(chunks), res));
    });
    const answer = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        state.requests.push(`${req.method} ${url.pathname}${url.search}`);
        const send = (status: number, body: unknown, type = "application/json") => {
            res.writeHead(status, { "Content-Type": type });
            res.end(type === "application/json" ? JSON.stringify(body) : String(body));
        };
        if (url.pathname === "/v1/status/leader") {
            return send(200, state.leader);
        }
        const token = req.headers["x-consul-token"];
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
        if (answerKvOrConfig(store, req, url, body, res)) {
            return;
        }
        send(404, `unknown path ${url.pathname}`, "text/plain");
    };
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        address: `127.0.0.1:${port}`,
        state,
        store,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}
