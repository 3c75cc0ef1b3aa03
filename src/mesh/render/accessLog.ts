// The Envoy access log line every mesh proxy prints, and the environment that tells a colour's
// dataplane which stack, service and colour it serves (docs/platform-facts.md#mesh-metrics). Pure.
//
// Consul writes `AccessLogs.JSONFormat` of proxy-defaults into every proxy's Envoy config as a
// SubstitutionFormatString `json_format` (hashicorp/consul agent/xds/accesslogs), which Envoy renders
// typed: a value that is one command operator keeps its type, so %RESPONSE_CODE%, %DURATION% and
// %GRPC_STATUS(NUMBER)% print as JSON numbers and an operator with no value prints null (Envoy's
// access log docs, "Format Dictionaries" and "Command Operators"). The metric filter patterns in
// src/metrics/render/metricFilters.ts compare those numbers as numbers.
import type { Colour } from "../../config";

/**
 * Environment of each colour's dataplane container. consul-ecs's envoy-entrypoint and
 * consul-dataplane both start their child without setting its environment (Go's exec.Cmd with a
 * nil Env inherits the parent's), so Envoy sees these and prints them through %ENVIRONMENT(...)%.
 */
const DATAPLANE_ENV = { stack: "BLUEGREEN_STACK", service: "BLUEGREEN_SERVICE", colour: "BLUEGREEN_COLOUR" } as const;

/** Envoy's name for the cluster of the local app: the upstream of every request a colour serves itself. */
export const LOCAL_APP_CLUSTER = "local_app";

/** The log line's fields that the metric filters read. */
export const LOG_FIELD = {
    responseCode: "response_code",
    grpcStatus: "grpc_status",
    duration: "duration",
    upstreamCluster: "upstream_cluster",
    stack: "bluegreen_stack",
    service: "bluegreen_service",
    colour: "bluegreen_colour",
} as const;

/**
 * Consul's default fields, less the client addresses (x_forwarded_for, downstream addresses: personal
 * data in some jurisdictions, and cost per line), plus the gRPC status and who served the request.
 * On an outbound line (a caller's upstream, the API gateway) the bluegreen_* fields describe the
 * caller; only a line whose upstream is the local app describes the colour that served it.
 */
export const ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = {
    start_time: "%START_TIME%",
    method: "%REQ(:METHOD)%",
    path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    protocol: "%PROTOCOL%",
    [LOG_FIELD.responseCode]: "%RESPONSE_CODE%",
    [LOG_FIELD.grpcStatus]: "%GRPC_STATUS(NUMBER)%",
    response_flags: "%RESPONSE_FLAGS%",
    response_code_details: "%RESPONSE_CODE_DETAILS%",
    bytes_received: "%BYTES_RECEIVED%",
    bytes_sent: "%BYTES_SENT%",
    [LOG_FIELD.duration]: "%DURATION%",
    upstream_service_time: "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    request_id: "%REQ(X-REQUEST-ID)%",
    authority: "%REQ(:AUTHORITY)%",
    [LOG_FIELD.upstreamCluster]: "%UPSTREAM_CLUSTER%",
    upstream_host: "%UPSTREAM_HOST%",
    [LOG_FIELD.stack]: `%ENVIRONMENT(${DATAPLANE_ENV.stack})%`,
    [LOG_FIELD.service]: `%ENVIRONMENT(${DATAPLANE_ENV.service})%`,
    [LOG_FIELD.colour]: `%ENVIRONMENT(${DATAPLANE_ENV.colour})%`,
};

/** proxy-defaults' `AccessLogs`: every sidecar and gateway, one JSON line per request on Envoy's stdout. */
export function accessLogsConfig(): { Enabled: true; Type: "stdout"; JSONFormat: string } {
    return { Enabled: true, Type: "stdout", JSONFormat: JSON.stringify(ACCESS_LOG_FORMAT) };
}

/**
 * The plain environment of one colour's dataplane container: constants of the task definition, so
 * they change only with the colour's own task definition, never with traffic.
 */
export function dataplaneEnvironment(stack: string, service: string, colour: Colour): Record<string, string> {
    return { [DATAPLANE_ENV.stack]: stack, [DATAPLANE_ENV.service]: service, [DATAPLANE_ENV.colour]: colour };
}
