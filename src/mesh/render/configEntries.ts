// The bodies of every Consul config entry this program writes, built from plain stack config.
//
// Pure: no Pulumi runtime, no I/O. TrafficPolicy and MeshDefaults pass these bodies to
// @pulumi/consul 3.15 unchanged, so the tests of this module are the tests of what Consul receives.
// Field names follow the provider's Args types (camelCase); `configJson` documents (api-gateway,
// http-route, proxy-defaults) use Consul's own field names.
import { GATEWAY_LISTENER } from "../../shared/ports";
import { API_GATEWAY_NAME, COLOUR_HEADER, COLOUR_META_KEY, stickyServiceName } from "../../shared/meshNames";
import { COLOURS, Colour, HttpMethod, RetryCondition, ServiceConfig } from "../../config";
import { goDuration } from "../../config/resilience";
import { compiledPolicies, CompiledMatcher, gatewayRules } from "./resilience";
import { stickyLanes } from "./sticky";
import { accessLogsConfig } from "./accessLog";

/**
 * Router destinations: the provider parses both durations unconditionally, and an empty one fails
 * with `time: invalid duration ""`. "0s" is Consul's "not set": the resolver's timeouts apply.
 */
const ROUTE_INHERITED_TIMEOUT = "0s";

/** Consul computes this precedence for an exact source name on an exact destination name. */
const EXACT_INTENTION_PRECEDENCE = 9;

interface ResolverSubsetBody {
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

interface SplitBody {
    service: string;
    serviceSubset: Colour;
    weight: number;
}

export interface ServiceSplitterBody {
    name: string;
    splits: SplitBody[];
}

interface HeaderMatchBody {
    name: string;
    exact?: string;
    regex?: string;
}

interface RouteMatchBody {
    http: { pathPrefix?: string; headers?: HeaderMatchBody[]; methods?: HttpMethod[] };
}

interface RouteDestinationBody {
    service: string;
    serviceSubset?: Colour;
    requestTimeout: string;
    idleTimeout: string;
    numRetries?: number;
    retryOns?: RetryCondition[];
    retryOnStatusCodes?: number[];
}

interface RouteBody {
    match: RouteMatchBody;
    destination: RouteDestinationBody;
}

export interface ServiceRouterBody {
    name: string;
    routes: RouteBody[];
}

interface IntentionSourceBody {
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

/**
 * Protocol for the service (a splitter or router is rejected for a service that is not HTTP-like),
 * and how this service's sidecar treats each upstream that asks for outlier ejection or connection
 * limits: Consul applies them on the caller's side (UpstreamConfig.Overrides), so a service's
 * `resilience.outlierDetection` and `connectionLimits` land in the service-defaults of every service
 * that lists it as an upstream.
 *
 * A generic `consul.ConfigEntry`, not the typed ConfigEntryServiceDefaults: the typed resource of
 * @pulumi/consul 3.15 (terraform-provider-consul at consul/api 1.32.1) dereferences UpstreamConfig's
 * Defaults, Limits and PassiveHealthCheck without checking them when it reads the entry back, and
 * crashes on any entry that sets some of them (hashicorp/terraform-provider-consul#381).
 */
export function serviceDefaults(service: ServiceConfig, services: readonly ServiceConfig[] = []): GenericConfigEntry {
    const overrides = service.upstreams
        .map((u) => services.find((s) => s.name === u.service))
        .filter((callee): callee is ServiceConfig => callee !== undefined)
        .filter((callee) => callee.resilience.outlierDetection !== undefined || callee.resilience.connectionLimits !== undefined)
        .map((callee) => upstreamOverride(callee));
    return {
        kind: "service-defaults",
        name: service.name,
        configJson: JSON.stringify({ Protocol: service.protocol, ...(overrides.length > 0 ? { UpstreamConfig: { Overrides: overrides } } : {}) }),
    };
}

function upstreamOverride(callee: ServiceConfig): Record<string, unknown> {
    const { outlierDetection: outlier, connectionLimits: limits } = callee.resilience;
    return {
        Name: callee.name,
        ...(outlier
            ? {
                  PassiveHealthCheck: {
                      Interval: goDuration(outlier.intervalMs),
                      MaxFailures: outlier.consecutive5xx,
                      EnforcingConsecutive5xx: outlier.enforcingPercent,
                      MaxEjectionPercent: outlier.maxEjectionPercent,
                      BaseEjectionTime: goDuration(outlier.baseEjectionTimeMs),
                  },
              }
            : {}),
        ...(limits
            ? {
                  Limits: {
                      ...(limits.maxConnections !== undefined ? { MaxConnections: limits.maxConnections } : {}),
                      ...(limits.maxPendingRequests !== undefined ? { MaxPendingRequests: limits.maxPendingRequests } : {}),
                      ...(limits.maxConcurrentRequests !== undefined ? { MaxConcurrentRequests: limits.maxConcurrentRequests } : {}),
                  },
              }
            : {}),
    };
}

/**
 * The service's `resilience.timeouts` (written as Go writes durations: the provider reads them back
 * that way, and "60s" would come back "1m0s" and diff on every preview), and both colours as
 * subsets, always, whatever the weights: only the splitter moves during a flip, so
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
        connectTimeout: goDuration(service.resilience.connectTimeoutMs),
        requestTimeout: goDuration(service.resilience.requestTimeoutMs),
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
 * The routes of the service's router, first match wins. Three lanes, in this order:
 * - `x-bluegreen-color: <colour>` goes straight to that colour's subset, past the splitter, so the
 *   idle colour can be tested before it gets any weight;
 * - with `rollout.sticky`, the mesh's cookie naming a colour goes to that colour's sticky virtual
 *   service, whose splitter the rollout engine pins to the colour during a rollout only;
 * - everything else goes to the splitter (the implicit catch-all, or an explicit route where a
 *   setting needs one).
 * Within each lane come the service's `resilience.routes` in the stack file's order, then its
 * service-wide retries, so every lane applies the same timeouts and retries. A service that sets
 * nothing gets the two header routes it always had, with the resolver's timeouts ("0s").
 */
export function serviceRouter(service: ServiceConfig): ServiceRouterBody {
    const lanes: { headers: HeaderMatchBody[]; service: string; subset?: Colour }[] = [
        ...COLOURS.map((colour) => ({ headers: [{ name: COLOUR_HEADER, exact: colour }], service: service.name, subset: colour })),
        ...(service.rollout.sticky ? stickyLanes(service.name).map((lane) => ({ headers: [lane.cookie], service: lane.service })) : []),
    ];
    const policies = compiledPolicies(service.resilience);
    const route = (lane: { headers: HeaderMatchBody[]; service: string; subset?: Colour }, m: CompiledMatcher): RouteBody => {
        const headers = [...lane.headers, ...(m.header ? [{ name: m.header.name, exact: m.header.exact }] : [])];
        return {
            match: { http: { ...(m.pathPrefix ? { pathPrefix: m.pathPrefix } : {}), ...(headers.length > 0 ? { headers } : {}), ...(m.methods ? { methods: [...m.methods] } : {}) } },
            destination: {
                service: lane.service,
                ...(lane.subset ? { serviceSubset: lane.subset } : {}),
                requestTimeout: m.timeoutMs === undefined ? ROUTE_INHERITED_TIMEOUT : goDuration(m.timeoutMs),
                idleTimeout: ROUTE_INHERITED_TIMEOUT,
                ...(m.retries
                    ? {
                          numRetries: m.retries.count,
                          ...(m.retries.on.length > 0 ? { retryOns: [...m.retries.on] } : {}),
                          ...(m.retries.statusCodes.length > 0 ? { retryOnStatusCodes: [...m.retries.statusCodes] } : {}),
                      }
                    : {}),
            },
        };
    };
    const routes: RouteBody[] = [];
    for (const lane of lanes) {
        routes.push(...policies.flatMap((policy) => policy.matchers.map((m) => route(lane, m))));
    }
    // The splitter lane needs a route only where a setting differs from the implicit catch-all.
    const splitterLane = { headers: [], service: service.name };
    routes.push(...policies.flatMap((policy) => policy.matchers.filter((m) => !policy.serviceWide || m.retries !== undefined).map((m) => route(splitterLane, m))));
    return { name: service.name, routes };
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
            Rules: gatewayRules(service, service.route.pathPrefix).map((rule) => ({ ...rule, Services: [{ Name: service.name, Weight: 1 }] })),
        }),
    };
}

/**
 * A sticky colour's virtual service (`rollout.sticky`): HTTP, like the service, so Consul accepts
 * its splitter whatever the mesh-wide default protocol is. It has no instances of its own.
 */
export function stickyDefaults(service: ServiceConfig, colour: Colour): GenericConfigEntry {
    return { kind: "service-defaults", name: stickyServiceName(service.name, colour), configJson: JSON.stringify({ Protocol: service.protocol }) };
}

/**
 * The virtual service's splitter as Pulumi first writes it: at rest, everything to the service, so
 * the service's own splitter (the live split, whatever the stack file says) decides. From then on the
 * rollout engine is its one writer; it pins the colour during a rollout only.
 */
export function stickySplitter(service: ServiceConfig, colour: Colour): { name: string; splits: { service: string; weight: number }[] } {
    return { name: stickyServiceName(service.name, colour), splits: [{ service: service.name, weight: 100 }] };
}
