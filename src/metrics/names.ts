// The names every part of the mesh metrics shares: what the metric filters, the dashboard, the
// canary analysis and `flip status` agree on.
import type { Colour } from "../config";

/** CloudWatch namespace of every mesh metric; the Stack dimension keeps stacks of one account apart. */
export const METRICS_NAMESPACE = "Bluegreen/Mesh";

/** The metrics, one value per request served by a colour's own dataplane (its public listener). */
export const METRIC = {
    /** 1 per request. */
    requests: "Requests",
    /** 1 per response with an HTTP status of 500 or more. */
    http5xx: "Http5xx",
    /** 1 per gRPC response with a status other than OK (0) and an HTTP status below 500: disjoint from Http5xx. */
    grpcErrors: "GrpcErrors",
    /** Envoy's %DURATION%: milliseconds from the first byte in to the last byte out. */
    latency: "Latency",
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Dimension names, in the order CloudWatch shows them. At most three: the limit of a metric filter. */
export const DIMENSION = { stack: "Stack", service: "Service", colour: "Colour" } as const;

/** The dimensions of one service's colour in one stack. */
export function colourDimensions(stack: string, service: string, colour: Colour): Record<string, string> {
    return { [DIMENSION.stack]: stack, [DIMENSION.service]: service, [DIMENSION.colour]: colour };
}

/**
 * The stack's dashboard. Dashboard names are global to an account (not per region), so the name
 * carries the project and the stack.
 */
export function dashboardName(project: string, stack: string): string {
    // Dashboard names allow A-Z, a-z, 0-9, "-" and "_" only.
    return `${project}-${stack}-mesh`.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** The console address of a dashboard (what the stack output and `flip status` print), in the console's `#dashboards:name=` form. */
export function dashboardUrl(region: string, name: string): string {
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${encodeURIComponent(name)}`;
}
