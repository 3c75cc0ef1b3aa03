// Renders an access log line the way Envoy prints our proxy-defaults JSONFormat, for the metric
// filter tests. Consul hands JSONFormat to Envoy as SubstitutionFormatString.json_format
// (hashicorp/consul agent/xds/accesslogs/accesslogs.go), which Envoy renders typed: a value that is
// a single command operator keeps its type (Envoy docs, "Access logging": Format Dictionaries;
// substitution_format_string.proto: "Values are rendered as strings, numbers, or boolean values as
// appropriate"). Per operator, from Envoy's "Command Operators":
// - %RESPONSE_CODE%, %DURATION%, %BYTES_RECEIVED%: "Renders a numeric value in typed JSON logs";
// - %GRPC_STATUS(NUMBER)%: a number (Envoy's GrpcStatusFormatter::formatValue, case Number), and null
//   when the request is not gRPC or has no status;
// - everything else: a string; an operator without a value is null in typed JSON logs;
// - %ENVIRONMENT(X)%: Envoy's own environment variable X (consul-dataplane and consul-ecs's
//   envoy-entrypoint start their child with their own environment).
// An operator this renderer does not know throws: a new field in the format must be taught here.
export interface SampleRequest {
    readonly startTime: string;
    readonly method: string;
    readonly path: string;
    readonly protocol: "HTTP/1.1" | "HTTP/2";
    readonly responseCode: number;
    readonly grpcStatus?: number;
    readonly responseFlags?: string;
    readonly responseCodeDetails: string;
    readonly bytesReceived: number;
    readonly bytesSent: number;
    readonly durationMs: number;
    readonly upstreamServiceTimeMs?: number;
    readonly requestId: string;
    readonly authority: string;
    /** Envoy's cluster name: `local_app` on a colour's public listener, the upstream's SNI name on an outbound line. */
    readonly upstreamCluster?: string;
    readonly upstreamHost?: string;
    /** The Envoy process's environment. */
    readonly env: Readonly<Record<string, string>>;
}

type Rendered = string | number | null;

function operatorValue(operator: string, r: SampleRequest): Rendered {
    const env = /^%ENVIRONMENT\(([A-Z0-9_]+)\)%$/.exec(operator);
    if (env) {
        return r.env[env[1]] ?? null;
    }
    const table: Record<string, Rendered> = {
        "%START_TIME%": r.startTime,
        "%REQ(:METHOD)%": r.method,
        "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%": r.path,
        "%PROTOCOL%": r.protocol,
        "%RESPONSE_CODE%": r.responseCode,
        "%GRPC_STATUS(NUMBER)%": r.grpcStatus ?? null,
        "%RESPONSE_FLAGS%": r.responseFlags ?? "-",
        "%RESPONSE_CODE_DETAILS%": r.responseCodeDetails,
        "%BYTES_RECEIVED%": r.bytesReceived,
        "%BYTES_SENT%": String(r.bytesSent),
        "%DURATION%": r.durationMs,
        "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%": r.upstreamServiceTimeMs === undefined ? null : String(r.upstreamServiceTimeMs),
        "%REQ(X-REQUEST-ID)%": r.requestId,
        "%REQ(:AUTHORITY)%": r.authority,
        "%UPSTREAM_CLUSTER%": r.upstreamCluster ?? null,
        "%UPSTREAM_HOST%": r.upstreamHost ?? null,
    };
    if (!(operator in table)) {
        throw new Error(`the sample renderer does not know Envoy's ${operator}; teach tests/support/envoyAccessLog.ts what Envoy prints for it`);
    }
    return table[operator];
}

/** One line as Envoy writes it to stdout (and awslogs hands it to CloudWatch Logs as one event). */
export function renderAccessLogLine(format: Readonly<Record<string, string>>, request: SampleRequest): string {
    return JSON.stringify(Object.fromEntries(Object.entries(format).map(([key, operator]) => [key, operatorValue(operator, request)])));
}
