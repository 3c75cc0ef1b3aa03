// The metric filters against access log lines as Envoy prints them with our format (rendered by
// tests/support/envoyAccessLog.ts from Envoy's documented typing), through a CloudWatch filter
// pattern evaluator (tests/support/cloudWatchFilterPattern.ts): which lines count, in which metric,
// with which dimensions and value.
import { expect } from "chai";
import { ACCESS_LOG_FORMAT, dataplaneEnvironment } from "../../../src/mesh/render/accessLog";
import { metricFilterDefinitions, MetricFilterDefinition } from "../../../src/metrics/render/metricFilters";
import { matchesFilterPattern, parseJsonFilterPattern, selectJsonValue } from "../../support/cloudWatchFilterPattern";
import { renderAccessLogLine, SampleRequest } from "../../support/envoyAccessLog";

const INVENTORY_GREEN_CLUSTER = "green.inventory.default.dc1.internal.0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0.consul";

function inbound(colour: "blue" | "green", overrides: Partial<SampleRequest> = {}): SampleRequest {
    return {
        startTime: "2026-12-01T22:10:04.512Z",
        method: "GET",
        path: "/api/v1/orders/42",
        protocol: "HTTP/1.1",
        responseCode: 200,
        responseCodeDetails: "via_upstream",
        bytesReceived: 0,
        bytesSent: 312,
        durationMs: 17,
        upstreamServiceTimeMs: 16,
        requestId: "6f1b7c1e-3f7a-4d8e-9b1a-2c3d4e5f6a7b",
        authority: "orders",
        upstreamCluster: "local_app",
        upstreamHost: "127.0.0.1:9090",
        env: dataplaneEnvironment("prod", "orders", colour),
        ...overrides,
    };
}

const FILTERS = Object.fromEntries(metricFilterDefinitions().map((f) => [f.id, f])) as Record<string, MetricFilterDefinition>;

function countedIn(request: SampleRequest): string[] {
    const line = renderAccessLogLine(ACCESS_LOG_FORMAT, request);
    return metricFilterDefinitions()
        .filter((f) => matchesFilterPattern(f.pattern, line))
        .map((f) => f.id);
}

describe("mesh metric filters over Envoy access log lines", () => {
    it("are four, for the whole stack, each with Stack, Service and Colour from the line and no default value", () => {
        expect(metricFilterDefinitions().map((f) => [f.id, f.metricName, f.value, f.unit])).to.deep.equal([
            ["requests", "Requests", "1", "Count"],
            ["http-5xx", "Http5xx", "1", "Count"],
            ["grpc-errors", "GrpcErrors", "1", "Count"],
            ["latency", "Latency", "$.duration", "Milliseconds"],
        ]);
        for (const f of metricFilterDefinitions()) {
            expect(f.dimensions).to.deep.equal({ Stack: "$.bluegreen_stack", Service: "$.bluegreen_service", Colour: "$.bluegreen_colour" });
            expect(() => parseJsonFilterPattern(f.pattern)).to.not.throw();
        }
    });

    it("a 200 served by green counts one request with its latency, and no error", () => {
        expect(countedIn(inbound("green"))).to.deep.equal(["requests", "latency"]);
    });

    it("a 503 from green's Envoy when its app refuses connections counts as a request and a 5xx", () => {
        expect(countedIn(inbound("green", { responseCode: 503, responseFlags: "UF", responseCodeDetails: "upstream_reset_before_response_started{connection_failure}", upstreamServiceTimeMs: undefined }))).to.deep.equal([
            "requests",
            "http-5xx",
            "latency",
        ]);
        expect(countedIn(inbound("blue", { responseCode: 500 }))).to.include("http-5xx");
        expect(countedIn(inbound("blue", { responseCode: 499 }))).to.not.include("http-5xx");
    });

    it("a request the client gave up on (response code 0) counts as a request, not an error", () => {
        expect(countedIn(inbound("blue", { responseCode: 0, responseFlags: "DC" }))).to.deep.equal(["requests", "latency"]);
    });

    it("gRPC: a non-OK status on HTTP 200 counts as a gRPC error; OK does not; a 5xx counts once, as a 5xx", () => {
        const grpc = (status: number, responseCode = 200) => inbound("green", { protocol: "HTTP/2", path: "/inventory.Stock/Reserve", grpcStatus: status, responseCode });
        expect(countedIn(grpc(14))).to.deep.equal(["requests", "grpc-errors", "latency"]);
        expect(countedIn(grpc(0))).to.deep.equal(["requests", "latency"]);
        expect(countedIn(grpc(14, 503))).to.deep.equal(["requests", "http-5xx", "latency"]);
    });

    it("a caller's outbound line, the API gateway's line and lines that are not Envoy's never count", () => {
        // orders-blue's dataplane calling inventory: its own identity, but the upstream is inventory's cluster.
        expect(countedIn(inbound("blue", { upstreamCluster: INVENTORY_GREEN_CLUSTER, authority: "localhost:9001" }))).to.deep.equal([]);
        // The API gateway's dataplane has no colour in its environment.
        expect(countedIn(inbound("blue", { env: {}, upstreamCluster: "blue.orders.default.dc1.internal.0b1c.consul" }))).to.deep.equal([]);
        // A dataplane of a colour this program does not know (a hand-made task) would add a dimension value: refused.
        expect(countedIn(inbound("blue", { env: dataplaneEnvironment("prod", "orders", "purple" as "blue") }))).to.deep.equal([]);
        for (const other of [
            '{"level":"info","msg":"order 42 reserved","response_code":500,"upstream_cluster":"local_app"}',
            "2026-12-01T22:10:04.512Z+00:00 [info] envoy.main(1) starting main dispatch loop",
            "[2026-12-01T22:10:04.512Z] \"GET /api/v1/orders/42 HTTP/1.1\" 200 - 0 312 17 16",
        ]) {
            expect(metricFilterDefinitions().filter((f) => matchesFilterPattern(f.pattern, other))).to.deep.equal([]);
        }
    });

    it("dimensions and the latency value come out of the line as CloudWatch reads them", () => {
        const line = JSON.parse(renderAccessLogLine(ACCESS_LOG_FORMAT, inbound("green", { durationMs: 231 })));
        const dims = Object.fromEntries(Object.entries(FILTERS.latency.dimensions).map(([name, selector]) => [name, selectJsonValue(line, selector.slice(2).split("."))]));
        expect(dims).to.deep.equal({ Stack: "prod", Service: "orders", Colour: "green" });
        expect(selectJsonValue(line, FILTERS.latency.value.slice(2).split("."))).to.equal(231);
    });
});

describe("CloudWatch filter pattern evaluator (test support)", () => {
    it("follows the documented subset: numbers compare as numbers, null and strings never match a numeric comparison", () => {
        expect(matchesFilterPattern("{ $.code >= 500 }", '{"code":503}')).to.equal(true);
        expect(matchesFilterPattern("{ $.code >= 500 }", '{"code":"503"}')).to.equal(false);
        expect(matchesFilterPattern("{ $.code > 0 }", '{"code":null}')).to.equal(false);
        expect(matchesFilterPattern('{ $.a = "x" && ($.b = 1 || $.b = 2) }', '{"a":"x","b":2}')).to.equal(true);
        expect(matchesFilterPattern('{ $.a = "x" || $.b = 1 && $.c = 1 }', '{"a":"y","b":1,"c":2}')).to.equal(false);
        expect(matchesFilterPattern('{ $.a.b = "x" }', '{"a":{"b":"x"}}')).to.equal(true);
        expect(matchesFilterPattern('{ $.a = "x" }', '{"a":["x"]}')).to.equal(false);
        expect(() => parseJsonFilterPattern('{ $.a = "x*" }')).to.throw(/unsupported/);
        expect(() => parseJsonFilterPattern("[ip, user]")).to.throw(/not a JSON filter pattern/);
    });
});
