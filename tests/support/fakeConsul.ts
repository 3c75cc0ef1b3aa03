// A loopback HTTP server that answers the Consul HTTP API calls this project makes, in the response
// format Consul documents (status/leader: a JSON string; acl/token/self: a token object, 403 with a
// plain-text reason for a bad token; health/service: a list of { Node, Service, Checks } entries,
// with `passing` and `filter` applied; PUT acl/token creates a token, with the SecretID given or a new
// one, and refuses a SecretID in use; PUT and DELETE acl/token/<AccessorID> update and delete one). It is NOT Consul: it exists so that our thin axios code can
// be tested on this machine, where no Consul runs.
import * as http from "http";
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
    /** ACL tokens created through the API (the management tokens above are not listed here). */
    aclTokens: FakeAclToken[];
    /** Requests seen, as "METHOD path?query". */
    readonly requests: string[];
}

export interface FakeAclToken {
    AccessorID: string;
    SecretID: string;
    Description: string;
    Policies: { Name: string }[];
}

export interface FakeConsul {
    readonly address: string;
    readonly state: FakeConsulState;
    close(): Promise<void>;
}

export async function startFakeConsul(initial: Partial<Omit<FakeConsulState, "requests">> = {}): Promise<FakeConsul> {
    const state: FakeConsulState = { leader: "10.40.1.10:8300", tokens: ["management-token"], instances: [], aclTokens: [], ...initial, requests: [] };
    const server = http.createServer((req, res) => {
        let raw = "";
        req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
        req.on("end", () => answer(req, raw, res));
    });
    function answer(req: http.IncomingMessage, raw: string, res: http.ServerResponse) {
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
        const tokenPath = /^\/v1\/acl\/token(?:\/([^/]+))?$/.exec(url.pathname);
        if (tokenPath && (req.method === "PUT" || req.method === "DELETE")) {
            return send(...aclTokenWrite(state, req.method, tokenPath[1] && decodeURIComponent(tokenPath[1]), raw));
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
        send(404, `unknown path ${url.pathname}`, "text/plain");
    }
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        address: `127.0.0.1:${port}`,
        state,
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
