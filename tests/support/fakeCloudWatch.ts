// A loopback HTTP server that answers CloudWatch's GetMetricData the way the AWS SDK v3 calls it
// (AWS JSON 1.0: POST /, X-Amz-Target GraniteServiceVersion20100801.GetMetricData, a JSON body) with
// the response the API Reference documents: { MetricDataResults: [{ Id, Label, StatusCode,
// Timestamps (epoch seconds), Values }], Messages, NextToken }. It is NOT CloudWatch: it stores
// values per metric, dimensions and statistic, answers one page per `pageSize` queries, and records
// what it was asked.
import * as http from "http";
import { AddressInfo } from "net";

export interface StoredPoint {
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, string>>;
    readonly stat: string;
    readonly value: number;
}

export interface FakeCloudWatch {
    readonly endpoint: string;
    /** Each request's decoded body. */
    readonly requests: Record<string, unknown>[];
    close(): Promise<void>;
}

interface Query {
    Id: string;
    MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Period: number; Stat: string };
}

const key = (metricName: string, dimensions: Readonly<Record<string, string>>, stat: string) =>
    JSON.stringify([metricName, Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)), stat]);

export async function startFakeCloudWatch(points: readonly StoredPoint[], options: { pageSize?: number; namespace?: string } = {}): Promise<FakeCloudWatch> {
    const store = new Map(points.map((p) => [key(p.metricName, p.dimensions, p.stat), p.value]));
    const requests: Record<string, unknown>[] = [];
    const pageSize = options.pageSize ?? 500;
    const server = http.createServer((req, res) => {
        let raw = "";
        req.on("data", (chunk) => (raw += chunk));
        req.on("end", () => {
            const send = (status: number, body: unknown) => {
                res.writeHead(status, { "Content-Type": "application/x-amz-json-1.0" });
                res.end(JSON.stringify(body));
            };
            if (req.method !== "POST" || req.headers["x-amz-target"] !== "GraniteServiceVersion20100801.GetMetricData") {
                send(400, { __type: "com.amazonaws.cloudwatch#InvalidAction", message: `unexpected ${req.method} ${String(req.headers["x-amz-target"])}` });
                return;
            }
            const body = JSON.parse(raw) as { MetricDataQueries: Query[]; StartTime: number; EndTime: number; NextToken?: string };
            requests.push(body);
            const from = body.NextToken ? Number(body.NextToken) : 0;
            const page = body.MetricDataQueries.slice(from, from + pageSize);
            const results = page.map((q) => {
                const dims = Object.fromEntries(q.MetricStat.Metric.Dimensions.map((d) => [d.Name, d.Value]));
                const value = options.namespace === undefined || q.MetricStat.Metric.Namespace === options.namespace ? store.get(key(q.MetricStat.Metric.MetricName, dims, q.MetricStat.Stat)) : undefined;
                return {
                    Id: q.Id,
                    Label: q.MetricStat.Metric.MetricName,
                    StatusCode: "Complete",
                    Timestamps: value === undefined ? [] : [body.EndTime - q.MetricStat.Period],
                    Values: value === undefined ? [] : [value],
                };
            });
            const next = from + pageSize < body.MetricDataQueries.length ? String(from + pageSize) : undefined;
            send(200, { MetricDataResults: results, Messages: [], ...(next ? { NextToken: next } : {}) });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
    };
}
