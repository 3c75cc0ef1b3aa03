// Consul config entries of a stack, read alike whether they were written with the typed resources
// (ConfigEntryServiceSplitter, ...) or with the generic `consul.ConfigEntry` and its `configJson`
// (Consul's own field names, PascalCase).
import type { PolicyResource } from "@pulumi/policy";
import { asArray, asRecord, asString, parseJsonInput, TYPES } from "./resources";

export interface Split {
    readonly weight: unknown;
    readonly service: string;
    readonly subset?: string;
}

export interface Subset {
    readonly name: string;
    readonly filter?: string;
}

export interface Destination {
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
export interface ResolverEntry extends Entry {
    readonly subsets: readonly Subset[];
}
export interface DefaultsEntry extends Entry {
    readonly protocol?: string;
}
export interface RouterEntry extends Entry {
    readonly destinations: readonly Destination[];
}

export interface ConfigEntries {
    readonly splitters: SplitterEntry[];
    readonly resolvers: ResolverEntry[];
    readonly defaults: DefaultsEntry[];
    readonly routers: RouterEntry[];
}

/** Reads a field by its provider name (camelCase) or Consul's (PascalCase). */
function field(source: Record<string, unknown>, camel: string): unknown {
    return source[camel] ?? source[camel.charAt(0).toUpperCase() + camel.slice(1)];
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

/** Every service-splitter, -resolver, -defaults and -router entry of a stack. */
export function configEntries(resources: readonly PolicyResource[]): ConfigEntries {
    const entries: ConfigEntries = { splitters: [], resolvers: [], defaults: [], routers: [] };
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
                entries.routers.push({ resource, name, destinations: readDestinations(body, name) });
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
