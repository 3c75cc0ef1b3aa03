// Reads one service's canary figures from CloudWatch with GetMetricData: for each colour, requests,
// errors (5xx, plus non-OK gRPC statuses for gRPC services) and the p99 latency over one window. Thin
// on purpose: what the figures mean is decided by analysis.ts.
import { CloudWatchClient, GetMetricDataCommand, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import type { Colour, ServiceConfig } from "../config";
import { COLOURS } from "../config/types";
import type { CanaryFigures, ColourWindow } from "./analysis";
import { colourDimensions, METRIC, METRICS_NAMESPACE, MetricName } from "./names";

export interface WindowQuery {
    readonly stack: string;
    readonly service: string;
    readonly protocol: ServiceConfig["protocol"];
    readonly baseline: Colour;
    readonly canary: Colour;
    /**
     * The window, both on minute boundaries (analysisWindow.ts): one period covers it, so each query
     * answers one data point over exactly those minutes.
     */
    readonly start: Date;
    readonly end: Date;
}

const windowSeconds = (query: WindowQuery) => (query.end.getTime() - query.start.getTime()) / 1000;

/** Query ids: lowercase letter first, one per colour and figure. */
const queryId = (figure: "requests" | "http5xx" | "grpc" | "p99", colour: Colour) => `${figure}_${colour}`;

function windowQueries(query: WindowQuery): MetricDataQuery[] {
    const stat = (figure: Parameters<typeof queryId>[0], colour: Colour, metricName: MetricName, statistic: string): MetricDataQuery => ({
        Id: queryId(figure, colour),
        ReturnData: true,
        MetricStat: {
            Metric: {
                Namespace: METRICS_NAMESPACE,
                MetricName: metricName,
                Dimensions: Object.entries(colourDimensions(query.stack, query.service, colour)).map(([Name, Value]) => ({ Name, Value })),
            },
            // One period covering the whole window: one data point per query, and a p99 over every request of the window.
            Period: windowSeconds(query),
            Stat: statistic,
        },
    });
    return COLOURS.flatMap((colour) => [
        stat("requests", colour, METRIC.requests, "Sum"),
        stat("http5xx", colour, METRIC.http5xx, "Sum"),
        ...(query.protocol === "grpc" ? [stat("grpc", colour, METRIC.grpcErrors, "Sum")] : []),
        stat("p99", colour, METRIC.latency, "p99"),
    ]);
}

/** What a GetMetricData call needs, so that tests can pass a client pointed at a loopback server. */
export async function readCanaryFigures(client: CloudWatchClient, query: WindowQuery): Promise<CanaryFigures> {
    const seconds = windowSeconds(query);
    if (!(Number.isInteger(seconds / 60) && seconds > 0 && query.start.getTime() % 60_000 === 0)) {
        throw new RangeError(`readCanaryFigures: the window ${query.start.toISOString()} to ${query.end.toISOString()} is not whole minutes`);
    }
    const values = new Map<string, number[]>();
    let nextToken: string | undefined;
    do {
        const page = await client.send(
            new GetMetricDataCommand({
                MetricDataQueries: windowQueries(query),
                StartTime: query.start,
                EndTime: query.end,
                ScanBy: "TimestampDescending",
                NextToken: nextToken,
            }),
        );
        for (const result of page.MetricDataResults ?? []) {
            if (result.Id) {
                values.set(result.Id, [...(values.get(result.Id) ?? []), ...(result.Values ?? [])]);
            }
        }
        nextToken = page.NextToken;
    } while (nextToken);

    const sum = (id: string) => {
        const points = values.get(id) ?? [];
        return points.length === 0 ? undefined : points.reduce((a, b) => a + b, 0);
    };
    const window = (colour: Colour): ColourWindow => {
        const http5xx = sum(queryId("http5xx", colour));
        const grpc = query.protocol === "grpc" ? sum(queryId("grpc", colour)) : undefined;
        return {
            requests: sum(queryId("requests", colour)),
            errors: http5xx === undefined && grpc === undefined ? undefined : (http5xx ?? 0) + (grpc ?? 0),
            // One period per window: the newest point is the window's p99.
            p99Ms: values.get(queryId("p99", colour))?.[0],
        };
    };
    return { baseline: { colour: query.baseline, ...window(query.baseline) }, canary: { colour: query.canary, ...window(query.canary) } };
}
