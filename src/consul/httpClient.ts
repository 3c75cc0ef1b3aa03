// How every Consul client of this program connects (consulAxios: the stack's CA, the token, a
// timeout, no proxy), the error they all throw, and three reads: the leader, the token's own
// identity, and the passing instances of one colour of a service. The readiness wait reads through
// it, and the split guard and the rollout engine count passing instances through it, so both count
// them the same way. The engine's KV and splitter calls (src/rollout/consulApi.ts, which the flip
// client uses too) and the preset tokens (presetToken.ts) use its connection.
import axios, { AxiosError, AxiosInstance, InternalAxiosRequestConfig } from "axios";
import * as http from "http";
import * as https from "https";
import type { ConsulApiAccess } from "../shared/consulApi";

/** The shared shape (src/shared/consulApi.ts), with the CA, the token and the server name optional. */
export interface ConsulHttpOptions extends Partial<ConsulApiAccess> {
    readonly address: string;
    /** `https` (default) or `http` (tests against a loopback server only). */
    readonly scheme?: "https" | "http";
    /** Per-request timeout in milliseconds. Default 5000. */
    readonly timeoutMs?: number;
}

/** A Consul API answer that was not what the caller needed, with the HTTP status when there was one. */
export class ConsulHttpError extends Error {
    constructor(
        message: string,
        readonly status?: number,
    ) {
        super(message);
        // Explicit, because the readiness wait's dynamic provider is serialized by Pulumi, which turns
        // super(message) into Error.call(this, message): that sets no message on the instance.
        this.message = message;
        this.name = "ConsulHttpError";
    }
}

interface TokenIdentity {
    readonly accessorId: string;
    readonly description: string;
}

export interface ConsulHttpClient {
    /** The leader's `ip:port`, or "" while the cluster has none (GET /v1/status/leader). */
    leader(): Promise<string>;
    /** The token's own identity (GET /v1/acl/token/self); throws ConsulHttpError 403 on a bad token. */
    tokenSelf(): Promise<TokenIdentity>;
    /** Instances of `service` whose meta.version is `colour` and whose checks all pass. */
    passingInstances(service: string, colour: string): Promise<number>;
}

/**
 * Connections one client keeps to Consul at most. Calls beyond it queue in the agent: the rollout
 * engine observes services in parallel (src/rollout/handler.ts), and this bounds what one tick asks
 * of the servers at a time.
 */
export const CONSUL_MAX_SOCKETS = 16;

/**
 * How long an idle connection is kept. Shorter than an idle TCP flow lives in the internal Network
 * Load Balancer in front of the servers (350 s), so the client closes a connection before the load
 * balancer forgets it; a tick reuses its connections within this time.
 */
const CONSUL_IDLE_SOCKET_MS = 30_000;

/**
 * The axios instance every Consul client of this program uses: TLS with the stack's CA, the token,
 * no proxy, and connections kept alive and reused (one TLS handshake per connection, not per call),
 * at most CONSUL_MAX_SOCKETS at a time.
 */
export function consulAxios(options: ConsulHttpOptions): AxiosInstance {
    const scheme = options.scheme ?? "https";
    const pool = { keepAlive: true, maxSockets: CONSUL_MAX_SOCKETS, maxFreeSockets: CONSUL_MAX_SOCKETS, timeout: CONSUL_IDLE_SOCKET_MS };
    const agent = scheme === "https" ? new https.Agent({ ...pool, ca: options.caCertPem, servername: options.tlsServerName }) : new http.Agent(pool);
    const client = axios.create({
        baseURL: `${scheme}://${options.address}`,
        timeout: options.timeoutMs ?? 5000,
        headers: options.token ? { "X-Consul-Token": options.token } : {},
        ...(scheme === "https" ? { httpsAgent: agent } : { httpAgent: agent }),
        // Every status is returned to the caller, which decides what it means; Consul's API does not
        // redirect, and without redirects axios sends through Node's own request (its reusedSocket below).
        validateStatus: () => true,
        maxRedirects: 0,
        proxy: false,
    });
    // A kept-alive connection the other end closed while it sat idle (a Lambda frozen between two
    // ticks, the load balancer's idle timeout) fails the next request sent on it with ECONNRESET
    // (Node's http documentation, request.reusedSocket). The other idle connections sat as long, so
    // they are closed too, and the request is sent once more, on a new connection. A write that
    // Consul did apply before the reset answers `false` the second time (every write of the engine
    // is a check-and-set), which its caller reads as a lost race.
    client.interceptors.response.use(undefined, (err: AxiosError) => {
        const config = err.config as (InternalAxiosRequestConfig & { resentOnNewSocket?: boolean }) | undefined;
        const reused = (err.request as { reusedSocket?: boolean } | undefined)?.reusedSocket === true;
        if (config && !config.resentOnNewSocket && reused && (err.code === "ECONNRESET" || err.code === "EPIPE")) {
            config.resentOnNewSocket = true;
            for (const idle of Object.values(agent.freeSockets)) {
                idle?.forEach((socket) => socket.destroy());
            }
            return client.request(config);
        }
        throw err;
    });
    return client;
}

/** @param client the axios instance to call through (default a new one): pass one to share its connections. */
export function consulHttpClient(options: ConsulHttpOptions, client: AxiosInstance = consulAxios(options)): ConsulHttpClient {
    async function get<T>(path: string, params?: Record<string, string>): Promise<T> {
        let response;
        try {
            response = await client.get<T>(path, { params });
        } catch (err) {
            throw new ConsulHttpError(`GET ${path} on ${options.address} failed: ${(err as Error).message}`);
        }
        if (response.status !== 200) {
            const body = typeof response.data === "string" ? response.data.trim() : JSON.stringify(response.data);
            throw new ConsulHttpError(`GET ${path} on ${options.address} answered ${response.status}: ${body}`, response.status);
        }
        return response.data;
    }

    return {
        async leader() {
            const data = await get<unknown>("/v1/status/leader");
            return typeof data === "string" ? data : "";
        },
        async tokenSelf() {
            const data = await get<{ AccessorID?: string; Description?: string }>("/v1/acl/token/self");
            return { accessorId: data.AccessorID ?? "", description: data.Description ?? "" };
        },
        async passingInstances(service, colour) {
            const entries = await get<unknown[]>(`/v1/health/service/${encodeURIComponent(service)}`, {
                passing: "true",
                filter: `Service.Meta.version == ${JSON.stringify(colour)}`,
            });
            if (!Array.isArray(entries)) {
                throw new ConsulHttpError(`GET /v1/health/service/${service} on ${options.address} did not answer a list`);
            }
            return entries.length;
        },
    };
}
