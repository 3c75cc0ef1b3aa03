// bluegreen:services.<name>.resilience: timeouts, retries, per-route settings, outlier ejection and
// connection limits for calls to the service, and the rules that span them. Each setting maps to a
// field Consul documents for its free edition (docs/resilience.md has the table); the shapes are
// checked by JSON Schema (resilienceSchema, used by schema.ts), what spans values here.
import { COLOUR_HEADER } from "../shared/meshNames";
import { MAX_RETRIES } from "../shared/resilience";
import type { Report } from "./types";
import {
    ConnectionLimitsConfig,
    HTTP_METHODS,
    HttpMethod,
    OutlierDetectionConfig,
    ResilienceConfig,
    RETRY_CONDITIONS,
    RetryCondition,
    RetryPolicy,
    RouteRuleConfig,
} from "./types";

interface RawRetries {
    count: number;
    on?: RetryCondition[];
    statusCodes?: number[];
    methods?: HttpMethod[];
}

export interface RawResilience {
    timeouts?: { request?: string; connect?: string };
    retries?: RawRetries;
    routes?: {
        pathPrefix: string;
        header?: { name: string; exact: string };
        methods?: HttpMethod[];
        timeout?: string;
        retries?: RawRetries;
    }[];
    outlierDetection?: { consecutive5xx?: number; interval?: string; baseEjectionTime?: string; maxEjectionPercent?: number; enforcingPercent?: number };
    connectionLimits?: { maxConnections?: number; maxPendingRequests?: number; maxConcurrentRequests?: number };
}

/** Per-route settings per service: the router holds each of them once per colour lane. */
const MAX_ROUTE_RULES = 10;

export const RESILIENCE_DEFAULTS = {
    requestTimeoutMs: 15_000,
    connectTimeoutMs: 5_000,
    retryOn: ["connect-failure", "refused-stream", "gateway-error"] as readonly RetryCondition[],
    /** RFC 9110 section 9.2.2: the safe methods, PUT and DELETE. */
    idempotentMethods: ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] as readonly HttpMethod[],
    outlierDetection: { consecutive5xx: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10, enforcingPercent: 100 },
} as const;

/**
 * Retry conditions that only fire when the request never reached the service (no connection, or
 * the stream refused before processing): safe for any method, so non-idempotent ones keep them.
 */
export const PRE_REQUEST_CONDITIONS: readonly RetryCondition[] = ["connect-failure", "refused-stream"];

const BOUNDS = {
    request: { min: 10, max: 3_600_000, text: "10ms to 1h" },
    connect: { min: 10, max: 300_000, text: "10ms to 5m" },
    routeTimeout: { min: 10, max: 3_600_000, text: "10ms to 1h" },
    interval: { min: 100, max: 3_600_000, text: "100ms to 1h" },
    baseEjectionTime: { min: 100, max: 3_600_000, text: "100ms to 1h" },
};

const retriesSchema = {
    type: "object",
    additionalProperties: false,
    required: ["count"],
    properties: {
        count: { type: "integer", minimum: 0, maximum: MAX_RETRIES },
        on: { type: "array", uniqueItems: true, items: { enum: [...RETRY_CONDITIONS] } },
        statusCodes: { type: "array", uniqueItems: true, items: { type: "integer", minimum: 100, maximum: 599 } },
        methods: { type: "array", minItems: 1, uniqueItems: true, items: { enum: [...HTTP_METHODS] } },
    },
};
// Durations are read (and their errors worded) by checkedDuration.
const duration = { type: "string" };
const positive = (maximum: number) => ({ type: "integer", minimum: 1, maximum });

/** The structural shape of `resilience` (ajv, draft-07); schema.ts places it in each service's schema. */
export const resilienceSchema = {
    type: "object",
    additionalProperties: false,
    properties: {
        timeouts: { type: "object", additionalProperties: false, properties: { request: duration, connect: duration } },
        retries: retriesSchema,
        routes: {
            type: "array",
            maxItems: MAX_ROUTE_RULES,
            items: {
                type: "object",
                additionalProperties: false,
                required: ["pathPrefix"],
                properties: {
                    pathPrefix: { type: "string", minLength: 1 },
                    header: {
                        type: "object",
                        additionalProperties: false,
                        required: ["name", "exact"],
                        // An HTTP field name (RFC 9110 token), written in lowercase as HTTP/2 sends it.
                        properties: { name: { type: "string", pattern: "^[a-z0-9!#$%&'*+.^_`|~-]+$" }, exact: { type: "string", minLength: 1 } },
                    },
                    methods: { type: "array", minItems: 1, uniqueItems: true, items: { enum: [...HTTP_METHODS] } },
                    timeout: duration,
                    retries: retriesSchema,
                },
            },
        },
        outlierDetection: {
            type: "object",
            additionalProperties: false,
            properties: {
                consecutive5xx: positive(1000),
                interval: duration,
                baseEjectionTime: duration,
                maxEjectionPercent: positive(100),
                enforcingPercent: { type: "integer", minimum: 0, maximum: 100 },
            },
        },
        connectionLimits: {
            type: "object",
            additionalProperties: false,
            properties: { maxConnections: positive(1_000_000), maxPendingRequests: positive(1_000_000), maxConcurrentRequests: positive(1_000_000) },
        },
    },
};

/** Milliseconds from "250ms", "15s", "2m" or "1h"; undefined for anything else. */
export function durationMs(text: string): number | undefined {
    const m = /^(\d+)(ms|s|m|h)$/.exec(text);
    if (!m) {
        return undefined;
    }
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
    return Number(m[1]) * unit;
}

/**
 * A duration written as Go's time.Duration.String() writes it ("1m30s", "500ms", "1h0m0s"): the
 * provider reads durations back in that form, and any other spelling would show a diff on every preview.
 */
export function goDuration(ms: number): string {
    if (ms < 1000) {
        return `${ms}ms`;
    }
    const hours = Math.floor(ms / 3_600_000);
    const minutes = Math.floor((ms % 3_600_000) / 60_000);
    const rest = ms % 60_000;
    const fraction = rest % 1000 === 0 ? "" : `.${String(rest % 1000).padStart(3, "0").replace(/0+$/, "")}`;
    const seconds = `${Math.floor(rest / 1000)}${fraction}s`;
    if (hours > 0) {
        return `${hours}h${minutes}m${seconds}`;
    }
    return minutes > 0 ? `${minutes}m${seconds}` : seconds;
}

function checkedDuration(path: string, text: string | undefined, bounds: { min: number; max: number; text: string }, at: Report): number | undefined {
    if (text === undefined) {
        return undefined;
    }
    const ms = durationMs(text);
    if (ms === undefined || ms < bounds.min || ms > bounds.max) {
        at(path, `${JSON.stringify(text)} is not a duration from ${bounds.text}; write it like "500ms", "15s", "2m" or "1h"`);
        return undefined;
    }
    return ms;
}

function normaliseRetries(path: string, raw: RawRetries, at: Report): RetryPolicy {
    const policy: RetryPolicy = {
        count: raw.count,
        on: raw.on ?? RESILIENCE_DEFAULTS.retryOn,
        statusCodes: raw.statusCodes ?? [],
        methods: raw.methods ?? RESILIENCE_DEFAULTS.idempotentMethods,
    };
    if (policy.count > 0 && policy.on.length === 0 && policy.statusCodes.length === 0) {
        at(`${path}.on`, `is empty and statusCodes lists nothing, so ${policy.count} retries would never happen; name a condition (${RETRY_CONDITIONS.join(", ")}) or a status code`);
    }
    return policy;
}

function normaliseRoutes(path: string, raw: RawResilience["routes"], at: Report): RouteRuleConfig[] {
    const seen = new Map<string, number>();
    return (raw ?? []).map((route, i) => {
        const rpath = `${path}[${i}]`;
        if (!route.pathPrefix.startsWith("/")) {
            at(`${rpath}.pathPrefix`, `${JSON.stringify(route.pathPrefix)} must start with "/"`);
        }
        const header = route.header?.name;
        if (header === COLOUR_HEADER || header === "cookie") {
            // The mesh's own routes match these: a rule on them would be shadowed or would shadow them.
            at(`${rpath}.header.name`, `"${header}" is the mesh's own (colour preview and sticky canary routes); match another header`);
        }
        const key = JSON.stringify([route.pathPrefix, route.header ?? null, [...(route.methods ?? [])].sort()]);
        const earlier = seen.get(key);
        if (earlier !== undefined) {
            at(rpath, `matches exactly what ${path}[${earlier}] matches, so it would never apply; merge the two`);
        } else {
            seen.set(key, i);
        }
        if (route.timeout === undefined && route.retries === undefined) {
            at(rpath, "sets neither timeout nor retries, so it changes nothing; set one or remove the rule");
        }
        return {
            pathPrefix: route.pathPrefix,
            ...(route.header ? { header: { name: route.header.name, exact: route.header.exact } } : {}),
            ...(route.methods ? { methods: route.methods } : {}),
            ...(route.timeout !== undefined ? { timeoutMs: checkedDuration(`${rpath}.timeout`, route.timeout, BOUNDS.routeTimeout, at) } : {}),
            ...(route.retries ? { retries: normaliseRetries(`${rpath}.retries`, route.retries, at) } : {}),
        };
    });
}

function normaliseOutlier(path: string, raw: RawResilience["outlierDetection"], at: Report): OutlierDetectionConfig | undefined {
    if (raw === undefined) {
        return undefined;
    }
    const defaults = RESILIENCE_DEFAULTS.outlierDetection;
    return {
        consecutive5xx: raw.consecutive5xx ?? defaults.consecutive5xx,
        intervalMs: checkedDuration(`${path}.interval`, raw.interval, BOUNDS.interval, at) ?? defaults.intervalMs,
        baseEjectionTimeMs: checkedDuration(`${path}.baseEjectionTime`, raw.baseEjectionTime, BOUNDS.baseEjectionTime, at) ?? defaults.baseEjectionTimeMs,
        maxEjectionPercent: raw.maxEjectionPercent ?? defaults.maxEjectionPercent,
        enforcingPercent: raw.enforcingPercent ?? defaults.enforcingPercent,
    };
}

/** `raw` has passed resilienceSchema; `path` is `bluegreen:services.<name>.resilience`. */
export function normaliseResilience(path: string, raw: RawResilience | undefined, at: Report): ResilienceConfig {
    const requestTimeoutMs = checkedDuration(`${path}.timeouts.request`, raw?.timeouts?.request, BOUNDS.request, at) ?? RESILIENCE_DEFAULTS.requestTimeoutMs;
    const connectTimeoutMs = checkedDuration(`${path}.timeouts.connect`, raw?.timeouts?.connect, BOUNDS.connect, at) ?? RESILIENCE_DEFAULTS.connectTimeoutMs;
    if (connectTimeoutMs > requestTimeoutMs) {
        at(`${path}.timeouts.connect`, `${goDuration(connectTimeoutMs)} is longer than the request timeout (${goDuration(requestTimeoutMs)}), which would cut the connection attempt short; keep it shorter`);
    }
    const limits: ConnectionLimitsConfig | undefined = raw?.connectionLimits ? { ...raw.connectionLimits } : undefined;
    if (limits && Object.keys(limits).length === 0) {
        at(`${path}.connectionLimits`, "sets no limit; set maxConnections, maxPendingRequests or maxConcurrentRequests, or remove it");
    }
    return {
        requestTimeoutMs,
        connectTimeoutMs,
        ...(raw?.retries ? { retries: normaliseRetries(`${path}.retries`, raw.retries, at) } : {}),
        routes: normaliseRoutes(`${path}.routes`, raw?.routes, at),
        ...(raw?.outlierDetection ? { outlierDetection: normaliseOutlier(`${path}.outlierDetection`, raw.outlierDetection, at) } : {}),
        ...(limits ? { connectionLimits: limits } : {}),
    };
}
