// A service's `resilience` settings compiled into route matchers: what the service-router (inside
// the mesh) and the http-route (through the API gateway) write for each path rule. Pure.
//
// Retries are split by method so that a service that asks for retries never has a non-idempotent
// request replayed after it reached the service: the methods a policy names (by default the
// idempotent ones) retry on every condition it names, every other method retries only on the
// conditions that fire before the request was sent (PRE_REQUEST_CONDITIONS).
import { HTTP_METHODS, HttpMethod, ResilienceConfig, RetryPolicy, ServiceConfig } from "../../config";
import { goDuration, PRE_REQUEST_CONDITIONS, RESILIENCE_DEFAULTS } from "../../config/resilience";

/** One route's match and settings, before it is placed in a lane (colour header, cookie, splitter). */
export interface CompiledMatcher {
    readonly pathPrefix?: string;
    readonly header?: { readonly name: string; readonly exact: string };
    /** Undefined: every method the matchers before it left. */
    readonly methods?: readonly HttpMethod[];
    /** Undefined: the resolver's request timeout applies. */
    readonly timeoutMs?: number;
    readonly retries?: RetryPolicy;
}

export interface CompiledPolicy {
    /** The service-wide settings (no path of their own), compiled after every route rule. */
    readonly serviceWide: boolean;
    readonly matchers: readonly CompiledMatcher[];
}

/**
 * A rule's matchers: one without retries, or the retried methods with the whole policy and the rest
 * with the pre-request conditions only. Wherever a matcher retries, its timeout is written out (the
 * rule's, else the service's): the timeout bounds every attempt together, and the policy pack checks
 * that no retrying route leaves it to something it cannot see.
 */
function matchersOf(
    base: Omit<CompiledMatcher, "methods" | "retries" | "timeoutMs">,
    methods: readonly HttpMethod[] | undefined,
    timeoutMs: number | undefined,
    retries: RetryPolicy | undefined,
    serviceTimeoutMs: number,
): CompiledMatcher[] {
    const timeout = (retrying: boolean) => (timeoutMs !== undefined ? { timeoutMs } : retrying ? { timeoutMs: serviceTimeoutMs } : {});
    if (retries === undefined || retries.count === 0) {
        return [{ ...base, ...(methods ? { methods } : {}), ...timeout(false) }];
    }
    const scope = methods ?? HTTP_METHODS;
    const retried = scope.filter((m) => retries.methods.includes(m));
    const others = scope.filter((m) => !retries.methods.includes(m));
    const preRequest = retries.on.filter((c) => PRE_REQUEST_CONDITIONS.includes(c));
    const matchers: CompiledMatcher[] = [];
    if (retried.length > 0) {
        matchers.push({ ...base, methods: retried, ...timeout(true), retries });
    }
    if (others.length > 0) {
        const safe: RetryPolicy | undefined = preRequest.length > 0 ? { ...retries, on: preRequest, statusCodes: [] } : undefined;
        // After the retried methods' matcher, the rest needs no method list unless the rule had one.
        matchers.push({ ...base, ...(methods || retried.length === 0 ? { methods: others } : {}), ...timeout(safe !== undefined), ...(safe ? { retries: safe } : {}) });
    }
    return matchers;
}

/** The route rules in the stack file's order, then the service-wide settings. */
export function compiledPolicies(resilience: ResilienceConfig): CompiledPolicy[] {
    const rules = resilience.routes.map((rule) => ({
        serviceWide: false,
        matchers: matchersOf(
            { pathPrefix: rule.pathPrefix, ...(rule.header ? { header: rule.header } : {}) },
            rule.methods,
            rule.timeoutMs,
            rule.retries ?? resilience.retries,
            resilience.requestTimeoutMs,
        ),
    }));
    const serviceWide = { serviceWide: true, matchers: matchersOf({}, undefined, undefined, resilience.retries, resilience.requestTimeoutMs) };
    return [...rules, serviceWide];
}

function underPrefix(path: string, prefix: string): boolean {
    const base = prefix.length > 1 && prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
    return path === base || path.startsWith(base.endsWith("/") ? base : `${base}/`);
}

/** An http-route rule without its Services (Consul's field names: the generic entry's configJson). */
export interface GatewayRule {
    readonly Matches: Record<string, unknown>[];
    readonly Filters?: Record<string, unknown>;
}

/**
 * The gateway's rules for a routed service: each route rule whose path lies under the service's
 * gateway prefix (the gateway does not rewrite paths, so the service sees the same path), then the
 * prefix itself with the service-wide settings. An http-route match takes one method, so a matcher
 * with several becomes several matches of one rule. Timeouts go in a TimeoutFilter, retries in a
 * RetryFilter; a service that sets neither keeps the one plain rule it always had.
 */
export function gatewayRules(service: ServiceConfig, gatewayPrefix: string): GatewayRule[] {
    const { resilience } = service;
    const explicitTimeout = resilience.requestTimeoutMs !== RESILIENCE_DEFAULTS.requestTimeoutMs ? resilience.requestTimeoutMs : undefined;
    const rules: GatewayRule[] = [];
    const toRule = (m: CompiledMatcher, pathPrefix: string): GatewayRule => {
        const base = { Path: { Match: "prefix", Value: pathPrefix }, ...(m.header ? { Headers: [{ Match: "exact", Name: m.header.name, Value: m.header.exact }] } : {}) };
        const matches = m.methods ? m.methods.map((method) => ({ ...base, Method: method })) : [base];
        const timeoutMs = m.timeoutMs ?? explicitTimeout;
        const filters = {
            ...(timeoutMs !== undefined ? { TimeoutFilter: { RequestTimeout: goDuration(timeoutMs) } } : {}),
            ...(m.retries
                ? {
                      RetryFilter: {
                          NumRetries: m.retries.count,
                          ...(m.retries.on.length > 0 ? { RetryOn: [...m.retries.on] } : {}),
                          ...(m.retries.statusCodes.length > 0 ? { RetryOnStatusCodes: [...m.retries.statusCodes] } : {}),
                      },
                  }
                : {}),
        };
        return { Matches: matches, ...(Object.keys(filters).length > 0 ? { Filters: filters } : {}) };
    };
    for (const policy of compiledPolicies(resilience)) {
        for (const m of policy.matchers) {
            if (policy.serviceWide) {
                rules.push(toRule(m, gatewayPrefix));
            } else if (m.pathPrefix !== undefined && underPrefix(m.pathPrefix, gatewayPrefix)) {
                rules.push(toRule(m, m.pathPrefix));
            }
        }
    }
    return rules;
}
