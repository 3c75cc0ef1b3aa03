// The CloudWatch Logs metric filters that turn the dataplanes' access log lines into per-colour
// metrics (docs/platform-facts.md#mesh-metrics). Pure: the patterns and transformations, which MeshMetrics passes to
// aws.cloudwatch.LogMetricFilter unchanged.
//
// Four filters per stack, whatever the number of services: the service and colour come from the
// log line (dimensions drawn from its fields), not from one filter per service, so a stack stays far
// below the 100 metric filters a log group may have, and adding a service adds no filter.
import { COLOURS } from "../../config";
import { DIMENSION, METRIC, MetricName } from "../names";
import { LOCAL_APP_CLUSTER, LOG_FIELD } from "../../mesh/render/accessLog";

export interface MetricFilterDefinition {
    /** Suffix of the filter's resource name and CloudWatch name. */
    readonly id: string;
    readonly pattern: string;
    readonly metricName: MetricName;
    /** What each matching line adds: "1", or a `$.field` selector. */
    readonly value: string;
    readonly unit: "Count" | "Milliseconds";
    /** Dimension name -> `$.field`; a metric filter takes at most three, and then no default value. */
    readonly dimensions: Readonly<Record<string, string>>;
}

const field = (name: string) => `$.${name}`;

/**
 * A request a colour served: its own dataplane's line with the local app as upstream, from a
 * dataplane that knows its colour. Requiring one of the two colours keeps every other line (the API
 * gateway, callers' outbound lines, the app's own JSON logs in the same log group) out, and keeps the
 * Colour dimension to two values, so no metric is ever created for an unexpected value.
 */
const SERVED_BY_A_COLOUR = `${field(LOG_FIELD.upstreamCluster)} = "${LOCAL_APP_CLUSTER}" && (${COLOURS.map((c) => `${field(LOG_FIELD.colour)} = "${c}"`).join(" || ")})`;

const DIMENSIONS: Readonly<Record<string, string>> = {
    [DIMENSION.stack]: field(LOG_FIELD.stack),
    [DIMENSION.service]: field(LOG_FIELD.service),
    [DIMENSION.colour]: field(LOG_FIELD.colour),
};

export function metricFilterDefinitions(): MetricFilterDefinition[] {
    const served = (extra?: string) => `{ ${SERVED_BY_A_COLOUR}${extra ? ` && ${extra}` : ""} }`;
    return [
        { id: "requests", pattern: served(), metricName: METRIC.requests, value: "1", unit: "Count", dimensions: DIMENSIONS },
        { id: "http-5xx", pattern: served(`${field(LOG_FIELD.responseCode)} >= 500`), metricName: METRIC.http5xx, value: "1", unit: "Count", dimensions: DIMENSIONS },
        {
            id: "grpc-errors",
            // grpc_status is null on every line that is not gRPC, and a numeric comparison never
            // matches null; below 500 so that a request counts in one error metric at most.
            pattern: served(`${field(LOG_FIELD.grpcStatus)} > 0 && ${field(LOG_FIELD.responseCode)} < 500`),
            metricName: METRIC.grpcErrors,
            value: "1",
            unit: "Count",
            dimensions: DIMENSIONS,
        },
        { id: "latency", pattern: served(), metricName: METRIC.latency, value: field(LOG_FIELD.duration), unit: "Milliseconds", dimensions: DIMENSIONS },
    ];
}

