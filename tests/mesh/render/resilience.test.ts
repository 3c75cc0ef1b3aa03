// What the resilience settings and the sticky canary write into Consul's entries: the router's
// lanes and routes, the resolver's timeouts, the callers' service-defaults, the gateway's
// http-route, and the entries the rollout engine writes for each phase of a sticky rollout.
import { expect } from "chai";
import { ResilienceConfig, ServiceConfig } from "../../../src/config";
import { RESILIENCE_DEFAULTS } from "../../../src/config/resilience";
import { httpRoute, serviceDefaults, serviceResolver, serviceRouter, stickyDefaults, stickySplitter } from "../../../src/mesh/render/configEntries";
import { stickyCookieRegex, stickyLanes, stickySetCookie, trafficEntries } from "../../../src/mesh/render/sticky";
import { DEFAULT_RESILIENCE, inventory, orders } from "../../support/meshFixtures";

const IDEMPOTENT = [...RESILIENCE_DEFAULTS.idempotentMethods];

function withResilience(service: ServiceConfig, resilience: Partial<ResilienceConfig>, sticky = false): ServiceConfig {
    return { ...service, resilience: { ...DEFAULT_RESILIENCE, ...resilience }, rollout: { ...service.rollout, sticky } };
}

const retries = { count: 2, on: ["connect-failure", "gateway-error"] as const, statusCodes: [409], methods: IDEMPOTENT };

describe("resilience in the config entries", () => {
    it("resolver: the service's timeouts, written as Go writes them", () => {
        const body = serviceResolver(withResilience(orders, { requestTimeoutMs: 90_000, connectTimeoutMs: 1500 }));
        expect([body.requestTimeout, body.connectTimeout]).to.deep.equal(["1m30s", "1.5s"]);
        expect([serviceResolver(orders).requestTimeout, serviceResolver(orders).connectTimeout]).to.deep.equal(["15s", "5s"]);
    });

    it("router, service-wide retries: idempotent methods retry on every condition, the others on pre-request conditions only, every lane alike, each with its timeout written out", () => {
        const service = withResilience(inventory, { requestTimeoutMs: 3000, retries: { ...retries, on: ["connect-failure", "gateway-error"] } });
        const routes = serviceRouter(service).routes;
        // The retried methods, in HTTP_METHODS' order.
        const IDEMPOTENT = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"];
        const idempotent = { numRetries: 2, retryOns: ["connect-failure", "gateway-error"], retryOnStatusCodes: [409] };
        const others = ["POST", "PATCH", "CONNECT"];
        const safe = { numRetries: 2, retryOns: ["connect-failure"] };
        const header = (colour: string) => [{ name: "x-bluegreen-color", exact: colour }];
        expect(routes).to.deep.equal([
            { match: { http: { headers: header("blue"), methods: IDEMPOTENT } }, destination: { service: "inventory", serviceSubset: "blue", requestTimeout: "3s", idleTimeout: "0s", ...idempotent } },
            { match: { http: { headers: header("blue") } }, destination: { service: "inventory", serviceSubset: "blue", requestTimeout: "3s", idleTimeout: "0s", ...safe } },
            { match: { http: { headers: header("green"), methods: IDEMPOTENT } }, destination: { service: "inventory", serviceSubset: "green", requestTimeout: "3s", idleTimeout: "0s", ...idempotent } },
            { match: { http: { headers: header("green") } }, destination: { service: "inventory", serviceSubset: "green", requestTimeout: "3s", idleTimeout: "0s", ...safe } },
            { match: { http: { methods: IDEMPOTENT } }, destination: { service: "inventory", requestTimeout: "3s", idleTimeout: "0s", ...idempotent } },
            { match: { http: {} }, destination: { service: "inventory", requestTimeout: "3s", idleTimeout: "0s", ...safe } },
        ]);
        // Every method is covered exactly once per lane: the methods the retried route leaves reach the second.
        expect(others.every((m) => !IDEMPOTENT.includes(m as never))).to.equal(true);
    });

    it("router, service-wide retries on post-request conditions only: non-idempotent methods get no retries and no route of their own in the splitter lane", () => {
        const service = withResilience(inventory, { retries: { count: 1, on: ["5xx"], statusCodes: [], methods: ["GET"] } });
        const routes = serviceRouter(service).routes;
        const splitterLane = routes.filter((r) => r.match.http.headers === undefined);
        expect(splitterLane).to.deep.equal([
            { match: { http: { methods: ["GET"] } }, destination: { service: "inventory", requestTimeout: "15s", idleTimeout: "0s", numRetries: 1, retryOns: ["5xx"] } },
        ]);
        // In a colour lane the other methods still need a route to that colour, without retries.
        expect(routes[1]).to.deep.equal({
            match: { http: { headers: [{ name: "x-bluegreen-color", exact: "blue" }] } },
            destination: { service: "inventory", serviceSubset: "blue", requestTimeout: "0s", idleTimeout: "0s" },
        });
    });

    it("router, route rules: path, header and methods matched together, in the stack file's order, before the service-wide settings; a rule without retries inherits none", () => {
        const service = withResilience(inventory, {
            routes: [
                { pathPrefix: "/export", methods: ["GET"], timeoutMs: 300_000 },
                { pathPrefix: "/", header: { name: "x-tenant", exact: "big" }, timeoutMs: 20_000, retries: { count: 0, on: [], statusCodes: [], methods: IDEMPOTENT } },
            ],
        });
        const splitterLane = serviceRouter(service).routes.filter((r) => !r.match.http.headers?.some((h) => h.name === "x-bluegreen-color"));
        expect(splitterLane).to.deep.equal([
            { match: { http: { pathPrefix: "/export", methods: ["GET"] } }, destination: { service: "inventory", requestTimeout: "5m0s", idleTimeout: "0s" } },
            { match: { http: { pathPrefix: "/", headers: [{ name: "x-tenant", exact: "big" }] } }, destination: { service: "inventory", requestTimeout: "20s", idleTimeout: "0s" } },
        ]);
        const greenLane = serviceRouter(service).routes.filter((r) => r.destination.serviceSubset === "green");
        expect(greenLane.map((r) => r.match.http)).to.deep.equal([
            { pathPrefix: "/export", headers: [{ name: "x-bluegreen-color", exact: "green" }], methods: ["GET"] },
            { pathPrefix: "/", headers: [{ name: "x-bluegreen-color", exact: "green" }, { name: "x-tenant", exact: "big" }] },
            { headers: [{ name: "x-bluegreen-color", exact: "green" }] },
        ]);
    });

    it("router, a rule without retries of its own takes the service's, with the rule's timeout", () => {
        const service = withResilience(inventory, { retries: { ...retries, methods: ["GET"] }, routes: [{ pathPrefix: "/slow", timeoutMs: 60_000 }] });
        const first = serviceRouter(service).routes.find((r) => r.match.http.pathPrefix === "/slow" && r.match.http.headers === undefined);
        expect(first).to.deep.equal({
            match: { http: { pathPrefix: "/slow", methods: ["GET"] } },
            destination: { service: "inventory", requestTimeout: "1m0s", idleTimeout: "0s", numRetries: 2, retryOns: ["connect-failure", "gateway-error"], retryOnStatusCodes: [409] },
        });
    });

    it("service-defaults: each caller carries the outlier ejection and limits of the upstreams that set them, in Consul's field names", () => {
        const callee = withResilience(inventory, {
            outlierDetection: { consecutive5xx: 3, intervalMs: 5000, baseEjectionTimeMs: 60_000, maxEjectionPercent: 50, enforcingPercent: 100 },
            connectionLimits: { maxConcurrentRequests: 200 },
        });
        const all = [orders, callee];
        expect(JSON.parse(serviceDefaults(orders, all).configJson)).to.deep.equal({
            Protocol: "http",
            UpstreamConfig: {
                Overrides: [
                    {
                        Name: "inventory",
                        PassiveHealthCheck: { Interval: "5s", MaxFailures: 3, EnforcingConsecutive5xx: 100, MaxEjectionPercent: 50, BaseEjectionTime: "1m0s" },
                        Limits: { MaxConcurrentRequests: 200 },
                    },
                ],
            },
        });
        // The callee's own entry does not change: Consul applies these on the caller's side.
        expect(JSON.parse(serviceDefaults(callee, all).configJson)).to.deep.equal({ Protocol: "http" });
        // Nothing set anywhere: the entry is what it always was.
        expect(JSON.parse(serviceDefaults(orders, [orders, inventory]).configJson)).to.deep.equal({ Protocol: "http" });
    });

    it("http-route: rules under the gateway prefix get their own rule with Timeout and Retry filters, one match per method; others stay inside the mesh", () => {
        const service = withResilience(orders, {
            requestTimeoutMs: 10_000,
            retries: { count: 1, on: ["reset"], statusCodes: [], methods: ["GET"] },
            routes: [
                { pathPrefix: "/api/v1/orders/export", methods: ["GET", "HEAD"], timeoutMs: 120_000, retries: { count: 0, on: [], statusCodes: [], methods: IDEMPOTENT } },
                { pathPrefix: "/internal", timeoutMs: 1000 },
            ],
        });
        const rules = JSON.parse(httpRoute(service).configJson).Rules;
        const path = (value: string) => ({ Match: "prefix", Value: value });
        const services = [{ Name: "orders", Weight: 1 }];
        expect(rules).to.deep.equal([
            { Matches: [{ Path: path("/api/v1/orders/export"), Method: "GET" }, { Path: path("/api/v1/orders/export"), Method: "HEAD" }], Filters: { TimeoutFilter: { RequestTimeout: "2m0s" } }, Services: services },
            { Matches: [{ Path: path("/api/v1/orders"), Method: "GET" }], Filters: { TimeoutFilter: { RequestTimeout: "10s" }, RetryFilter: { NumRetries: 1, RetryOn: ["reset"] } }, Services: services },
            { Matches: [{ Path: path("/api/v1/orders") }], Filters: { TimeoutFilter: { RequestTimeout: "10s" } }, Services: services },
        ]);
    });
});

describe("sticky canary entries", () => {
    const sticky = withResilience(orders, {}, true);

    it("router: after the colour header lanes, a cookie lane per colour to the colour's virtual service; before the splitter", () => {
        const routes = serviceRouter(sticky).routes;
        expect(routes.map((r) => r.destination.serviceSubset ?? r.destination.service)).to.deep.equal(["blue", "green", "orders-sticky-blue", "orders-sticky-green"]);
        expect(routes[3]).to.deep.equal({
            match: { http: { headers: [{ name: "cookie", regex: "^(.*;\\s*)?bluegreen-orders=green(\\s*;.*)?$" }] } },
            destination: { service: "orders-sticky-green", requestTimeout: "0s", idleTimeout: "0s" },
        });
        expect(serviceRouter(orders).routes).to.have.length(2);
        expect(stickyLanes("orders").map((l) => l.service)).to.deep.equal(["orders-sticky-blue", "orders-sticky-green"]);
    });

    it("the cookie regex matches the pair wherever it stands in the Cookie header, and nothing else (a full match, as Envoy's RE2 does)", () => {
        const full = (regex: string, value: string) => new RegExp(regex).test(value) && new RegExp(`^(?:${regex})$`).test(value);
        const green = stickyCookieRegex("orders", "green");
        for (const value of ["bluegreen-orders=green", "a=1; bluegreen-orders=green", "bluegreen-orders=green; a=1", "a=1;bluegreen-orders=green ; b=2"]) {
            expect(full(green, value), value).to.equal(true);
        }
        for (const value of ["bluegreen-orders=blue", "bluegreen-orders=greenish", "xbluegreen-orders=green", "bluegreen-ordersx=green", "a=bluegreen-orders=green", ""]) {
            expect(full(green, value), value).to.equal(false);
        }
    });

    it("virtual services as Pulumi first writes them: HTTP, and everything to the service's own splitter (the live split decides, whatever the stack file says)", () => {
        expect(stickyDefaults(sticky, "green")).to.deep.equal({ kind: "service-defaults", name: "orders-sticky-green", configJson: JSON.stringify({ Protocol: "http" }) });
        expect(stickySplitter(sticky, "green")).to.deep.equal({ name: "orders-sticky-green", splits: [{ service: "orders", weight: 100 }] });
        expect(stickySplitter({ ...sticky, traffic: { blue: 0, green: 100 } }, "green")).to.deep.equal(stickySplitter(sticky, "green"));
    });

    const split = (name: string, blue: number, green: number, cookie = false) => ({
        Kind: "service-splitter",
        Name: name,
        Splits: (
            [
                ["blue", blue],
                ["green", green],
            ] as const
        ).map(([colour, weight]) => ({
            Weight: weight,
            Service: "orders",
            ServiceSubset: colour,
            ...(cookie ? { ResponseHeaders: { Add: { "Set-Cookie": `bluegreen-orders=${colour}; Path=/; HttpOnly; SameSite=Lax` } } } : {}),
        })),
    });

    const follow = (name: string) => ({ Kind: "service-splitter", Name: name, Splits: [{ Weight: 100, Service: "orders" }] });

    it("no rollout: the virtual services hand everything to the service's splitter, which sets no cookie", () => {
        expect(trafficEntries("orders", { blue: 100, green: 0 }, true, false)).to.deep.equal([follow("orders-sticky-blue"), follow("orders-sticky-green"), split("orders", 100, 0)]);
    });

    it("during a rollout: each weighted colour's virtual service pinned to it, then the splitter adding the colour's cookie", () => {
        expect(trafficEntries("orders", { blue: 90, green: 10 }, true, true)).to.deep.equal([split("orders-sticky-blue", 100, 0), split("orders-sticky-green", 0, 100), split("orders", 90, 10, true)]);
        // A colour without weight is never pinned: its cookie leads where the split does.
        expect(trafficEntries("orders", { blue: 100, green: 0 }, true, true).slice(0, 2)).to.deep.equal([split("orders-sticky-blue", 100, 0), follow("orders-sticky-green")]);
        expect(stickySetCookie("orders", "green")).to.equal("bluegreen-orders=green; Path=/; HttpOnly; SameSite=Lax");
    });

    for (const [end, weights] of [
        ["rollback or abort (back to blue)", { blue: 100, green: 0 }],
        ["promotion (all to green)", { blue: 0, green: 100 }],
    ] as const) {
        it(`after ${end}: both virtual services unpinned (to the service's splitter) before the splitter, which stops setting the cookie; no lane leads to the colour left`, () => {
            const entries = trafficEntries("orders", weights, true, false) as { Name: string; Splits: { Weight: number; ServiceSubset?: string; ResponseHeaders?: unknown }[] }[];
            expect(entries.slice(0, 2)).to.deep.equal([follow("orders-sticky-blue"), follow("orders-sticky-green")]);
            const left = weights.blue === 0 ? "blue" : "green";
            expect(entries[2].Splits.find((s) => s.ServiceSubset === left)?.Weight).to.equal(0);
            expect(entries.flatMap((e) => e.Splits).every((s) => s.ResponseHeaders === undefined)).to.equal(true);
        });
    }

    it("a service without stickiness: the splitter alone, never a cookie", () => {
        expect(trafficEntries("orders", { blue: 50, green: 50 }, false, true)).to.deep.equal([split("orders", 50, 50)]);
    });
});
