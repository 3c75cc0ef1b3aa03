// The bodies of every Consul config entry this program writes, built from plain stack config.
//
// Pure: no Pulumi runtime, no I/O. TrafficPolicy and MeshDefaults pass these bodies to
// @pulumi/consul 3.15 unchanged, so the tests of this module are the tests of what Consul receives.
// Field names follow the provider's Args types (camelCase); `configJson` documents (api-gateway,
// http-route, proxy-defaults) use Consul's own field names.
import { GATEWAY_LISTENER } from "../../shared/ports";
import { API_GATEWAY_NAME, COLOUR_HEADER, COLOUR_META_KEY } from "../../shared/meshNames";
import { COLOURS, Colour, ServiceConfig } from "../../config";
import { accessLogsConfig } from "./accessLog";

/**
 * Resolver timeouts, written canonically: the provider reads durations back in Go's format, and a
 * value like "60s" comes back as "1m0s", which would show a diff on every preview.
 */
export const RESOLVER_CONNECT_TIMEOUT = "5s";
export const RESOLVER_REQUEST_TIMEOUT = "15s";

/**
 * Router destinations: the provider parses both durations unconditionally, and an empty one fails
 * with `time: invalid duration ""`. "0s" is Consul's "not set": the resolver's timeouts apply.
 */
export const ROUTE_INHERITED_TIMEOUT = "0s";

/** Consul computes this precedence for an exact source name on an exact destination name. */
export const EXACT_INTENTION_PRECEDENCE = 9;

export interface ServiceDefaultsBody {
    name: string;
    protocol: string;
    /** Required by the provider; an empty expose block is Consul's default. */
    exposes: Record<string, never>[];
}

export interface ResolverSubsetBody {
    name: Colour;
    filter: string;
    onlyPassing: boolean;
}

export interface ServiceResolverBody {
    name: string;
    connectTimeout: string;
    requestTimeout: string;
    subsets: ResolverSubsetBody[];
}

export interface SplitBody {
    service: string;
    serviceSubset: Colour;
    weight: number;
}

export interface ServiceSplitterBody {
    name: string;
    splits: SplitBody[];
}

export interface RouteBody {
    match: { http: { headers: { name: string; exact: string }[] } };
    destination: { service: string; serviceSubset: Colour; requestTimeout: string; idleTimeout: string };
}

export interface ServiceRouterBody {
    name: string;
    routes: RouteBody[];
}

export interface IntentionSourceBody {
    name: string;
    type: "consul";
    action: "allow";
    precedence: number;
}

export interface ServiceIntentionsBody {
    name: string;
    sources: IntentionSourceBody[];
}

/** A `consul.ConfigEntry`: the kinds the provider has no typed resource for. */
export interface GenericConfigEntry {
    kind: string;
    name: string;
    configJson: string;
}

/** The filter that selects one colour's instances: the `version` meta each task registers with. */
export function colourFilter(colour: Colour): string {
    return `Service.Meta.${COLOUR_META_KEY} == ${JSON.stringify(colour)}`;
}

/** Protocol for the service: a splitter or router is rejected for a service that is not HTTP-like. */
export function serviceDefaults(service: ServiceConfig): ServiceDefaultsBody {
    return { name: service.name, protocol: service.protocol, exposes: [{}] };
}

/**
 * Both colours as subsets, always, whatever the weights: only the splitter moves during a flip, so
 * the resolver never changes with `traffic` (the flip's blast radius is the splitter alone).
 *
 * No `defaultSubset`. Consul applies DefaultSubset only to a reference that names no subset; here
 * every split names its colour and every header route names its colour, so on the live path it
 * changes nothing. It matters only while no splitter exists (between the resolver's and the
 * splitter's writes on first deploy, and after the splitter's delete on teardown). A fixed colour
 * there would send all traffic to that colour even when it runs no tasks (a service deployed green
 * first); the unnamed default subset sends it to any instance of either colour, which keeps serving
 * as long as one colour runs. The live colour is not an option: it would change the resolver on
 * every flip.
 */
export function serviceResolver(service: ServiceConfig): ServiceResolverBody {
    return {
        name: service.name,
        connectTimeout: RESOLVER_CONNECT_TIMEOUT,
        requestTimeout: RESOLVER_REQUEST_TIMEOUT,
        subsets: COLOURS.map((colour) => ({ name: colour, filter: colourFilter(colour), onlyPassing: true })),
    };
}

/** One split per colour, in a fixed order; weight 0 keeps the colour's split in place. */
export function serviceSplitter(service: ServiceConfig): ServiceSplitterBody {
    return {
        name: service.name,
        splits: COLOURS.map((colour) => ({ service: service.name, serviceSubset: colour, weight: service.traffic[colour] })),
    };
}

/**
 * `x-bluegreen-color: <colour>` goes straight to that colour's subset, past the splitter, so the
 * idle colour can be tested before it gets any weight. Requests without the header match no route
 * and fall through to the splitter.
 */
export function serviceRouter(service: ServiceConfig): ServiceRouterBody {
    return {
        name: service.name,
        routes: COLOURS.map((colour) => ({
            match: { http: { headers: [{ name: COLOUR_HEADER, exact: colour }] } },
            destination: {
                service: service.name,
                serviceSubset: colour,
                requestTimeout: ROUTE_INHERITED_TIMEOUT,
                idleTimeout: ROUTE_INHERITED_TIMEOUT,
            },
        })),
    };
}

/**
 * Who may call `service`: exactly the services that list it as an upstream, plus the API gateway
 * when the service has a route. Sorted by name: Consul keeps sources of equal precedence in the
 * order written, so a sorted list reads back unchanged whatever order the stack file lists
 * services in.
 */
export function allowedSources(service: ServiceConfig, services: readonly ServiceConfig[]): string[] {
    const callers = services.filter((s) => s.upstreams.some((u) => u.service === service.name)).map((s) => s.name);
    if (service.route) {
        callers.push(API_GATEWAY_NAME);
    }
    return [...new Set(callers)].sort();
}

/**
 * The service's intentions, or undefined when nothing may call it: Consul rejects an intentions
 * entry without sources, and with ACLs' default deny no entry already means "nobody".
 */
export function serviceIntentions(service: ServiceConfig, services: readonly ServiceConfig[]): ServiceIntentionsBody | undefined {
    const sources = allowedSources(service, services);
    if (sources.length === 0) {
        return undefined;
    }
    return {
        name: service.name,
        sources: sources.map((name) => ({ name, type: "consul", action: "allow", precedence: EXACT_INTENTION_PRECEDENCE })),
    };
}

/**
 * Mesh-wide proxy defaults: HTTP unless a service says otherwise, and Envoy access logs on stdout
 * (the dataplane container's log stream in CloudWatch) in the JSON format the mesh metrics read.
 */
export function proxyDefaults(): GenericConfigEntry {
    return {
        kind: "proxy-defaults",
        name: "global",
        configJson: JSON.stringify({
            Config: { protocol: "http" },
            AccessLogs: accessLogsConfig(),
        }),
    };
}

/** The API gateway and its one listener, which the gateway tasks and the public ALB use. */
export function apiGateway(): GenericConfigEntry {
    return {
        kind: "api-gateway",
        name: API_GATEWAY_NAME,
        configJson: JSON.stringify({
            Listeners: [{ Name: GATEWAY_LISTENER.name, Port: GATEWAY_LISTENER.port, Protocol: GATEWAY_LISTENER.protocol }],
        }),
    };
}

/**
 * One http-route per routed service, named after it: the service's path prefix on the gateway's
 * listener. Traffic through it resolves through the service's router and splitter, so blue/green
 * applies to internet traffic too. Weight 1 is what Consul normalises an unset weight to; writing it
 * keeps the read-back equal to what was written.
 */
export function httpRoute(service: ServiceConfig): GenericConfigEntry {
    if (!service.route) {
        throw new Error(`httpRoute: service ${service.name} has no route; set bluegreen:services.${service.name}.route.pathPrefix`);
    }
    return {
        kind: "http-route",
        name: service.name,
        configJson: JSON.stringify({
            Parents: [{ Kind: "api-gateway", Name: API_GATEWAY_NAME, SectionName: GATEWAY_LISTENER.name }],
            Rules: [
                {
                    Matches: [{ Path: { Match: "prefix", Value: service.route.pathPrefix } }],
                    Services: [{ Name: service.name, Weight: 1 }],
                },
            ],
        }),
    };
}
