// The CONSUL_ECS_CONFIG_JSON documents consul-ecs 0.10 reads (docs/platform-facts.md#the-consul-ecs-config): one per mesh
// service task and colour, one for the API gateway's tasks and one for the controller. Pure: plain
// data in, plain documents out; the tests validate every one against consul-ecs's own JSON Schema.
import { GATEWAY_LISTENER } from "../../shared/ports";
import { API_GATEWAY_NAME, COLOUR_META_KEY, CONSUL_ECS_ROLE_PATH, IAM_AUTH_METHOD } from "../../shared/meshNames";
import type { Colour, ServiceConfig } from "../../config";

/** Where the `consul_data` volume is mounted: mesh-init writes the dataplane's config and its own binary here. */
export const BOOTSTRAP_DIR = "/consul";

/** How a task reaches the servers, with every output resolved. */
export interface ConsulServerFacts {
    /** A DNS name, an IP or `exec=<command>`; never a scheme or a port. */
    readonly hosts: string;
    /** The name the server certificate carries (`server.<dc>.consul`), sent as SNI. */
    readonly tlsServerName: string;
    readonly httpsPort: number;
    readonly grpcPort: number;
}

export interface ConsulServersDocument {
    readonly hosts: string;
    readonly defaults: { readonly tls: boolean; readonly tlsServerName: string };
    readonly http: { readonly https: boolean; readonly port: number };
    readonly grpc: { readonly port: number };
}

interface UpstreamDocument {
    readonly destinationName: string;
    readonly localBindPort: number;
}

/** The subset of consul-ecs's config this program writes (the schema rejects unknown keys). */
export interface ConsulEcsConfig {
    readonly bootstrapDir: string;
    readonly consulServers: ConsulServersDocument;
    readonly consulLogin?: { readonly enabled: boolean; readonly method: string };
    readonly service?: { readonly name: string; readonly port: number; readonly meta: Readonly<Record<string, string>> };
    readonly proxy?: { readonly upstreams: readonly UpstreamDocument[] };
    readonly gateway?: { readonly kind: "api-gateway"; readonly name: string; readonly lanAddress: { readonly port: number } };
    readonly transparentProxy?: { readonly enabled: boolean };
    readonly healthSyncContainers?: readonly string[];
    readonly controller?: { readonly iamRolePath: string };
}

/**
 * `consulServers` with every default that would otherwise bite written out: TLS on both ports, the
 * ports themselves, and the SNI name (without it the dataplane refuses an `exec=` or load-balancer host).
 */
export function consulServersDocument(servers: ConsulServerFacts): ConsulServersDocument {
    const hosts = servers.hosts.trim();
    if (hosts === "") {
        throw new Error("consulServers.hosts is empty; the server cluster must hand over a DNS name, an IP or an exec= command");
    }
    if (!hosts.startsWith("exec=") && (/^[a-z][a-z0-9+.-]*:\/\//i.test(hosts) || /:\d+$/.test(hosts))) {
        throw new Error(`consulServers.hosts ${JSON.stringify(hosts)} carries a scheme or a port; consul-ecs wants a bare DNS name or IP (ports are set separately)`);
    }
    return {
        hosts,
        defaults: { tls: true, tlsServerName: servers.tlsServerName },
        http: { https: true, port: servers.httpsPort },
        grpc: { port: servers.grpcPort },
    };
}

const LOGIN = { enabled: true, method: IAM_AUTH_METHOD } as const;
// Absent means enabled, and mesh-init then needs NET_ADMIN, which Fargate never grants.
const NO_TRANSPARENT_PROXY = { enabled: false } as const;

/**
 * The document of one colour of a service. Both colours register the same `service.name`; only
 * `service.meta.version` tells them apart, which is what the resolver's subsets filter on.
 */
export function serviceTaskConfig(
    service: ServiceConfig,
    colour: Colour,
    servers: ConsulServerFacts,
    healthSyncContainers: readonly string[],
): ConsulEcsConfig {
    return {
        bootstrapDir: BOOTSTRAP_DIR,
        consulServers: consulServersDocument(servers),
        consulLogin: LOGIN,
        service: { name: service.name, port: service.port, meta: { [COLOUR_META_KEY]: colour } },
        ...(service.upstreams.length > 0
            ? { proxy: { upstreams: service.upstreams.map((u) => ({ destinationName: u.service, localBindPort: u.localPort })) } }
            : {}),
        transparentProxy: NO_TRANSPARENT_PROXY,
        healthSyncContainers: [...healthSyncContainers],
    };
}

/** The document of the API gateway's tasks: a gateway registration instead of a service and proxy. */
export function gatewayTaskConfig(servers: ConsulServerFacts): ConsulEcsConfig {
    return {
        bootstrapDir: BOOTSTRAP_DIR,
        consulServers: consulServersDocument(servers),
        consulLogin: LOGIN,
        gateway: { kind: "api-gateway", name: API_GATEWAY_NAME, lanAddress: { port: GATEWAY_LISTENER.port } },
        transparentProxy: NO_TRANSPARENT_PROXY,
        // No application container: the gateway's health is its dataplane's.
        healthSyncContainers: [],
    };
}

/**
 * The controller's document. It logs in with its own token (CONSUL_HTTP_TOKEN), not the auth
 * method it creates; `iamRolePath` is the path that auth method will trust.
 */
export function controllerConfig(servers: ConsulServerFacts): ConsulEcsConfig {
    return {
        bootstrapDir: BOOTSTRAP_DIR,
        consulServers: consulServersDocument(servers),
        controller: { iamRolePath: CONSUL_ECS_ROLE_PATH },
    };
}
