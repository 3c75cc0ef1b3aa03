// From Envoy's lines to a verdict: a window of access log lines of both colours (rendered as Envoy
// prints our format), through the metric filters (the CloudWatch pattern evaluator of the tests),
// aggregated per colour as the reader asks CloudWatch (Sum; p99 by nearest rank, a stand-in for
// CloudWatch's own percentile), then judged. Ties the four parts together; each has its own tests.
import { expect } from "chai";
import { ACCESS_LOG_FORMAT, dataplaneEnvironment } from "../../src/mesh/render/accessLog";
import { metricFilterDefinitions } from "../../src/metrics/render/metricFilters";
import { CanaryFigures, ColourWindow, judgeCanary } from "../../src/metrics/analysis";
import { matchesFilterPattern, selectJsonValue } from "../support/cloudWatchFilterPattern";
import { renderAccessLogLine } from "../support/envoyAccessLog";

type Colour = "blue" | "green";

function line(colour: Colour, responseCode: number, durationMs: number): string {
    return renderAccessLogLine(ACCESS_LOG_FORMAT, {
        startTime: "2026-12-01T22:10:04.512Z",
        method: "GET",
        path: "/api/v1/orders",
        protocol: "HTTP/1.1",
        responseCode,
        responseCodeDetails: responseCode >= 500 ? "upstream_reset_before_response_started{connection_termination}" : "via_upstream",
        responseFlags: responseCode >= 500 ? "UC" : undefined,
        bytesReceived: 0,
        bytesSent: 120,
        durationMs,
        requestId: "r",
        authority: "orders",
        upstreamCluster: "local_app",
        upstreamHost: "127.0.0.1:9090",
        env: dataplaneEnvironment("prod", "orders", colour),
    });
}

/** What CloudWatch would hold for one colour after the window, per metric filter. */
function aggregate(lines: string[], colour: Colour): ColourWindow {
    const values: Record<string, number[]> = {};
    for (const text of lines) {
        const event = JSON.parse(text);
        for (const filter of metricFilterDefinitions()) {
            if (matchesFilterPattern(filter.pattern, text) && selectJsonValue(event, ["bluegreen_colour"]) === colour) {
                const value = filter.value === "1" ? 1 : (selectJsonValue(event, filter.value.slice(2).split(".")) as number);
                (values[filter.metricName] ??= []).push(value);
            }
        }
    }
    const sum = (name: string) => (values[name] === undefined ? undefined : values[name].reduce((a, b) => a + b, 0));
    const latencies = [...(values.Latency ?? [])].sort((a, b) => a - b);
    const http5xx = sum("Http5xx");
    const grpc = sum("GrpcErrors");
    return {
        requests: sum("Requests"),
        errors: http5xx === undefined && grpc === undefined ? undefined : (http5xx ?? 0) + (grpc ?? 0),
        p99Ms: latencies.length === 0 ? undefined : latencies[Math.ceil(0.99 * latencies.length) - 1],
    };
}

function window(blue: { n: number; failEvery?: number; ms: number }, green: { n: number; failEvery?: number; ms: number }): CanaryFigures {
    const lines: string[] = [];
    for (const [colour, spec] of [
        ["blue", blue],
        ["green", green],
    ] as const) {
        for (let i = 0; i < spec.n; i++) {
            lines.push(line(colour, spec.failEvery && i % spec.failEvery === 0 ? 503 : 200, spec.ms + (i % 10)));
        }
    }
    return { baseline: { colour: "blue", ...aggregate(lines, "blue") }, canary: { colour: "green", ...aggregate(lines, "green") } };
}

const THRESHOLDS = { maxErrorRateIncrease: 1, maxLatencyRatio: 1.5, minRequests: 100, windowSeconds: 300 };

describe("from Envoy access log lines to a canary verdict", () => {
    it("a green that fails one request in twenty at a 10% step fails; a healthy one passes", () => {
        const failing = window({ n: 900, ms: 20 }, { n: 100, failEvery: 20, ms: 20 });
        expect(failing.canary).to.deep.equal({ colour: "green", requests: 100, errors: 5, p99Ms: 29 });
        expect(judgeCanary(failing, THRESHOLDS).verdict).to.equal("fail");
        expect(judgeCanary(window({ n: 900, ms: 20 }, { n: 100, ms: 21 }), THRESHOLDS).verdict).to.equal("pass");
    });

    it("a slow green fails on latency; a green with too few requests is inconclusive", () => {
        expect(judgeCanary(window({ n: 900, ms: 20 }, { n: 100, ms: 60 }), THRESHOLDS).reason).to.match(/p99 green 69 ms vs blue 29 ms/);
        expect(judgeCanary(window({ n: 990, ms: 20 }, { n: 10, failEvery: 1, ms: 20 }), THRESHOLDS).verdict).to.equal("inconclusive");
    });
});
