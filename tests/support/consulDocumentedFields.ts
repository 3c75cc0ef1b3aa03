// The config-entry fields Consul documents for its free edition, per kind, in Consul's own names
// (what PUT /v1/config takes and what the generic consul.ConfigEntry's configJson carries).
//
// Sources, read for this table:
// - Consul's configuration entry reference, one page per kind:
//   https://developer.hashicorp.com/consul/docs/reference/config-entry/{service-defaults,
//   service-resolver, service-splitter, service-router, service-intentions, http-route,
//   api-gateway, proxy-defaults}
// - Where that reference and the code disagree, the code: hashicorp/consul api/config_entry*.go at
//   consul/api v1.32.1, the version @pulumi/consul 3.15.1 decodes every entry with (pulumi-consul
//   provider/go.mod at tag v3.15.1 -> terraform-provider-consul, `mapstructure` with ErrorUnused:
//   an unknown field fails the write). The http-route page spells RetryFilter's connect-failure
//   flag "RetryOnConnectionFailure"; the struct field, and so the only name that decodes, is
//   RetryOnConnectFailure.
// - Consul's own value checks, agent/structs/config_entry_discoverychain.go: isValidRetryCondition
//   and isValidHTTPMethod.
//
// Left out on purpose: every Enterprise-only field (Namespace and Partition at every level,
// service-defaults RateLimits, resolver Failover/Redirect SamenessGroup, the API gateway's JWT
// filter and providers). The program must never write them, and resilience keys mapping to them do
// not exist (docs/resilience.md says why).

/** A documented field: a leaf (any value), a nested object, a list of objects, or a map of free keys. */
type FieldSpec = true | { readonly fields: FieldTree } | { readonly list: FieldTree } | { readonly map: FieldSpec };
interface FieldTree {
    readonly [field: string]: FieldSpec;
}

const leaf = true as const;
const obj = (fields: FieldTree): FieldSpec => ({ fields });
const list = (fields: FieldTree): FieldSpec => ({ list: fields });
const map = (value: FieldSpec): FieldSpec => ({ map: value });

const headerModifiers = obj({ Add: map(leaf), Set: map(leaf), Remove: leaf });
const limits = obj({ MaxConnections: leaf, MaxPendingRequests: leaf, MaxConcurrentRequests: leaf });
const passiveHealthCheck = obj({ Interval: leaf, MaxFailures: leaf, EnforcingConsecutive5xx: leaf, MaxEjectionPercent: leaf, BaseEjectionTime: leaf });
const upstreamConfig = {
    Protocol: leaf,
    ConnectTimeoutMs: leaf,
    Limits: limits,
    PassiveHealthCheck: passiveHealthCheck,
    MeshGateway: obj({ Mode: leaf }),
    BalanceOutboundConnections: leaf,
};
const common = { Kind: leaf, Name: leaf, Meta: map(leaf) };

const DOCUMENTED_FIELDS: Readonly<Record<string, FieldTree>> = {
    "service-defaults": {
        ...common,
        Protocol: leaf,
        Mode: leaf,
        TransparentProxy: obj({ OutboundListenerPort: leaf, DialedDirectly: leaf }),
        MutualTLSMode: leaf,
        EnvoyExtensions: list({ Name: leaf, Required: leaf, Arguments: map(leaf), ConsulVersion: leaf, EnvoyVersion: leaf }),
        Destination: obj({ Addresses: leaf, Port: leaf }),
        MaxInboundConnections: leaf,
        LocalConnectTimeoutMs: leaf,
        LocalRequestTimeoutMs: leaf,
        MeshGateway: obj({ Mode: leaf }),
        ExternalSNI: leaf,
        Expose: obj({ Checks: leaf, Paths: list({ Path: leaf, LocalPathPort: leaf, ListenerPort: leaf, Protocol: leaf }) }),
        BalanceInboundConnections: leaf,
        UpstreamConfig: obj({ Overrides: list({ Name: leaf, Peer: leaf, ...upstreamConfig }), Defaults: obj(upstreamConfig) }),
    },
    "service-resolver": {
        ...common,
        ConnectTimeout: leaf,
        RequestTimeout: leaf,
        DefaultSubset: leaf,
        Subsets: map(obj({ Filter: leaf, OnlyPassing: leaf })),
        Redirect: obj({ Service: leaf, ServiceSubset: leaf, Peer: leaf, Datacenter: leaf }),
        Failover: map(obj({ Service: leaf, ServiceSubset: leaf, Datacenters: leaf, Targets: list({ Service: leaf, ServiceSubset: leaf, Peer: leaf, Datacenter: leaf }) })),
        LoadBalancer: obj({ Policy: leaf, LeastRequestConfig: obj({ ChoiceCount: leaf }), RingHashConfig: obj({ MinimumRingSize: leaf, MaximumRingSize: leaf }), HashPolicies: leaf }),
    },
    "service-splitter": {
        ...common,
        Splits: list({ Weight: leaf, Service: leaf, ServiceSubset: leaf, RequestHeaders: headerModifiers, ResponseHeaders: headerModifiers }),
    },
    "service-router": {
        ...common,
        Routes: list({
            Match: obj({
                HTTP: obj({
                    PathExact: leaf,
                    PathPrefix: leaf,
                    PathRegex: leaf,
                    Header: list({ Name: leaf, Present: leaf, Exact: leaf, Prefix: leaf, Suffix: leaf, Regex: leaf, Invert: leaf }),
                    QueryParam: list({ Name: leaf, Present: leaf, Exact: leaf, Regex: leaf }),
                    Methods: leaf,
                }),
            }),
            Destination: obj({
                Service: leaf,
                ServiceSubset: leaf,
                PrefixRewrite: leaf,
                RequestTimeout: leaf,
                IdleTimeout: leaf,
                NumRetries: leaf,
                RetryOnConnectFailure: leaf,
                RetryOn: leaf,
                RetryOnStatusCodes: leaf,
                RequestHeaders: headerModifiers,
                ResponseHeaders: headerModifiers,
            }),
        }),
    },
    "service-intentions": {
        ...common,
        Sources: list({ Name: leaf, Peer: leaf, Action: leaf, Permissions: leaf, Precedence: leaf, Type: leaf, Description: leaf }),
    },
    "http-route": {
        ...common,
        Parents: list({ Kind: leaf, Name: leaf, SectionName: leaf }),
        Hostnames: leaf,
        Rules: list({
            Filters: obj({
                Headers: list({ Add: map(leaf), Set: map(leaf), Remove: leaf }),
                URLRewrite: obj({ Path: leaf }),
                RetryFilter: obj({ NumRetries: leaf, RetryOn: leaf, RetryOnStatusCodes: leaf, RetryOnConnectFailure: leaf }),
                TimeoutFilter: obj({ RequestTimeout: leaf, IdleTimeout: leaf }),
            }),
            ResponseFilters: obj({ Headers: list({ Add: map(leaf), Set: map(leaf), Remove: leaf }) }),
            Matches: list({
                Headers: list({ Match: leaf, Name: leaf, Value: leaf }),
                Method: leaf,
                Path: obj({ Match: leaf, Value: leaf }),
                Query: list({ Match: leaf, Name: leaf, Value: leaf }),
            }),
            Services: list({ Name: leaf, Weight: leaf, Filters: leaf, ResponseFilters: leaf }),
        }),
    },
    "api-gateway": {
        ...common,
        Listeners: list({ Name: leaf, Port: leaf, Protocol: leaf, Hostname: leaf, TLS: leaf }),
    },
    "proxy-defaults": {
        ...common,
        Config: map(leaf),
        Mode: leaf,
        TransparentProxy: obj({ OutboundListenerPort: leaf, DialedDirectly: leaf }),
        MutualTLSMode: leaf,
        MeshGateway: obj({ Mode: leaf }),
        Expose: obj({ Checks: leaf, Paths: leaf }),
        AccessLogs: obj({ Enabled: leaf, DisableListenerLogs: leaf, Type: leaf, Path: leaf, JSONFormat: leaf, TextFormat: leaf }),
        EnvoyExtensions: leaf,
    },
};

/** agent/structs/config_entry_discoverychain.go, isValidRetryCondition. */
export const DOCUMENTED_RETRY_CONDITIONS = [
    "5xx",
    "gateway-error",
    "reset",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

/** agent/structs/config_entry_discoverychain.go, isValidHTTPMethod. */
export const DOCUMENTED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"];

/** Paths in `body` (`Routes[0].Destination.Foo`) that the kind's documented fields do not have. */
export function undocumentedFields(kind: string, body: unknown): string[] {
    const tree = DOCUMENTED_FIELDS[kind];
    if (!tree) {
        return [`kind ${kind} is not in the table`];
    }
    const found: string[] = [];
    const walk = (value: unknown, spec: FieldSpec, at: string) => {
        if (spec === true || value === null || value === undefined) {
            return;
        }
        if ("fields" in spec) {
            walkObject(value, spec.fields, at);
        } else if ("list" in spec) {
            if (!Array.isArray(value)) {
                found.push(`${at} is not a list`);
                return;
            }
            value.forEach((item, i) => walkObject(item, spec.list, `${at}[${i}]`));
        } else {
            for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
                walk(item, spec.map, `${at}.${key}`);
            }
        }
    };
    const walkObject = (value: unknown, fields: FieldTree, at: string) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            found.push(`${at} is not an object`);
            return;
        }
        for (const [key, item] of Object.entries(value)) {
            const spec = fields[key];
            if (spec === undefined) {
                found.push(at === "" ? key : `${at}.${key}`);
            } else {
                walk(item, spec, at === "" ? key : `${at}.${key}`);
            }
        }
    };
    walkObject(body, tree, "");
    return found;
}
