// bluegreen:services.<name>.resilience and rollout.sticky: what a stack file may say, the defaults a
// service that says nothing gets, and every way it can be wrong, reported together with the key's
// path, the bad value and what is allowed. Pure: validateStackConfig needs no runtime.
import { expect } from "chai";
import { ConfigProblem, ServiceConfig, validateStackConfig } from "../../src/config";
import { durationMs, goDuration } from "../../src/config/resilience";
import { DEFAULT_RESILIENCE } from "../support/meshFixtures";
import { services, stackConfig } from "../support/harness";
import { StackValues } from "../../src/offline/stackFile";

function validate(config: StackValues) {
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith("bluegreen:")) {
            values[key.slice("bluegreen:".length)] = value;
        }
    }
    return validateStackConfig({ project: "bluegreen", stack: "dev", region: config["aws:region"], values });
}

function withOrders(edit: (orders: Record<string, unknown>) => void): ReturnType<typeof validate> {
    const config = stackConfig("dev");
    edit(services(config).orders);
    return validate(config);
}

function problems(edit: (orders: Record<string, unknown>) => void): ConfigProblem[] {
    const result = withOrders(edit);
    return result.ok ? [] : result.problems;
}

function orders(edit: (orders: Record<string, unknown>) => void): ServiceConfig {
    const result = withOrders(edit);
    if (!result.ok) {
        throw new Error(JSON.stringify(result.problems));
    }
    return result.config.services.find((s) => s.name === "orders")!;
}

const R = "bluegreen:services.orders.resilience";

describe("stack config: resilience and sticky canary", () => {
    it("a service that sets nothing: the resolver's 15 s / 5 s, no retries, no rules, no ejection, no limits, not sticky", () => {
        const service = orders(() => undefined);
        expect(service.resilience).to.deep.equal(DEFAULT_RESILIENCE);
        expect(service.resilience).to.deep.equal({ requestTimeoutMs: 15_000, connectTimeoutMs: 5_000, routes: [] });
        expect(service.rollout.sticky).to.equal(false);
    });

    it("reads every setting, with the documented defaults filled in", () => {
        const service = orders((o) => {
            o.rollout = { sticky: true };
            o.resilience = {
                timeouts: { request: "2m", connect: "750ms" },
                retries: { count: 2 },
                routes: [
                    { pathPrefix: "/api/v1/orders/export", methods: ["GET"], timeout: "5m" },
                    { pathPrefix: "/api/v1/orders", header: { name: "x-tenant", exact: "big" }, retries: { count: 3, on: ["5xx"], statusCodes: [409], methods: ["GET", "POST"] } },
                ],
                outlierDetection: { consecutive5xx: 3 },
                connectionLimits: { maxConcurrentRequests: 200 },
            };
        });
        expect(service.rollout.sticky).to.equal(true);
        expect(service.resilience).to.deep.equal({
            requestTimeoutMs: 120_000,
            connectTimeoutMs: 750,
            retries: { count: 2, on: ["connect-failure", "refused-stream", "gateway-error"], statusCodes: [], methods: ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] },
            routes: [
                { pathPrefix: "/api/v1/orders/export", methods: ["GET"], timeoutMs: 300_000 },
                { pathPrefix: "/api/v1/orders", header: { name: "x-tenant", exact: "big" }, retries: { count: 3, on: ["5xx"], statusCodes: [409], methods: ["GET", "POST"] } },
            ],
            outlierDetection: { consecutive5xx: 3, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10, enforcingPercent: 100 },
            connectionLimits: { maxConcurrentRequests: 200 },
        });
    });

    it("reports every problem of one service at once, each with its path, the bad value and what is allowed", () => {
        const found = problems((o) => {
            o.resilience = {
                timeouts: { request: "2 minutes", connect: "2h" },
                retries: { count: 2, on: [] },
                routes: [{ pathPrefix: "orders", timeout: "1d" }],
                outlierDetection: { interval: "10" },
                connectionLimits: {},
            };
        });
        expect(found).to.deep.equal([
            { path: `${R}.timeouts.request`, message: '"2 minutes" is not a duration from 10ms to 1h; write it like "500ms", "15s", "2m" or "1h"' },
            { path: `${R}.timeouts.connect`, message: '"2h" is not a duration from 10ms to 5m; write it like "500ms", "15s", "2m" or "1h"' },
            { path: `${R}.connectionLimits`, message: "sets no limit; set maxConnections, maxPendingRequests or maxConcurrentRequests, or remove it" },
            { path: `${R}.retries.on`, message: "is empty and statusCodes lists nothing, so 2 retries would never happen; name a condition (5xx, gateway-error, reset, connect-failure, envoy-ratelimited, retriable-4xx, refused-stream, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable) or a status code" },
            { path: `${R}.routes[0].pathPrefix`, message: '"orders" must start with "/"' },
            { path: `${R}.routes[0].timeout`, message: '"1d" is not a duration from 10ms to 1h; write it like "500ms", "15s", "2m" or "1h"' },
            { path: `${R}.outlierDetection.interval`, message: '"10" is not a duration from 100ms to 1h; write it like "500ms", "15s", "2m" or "1h"' },
        ]);
    });

    it("reports the structural problems (types, ranges, allowed values) with the key's path and what is allowed", () => {
        const found = problems((o) => {
            o.resilience = { retries: { count: 9, on: ["sometimes"] }, outlierDetection: { maxEjectionPercent: 150 }, routes: [{ pathPrefix: "/x", hedge: true }] };
        });
        expect(found).to.deep.include({ path: `${R}.retries.count`, message: "9 must be <= 5" });
        expect(found.find((p) => p.path === `${R}.retries.on[0]`)?.message).to.contain('"sometimes" is not allowed; use one of "5xx"');
        expect(found).to.deep.include({ path: `${R}.outlierDetection.maxEjectionPercent`, message: "150 must be <= 100" });
        expect(found).to.deep.include({ path: `${R}.routes[0].hedge`, message: "unknown key; allowed here: pathPrefix, header, methods, timeout, retries" });
    });

    const semantic: { name: string; edit: (o: Record<string, unknown>) => void; path: string; says: string[] }[] = [
        { name: "a request timeout under 10 ms", edit: (o) => (o.resilience = { timeouts: { request: "5ms" } }), path: `${R}.timeouts.request`, says: ['"5ms"', "10ms to 1h"] },
        { name: "a request timeout over an hour", edit: (o) => (o.resilience = { timeouts: { request: "2h" } }), path: `${R}.timeouts.request`, says: ['"2h"', "10ms to 1h"] },
        { name: "a connect timeout over 5 minutes", edit: (o) => (o.resilience = { timeouts: { connect: "6m" } }), path: `${R}.timeouts.connect`, says: ['"6m"', "10ms to 5m"] },
        { name: "a connect timeout longer than the request timeout", edit: (o) => (o.resilience = { timeouts: { request: "1s", connect: "2s" } }), path: `${R}.timeouts.connect`, says: ["2s", "longer than the request timeout (1s)"] },
        { name: "retries on nothing", edit: (o) => (o.resilience = { retries: { count: 2, on: [] } }), path: `${R}.retries.on`, says: ["is empty", "2 retries would never happen"] },
        { name: "a route path without a leading slash", edit: (o) => (o.resilience = { routes: [{ pathPrefix: "x", timeout: "1s" }] }), path: `${R}.routes[0].pathPrefix`, says: ['"x"', 'must start with "/"'] },
        { name: "a route that sets nothing", edit: (o) => (o.resilience = { routes: [{ pathPrefix: "/x" }] }), path: `${R}.routes[0]`, says: ["neither timeout nor retries"] },
        { name: "a route on the colour header", edit: (o) => (o.resilience = { routes: [{ pathPrefix: "/x", header: { name: "x-bluegreen-color", exact: "green" }, timeout: "1s" }] }), path: `${R}.routes[0].header.name`, says: ['"x-bluegreen-color"', "mesh's own"] },
        { name: "a route on the cookie", edit: (o) => (o.resilience = { routes: [{ pathPrefix: "/x", header: { name: "cookie", exact: "a=b" }, timeout: "1s" }] }), path: `${R}.routes[0].header.name`, says: ['"cookie"', "mesh's own"] },
        {
            name: "two routes that match the same",
            edit: (o) => (o.resilience = { routes: [{ pathPrefix: "/x", methods: ["GET", "HEAD"], timeout: "1s" }, { pathPrefix: "/x", methods: ["HEAD", "GET"], timeout: "2s" }] }),
            path: `${R}.routes[1]`,
            says: ["exactly what", "routes[0]", "never apply"],
        },
        { name: "a route timeout over an hour", edit: (o) => (o.resilience = { routes: [{ pathPrefix: "/x", timeout: "61m" }] }), path: `${R}.routes[0].timeout`, says: ['"61m"', "10ms to 1h"] },
        { name: "an ejection interval under 100 ms", edit: (o) => (o.resilience = { outlierDetection: { interval: "50ms" } }), path: `${R}.outlierDetection.interval`, says: ['"50ms"', "100ms to 1h"] },
        { name: "a base ejection time over an hour", edit: (o) => (o.resilience = { outlierDetection: { baseEjectionTime: "2h" } }), path: `${R}.outlierDetection.baseEjectionTime`, says: ['"2h"', "100ms to 1h"] },
        { name: "sticky for a grpc service", edit: (o) => ((o.protocol = "grpc"), (o.rollout = { sticky: true })), path: "bluegreen:services.orders.rollout.sticky", says: ["grpc", "cookie"] },
    ];
    for (const c of semantic) {
        it(`refuses ${c.name}`, () => {
            const messages = problems(c.edit).filter((p) => p.path === c.path).map((p) => p.message);
            expect(messages, `problems at ${c.path}`).to.have.length.greaterThan(0);
            for (const fragment of c.says) {
                expect(messages.join(" | ")).to.contain(fragment);
            }
        });
    }

    it("refuses a service named like another's sticky virtual service, only when that one is sticky", () => {
        const config = stackConfig("dev");
        services(config)["orders-sticky-green"] = structuredClone(services(config).inventory);
        expect(validate(config).ok).to.equal(true);
        services(config).orders.rollout = { sticky: true };
        const result = validate(config);
        expect(result.ok).to.equal(false);
        expect(result.ok ? [] : result.problems).to.deep.include({
            path: "bluegreen:services.orders-sticky-green",
            message: "is the name of orders's sticky-canary routing entry for green; rename the service",
        });
    });

    it("durations: read in ms, s, m, h; written back as Go writes them", () => {
        expect(["250ms", "15s", "2m", "1h", "15", "1.5s", "-1s"].map(durationMs)).to.deep.equal([250, 15_000, 120_000, 3_600_000, undefined, undefined, undefined]);
        expect([5, 999, 1000, 1500, 15_000, 60_000, 90_000, 3_600_000, 3_661_250].map(goDuration)).to.deep.equal([
            "5ms",
            "999ms",
            "1s",
            "1.5s",
            "15s",
            "1m0s",
            "1m30s",
            "1h0m0s",
            "1h1m1.25s",
        ]);
    });
});
