// Consul config entries of a stack, read alike whether they were written with the typed resources
// (ConfigEntryServiceSplitter, ...) or with the generic `consul.ConfigEntry` and its `configJson`
// (Consul's own field names, PascalCase).
import type { PolicyResource } from "@pulumi/policy";
import { asArray, asRecord, asString, parseJsonInput, TYPES } from "./resources";

export interface Split {
    readonly weight: unknown;
    readonly service: string;
    readonly subset?: string;
    /** ResponseHeaders.Add and .Set of the split, by header name as written. */
    readonly responseHeaders: Readonly<Record<string, string>>;
}

export interface Subset {
    readonly name: string;
    readonly filter?: string;
}

interface Destination {
    readonly service: string;
    readonly subset?: string;
}

interface Entry {
    readonly resource: PolicyResource;
    readonly name: string;
}
export interface SplitterEntry extends Entry {
    readonly splits: readonly Split[];
}
interface ResolverEntry extends Entry {
    readonly subsets: readonly Subset[];
}
interface DefaultsEntry extends Entry {
    readonly protocol?: string;
}
interface RouterEntry extends Entry {
    readonly destinations: readonly Destination[];
    readonly routes: readonly Route[];
}

/** A header match of a route: its name and how it matches (exact or regex; others kept as undefined). */
interface HeaderMatch {
    readonly name: string;
    readonly exact?: string;
    readonly regex?: string;
}

/** Retries and timeout of a service-router destination or an http-route rule. */
export interface RetrySettings {
    readonly numRetries?: number;
    /** Any retry condition named: RetryOn, RetryOnStatusCodes, RetryOnConnectFailure. */
    readonly conditions: boolean;
    /** The request timeout as written: a Go duration string, or nanoseconds. */
    readonly requestTimeout: unknown;
}

interface Route {
    readonly headers: readonly HeaderMatch[];
    readonly destination: Destination;
    readonly retries: RetrySettings;
}

/** One rule of an http-route (the API gateway's), with the filters of the rule and of each service. */
interface GatewayRule {
    readonly index: number;
    readonly retries: readonly RetrySettings[];
}

interface HttpRouteEntry extends Entry {
    readonly rules: readonly GatewayRule[];
}

export interface ConfigEntries {
    readonly splitters: SplitterEntry[];
    readonly resolvers: ResolverEntry[];
    readonly defaults: DefaultsEntry[];
    readonly routers: RouterEntry[];
    readonly httpRoutes: HttpRouteEntry[];
}

/** Reads a field by its provider name (camelCase) or Consul's (PascalCase). */
function field(source: Record<string, unknown>, camel: string): unknown {
    return source[camel] ?? source[camel.charAt(0).toUpperCase() + camel.slice(1)];
}

/** The first of `names` the source has (provider and Consul spell some fields differently). */
function pick(source: Record<string, unknown>, ...names: string[]): unknown {
    for (const name of names) {
        if (source[name] !== undefined) {
            return source[name];
        }
    }
    return undefined;
}

function headerMap(raw: unknown): Record<string, string> {
    const modifiers = asRecord(raw);
    const entries = [...Object.entries(asRecord(pick(modifiers, "add", "Add"))), ...Object.entries(asRecord(pick(modifiers, "set", "Set")))];
    return Object.fromEntries(entries.filter(([, v]) => typeof v === "string")) as Record<string, string>;
}

function retrySettings(source: Record<string, unknown>, timeout: unknown): RetrySettings {
    const numRetries = pick(source, "numRetries", "NumRetries");
    const on = asArray(pick(source, "retryOns", "retryOn", "RetryOn"));
    const codes = asArray(pick(source, "retryOnStatusCodes", "RetryOnStatusCodes"));
    const connect = pick(source, "retryOnConnectFailure", "RetryOnConnectFailure") === true;
    return { numRetries: typeof numRetries === "number" ? numRetries : undefined, conditions: on.length > 0 || codes.length > 0 || connect, requestTimeout: timeout };
}

function readRoutes(body: Record<string, unknown>, name: string): Route[] {
    return asArray(field(body, "routes")).map((raw) => {
        const route = asRecord(raw);
        const http = asRecord(pick(asRecord(field(route, "match")), "http", "HTTP", "Http"));
        const headers = asArray(pick(http, "headers", "header", "Header")).map((h) => {
            const header = asRecord(h);
            return { name: (asString(field(header, "name")) ?? "").toLowerCase(), exact: asString(field(header, "exact")), regex: asString(field(header, "regex")) };
        });
        const destination = asRecord(field(route, "destination"));
        return {
            headers,
            destination: { service: asString(field(destination, "service")) || name, subset: asString(field(destination, "serviceSubset")) || undefined },
            retries: retrySettings(destination, field(destination, "requestTimeout")),
        };
    });
}

function readGatewayRules(body: Record<string, unknown>): GatewayRule[] {
    const settingsOf = (filters: Record<string, unknown>) => {
        const retry = asRecord(pick(filters, "RetryFilter", "retryFilter"));
        const timeout = asRecord(pick(filters, "TimeoutFilter", "timeoutFilter"));
        return retrySettings(retry, pick(timeout, "RequestTimeout", "requestTimeout"));
    };
    return asArray(field(body, "rules")).map((raw, index) => {
        const rule = asRecord(raw);
        const services = asArray(field(rule, "services")).map((s) => settingsOf(asRecord(field(asRecord(s), "filters"))));
        return { index, retries: [settingsOf(asRecord(field(rule, "filters"))), ...services] };
    });
}

function genericBody(resource: PolicyResource): Record<string, unknown> {
    return asRecord(parseJsonInput(resource.props.configJson));
}

function kindOf(resource: PolicyResource): string | undefined {
    switch (resource.type) {
        case TYPES.serviceSplitter:
            return "service-splitter";
        case TYPES.serviceResolver:
            return "service-resolver";
        case TYPES.serviceDefaults:
            return "service-defaults";
        case TYPES.serviceRouter:
            return "service-router";
        case TYPES.configEntry:
            return asString(resource.props.kind);
        default:
            return undefined;
    }
}

function readSplits(body: Record<string, unknown>, name: string): Split[] {
    return asArray(field(body, "splits")).map((raw) => {
        const split = asRecord(raw);
        return {
            weight: field(split, "weight"),
            service: asString(field(split, "service")) || name,
            subset: asString(field(split, "serviceSubset")) || undefined,
            responseHeaders: headerMap(field(split, "responseHeaders")),
        };
    });
}

function readSubsets(body: Record<string, unknown>): Subset[] {
    const subsets = field(body, "subsets");
    if (Array.isArray(subsets)) {
        // The typed resource: a list of { name, filter, onlyPassing }.
        return subsets.map((raw) => ({ name: asString(asRecord(raw).name) ?? "", filter: asString(asRecord(raw).filter) }));
    }
    // Consul's own shape: a map from subset name to { Filter, OnlyPassing }.
    return Object.entries(asRecord(subsets)).map(([name, raw]) => ({ name, filter: asString(field(asRecord(raw), "filter")) }));
}

function readDestinations(body: Record<string, unknown>, name: string): Destination[] {
    return asArray(field(body, "routes"))
        .map((raw) => asRecord(field(asRecord(raw), "destination")))
        .filter((destination) => Object.keys(destination).length > 0)
        .map((destination) => ({
            service: asString(field(destination, "service")) || name,
            subset: asString(field(destination, "serviceSubset")) || undefined,
        }));
}

/** Every service-splitter, -resolver, -defaults and -router and http-route entry of a stack. */
export function configEntries(resources: readonly PolicyResource[]): ConfigEntries {
    const entries: ConfigEntries = { splitters: [], resolvers: [], defaults: [], routers: [], httpRoutes: [] };
    for (const resource of resources) {
        const kind = kindOf(resource);
        if (kind === undefined) {
            continue;
        }
        const body = resource.type === TYPES.configEntry ? genericBody(resource) : resource.props;
        const name = asString(resource.props.name) ?? "";
        switch (kind) {
            case "service-splitter":
                entries.splitters.push({ resource, name, splits: readSplits(body, name) });
                break;
            case "service-resolver":
                entries.resolvers.push({ resource, name, subsets: readSubsets(body) });
                break;
            case "service-defaults":
                entries.defaults.push({ resource, name, protocol: asString(field(body, "protocol")) });
                break;
            case "service-router":
                entries.routers.push({ resource, name, destinations: readDestinations(body, name), routes: readRoutes(body, name) });
                break;
            case "http-route":
                entries.httpRoutes.push({ resource, name, rules: readGatewayRules(body) });
                break;
        }
    }
    return entries;
}

/** The colour a resolver subset selects: from its filter on Service.Meta.<key>, else its name. */
export function colourOfSubset(subset: Subset, metaKey: string): string {
    const pattern = new RegExp(`Service\\.Meta\\.${metaKey}\\s*==\\s*"([^"]+)"`);
    return pattern.exec(subset.filter ?? "")?.[1] ?? subset.name;
}
