// The body of a stack's CloudWatch dashboard: per service one row, the two colours side by side on
// each graph (share of requests, requests per minute, error share, latency p50/p99). Pure.
// Limits: docs/platform-facts.md#mesh-metrics.
//
// Nothing here reads `traffic`: a change of `traffic` must change the stack's Release only (the
// rollout engine moves the splitters), so the dashboard shows the split the mesh actually applies
// (each colour's share of the requests it served) and points at `flip status` for the rollout's
// state and its gates.
// Structure: AWS's "Dashboard Body Structure and Syntax" (CloudWatch API Reference).
import { COLOURS, Colour, ServiceConfig } from "../../config";
import { DIMENSION, METRIC, METRICS_NAMESPACE, MetricName } from "../names";

/** A dashboard holds at most 500 widgets; four per service plus the heading leaves room for 100. */
export const SERVICES_PER_DASHBOARD = 100;
const GRAPH_WIDTH = 6;
const GRAPH_HEIGHT = 6;
const HEADING_HEIGHT = 2;
/** One data point per minute: what metric filters publish, and what "requests per minute" means. */
const PERIOD_SECONDS = 60;

const LINE_COLOUR: Readonly<Record<Colour, { strong: string; light: string }>> = {
    blue: { strong: "#1f77b4", light: "#aec7e8" },
    green: { strong: "#2ca02c", light: "#98df8a" },
};

export interface DashboardContext {
    readonly stack: string;
    readonly region: string;
}

type RenderingProperties = { id?: string; label?: string; color?: string; stat?: string; visible?: boolean };
type MetricRow = (string | RenderingProperties)[];
type ExpressionRow = [{ expression: string; id: string; label: string }];

export interface DashboardWidget {
    type: "metric" | "text";
    x: number;
    y: number;
    width: number;
    height: number;
    properties: Record<string, unknown>;
}

export interface DashboardBody {
    start: string;
    periodOverride: "inherit";
    widgets: DashboardWidget[];
}

/** One body per page of SERVICES_PER_DASHBOARD services, in the stack file's order. */
export function dashboardBodies(services: readonly ServiceConfig[], context: DashboardContext): DashboardBody[] {
    const pages: ServiceConfig[][] = [];
    for (let i = 0; i < services.length; i += SERVICES_PER_DASHBOARD) {
        pages.push(services.slice(i, i + SERVICES_PER_DASHBOARD));
    }
    return (pages.length > 0 ? pages : [[]]).map((page) => dashboardBody(page, context));
}

export function dashboardBody(services: readonly ServiceConfig[], context: DashboardContext): DashboardBody {
    const widgets: DashboardWidget[] = [heading(context)];
    services.forEach((service, row) => {
        const y = HEADING_HEIGHT + row * GRAPH_HEIGHT;
        const graphs = [shareGraph(service, context), requestsGraph(service, context), errorShareGraph(service, context), latencyGraph(service, context)];
        graphs.forEach((properties, column) => widgets.push({ type: "metric", x: column * GRAPH_WIDTH, y, width: GRAPH_WIDTH, height: GRAPH_HEIGHT, properties }));
    });
    return { start: "-PT3H", periodOverride: "inherit", widgets };
}

function heading(context: DashboardContext): DashboardWidget {
    const markdown = [
        `## Mesh traffic of stack ${context.stack}: blue and green, side by side`,
        `Measured by each colour's own Envoy (requests it served). **Share** is the split the mesh applies right now; ` +
            `the rollout's state, its gates and canary judgements: \`npm run flip -- status --stack ${context.stack}\`.`,
    ].join("\n\n");
    return { type: "text", x: 0, y: 0, width: 24, height: HEADING_HEIGHT, properties: { markdown } };
}

function metric(service: ServiceConfig, context: DashboardContext, colour: Colour, name: MetricName, rendering: RenderingProperties): MetricRow {
    return [METRICS_NAMESPACE, name, DIMENSION.stack, context.stack, DIMENSION.service, service.name, DIMENSION.colour, colour, rendering];
}

/** Metric ids must start with a lowercase letter; one letter per metric, one per colour. */
const id = (prefix: string, colour: Colour) => `${prefix}${colour[0]}`;

function graph(service: ServiceConfig, context: DashboardContext, title: string, metrics: (MetricRow | ExpressionRow)[], extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { title: `${service.name}: ${title}`, view: "timeSeries", stacked: false, region: context.region, period: PERIOD_SECONDS, metrics, ...extra };
}

function hiddenRequests(service: ServiceConfig, context: DashboardContext): MetricRow[] {
    return COLOURS.map((colour) => metric(service, context, colour, METRIC.requests, { id: id("r", colour), stat: "Sum", visible: false }));
}

function shareGraph(service: ServiceConfig, context: DashboardContext): Record<string, unknown> {
    const total = COLOURS.map((colour) => `FILL(${id("r", colour)}, 0)`).join(" + ");
    const shares: ExpressionRow[] = COLOURS.map((colour) => [
        { expression: `100 * FILL(${id("r", colour)}, 0) / (${total})`, id: id("s", colour), label: `${colour} share of requests (%)` },
    ]);
    return graph(service, context, "share of requests (%)", [...hiddenRequests(service, context), ...shares], { yAxis: { left: { min: 0, max: 100, showUnits: false } } });
}

function requestsGraph(service: ServiceConfig, context: DashboardContext): Record<string, unknown> {
    const rows = COLOURS.map((colour) => metric(service, context, colour, METRIC.requests, { label: `${colour} requests/min`, stat: "Sum", color: LINE_COLOUR[colour].strong }));
    return graph(service, context, "requests per minute", rows, { yAxis: { left: { min: 0 } } });
}

/**
 * Errors over requests: 5xx for every service, plus non-OK gRPC statuses for gRPC services (the two
 * metrics never count one request twice). A minute without errors publishes no error data point,
 * hence FILL(…, 0).
 */
function errorShareGraph(service: ServiceConfig, context: DashboardContext): Record<string, unknown> {
    const grpc = service.protocol === "grpc";
    const rows: (MetricRow | ExpressionRow)[] = [...hiddenRequests(service, context)];
    for (const colour of COLOURS) {
        rows.push(metric(service, context, colour, METRIC.http5xx, { id: id("x", colour), stat: "Sum", visible: false }));
        if (grpc) {
            rows.push(metric(service, context, colour, METRIC.grpcErrors, { id: id("g", colour), stat: "Sum", visible: false }));
        }
    }
    for (const colour of COLOURS) {
        const errors = grpc ? `FILL(${id("x", colour)}, 0) + FILL(${id("g", colour)}, 0)` : `FILL(${id("x", colour)}, 0)`;
        rows.push([{ expression: `100 * (${errors}) / ${id("r", colour)}`, id: id("e", colour), label: `${colour} ${grpc ? "5xx + gRPC errors" : "5xx"} (%)` }]);
    }
    return graph(service, context, grpc ? "error share, 5xx and gRPC (%)" : "5xx share (%)", rows, { yAxis: { left: { min: 0, showUnits: false } } });
}

function latencyGraph(service: ServiceConfig, context: DashboardContext): Record<string, unknown> {
    const rows: MetricRow[] = [];
    for (const colour of COLOURS) {
        rows.push(metric(service, context, colour, METRIC.latency, { label: `${colour} p50`, stat: "p50", color: LINE_COLOUR[colour].light }));
        rows.push(metric(service, context, colour, METRIC.latency, { label: `${colour} p99`, stat: "p99", color: LINE_COLOUR[colour].strong }));
    }
    return graph(service, context, "latency p50 / p99 (ms)", rows, { yAxis: { left: { min: 0 } } });
}
