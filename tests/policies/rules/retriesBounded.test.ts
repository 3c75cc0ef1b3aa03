// policies/rules/retriesBounded.ts: retries-bounded-by-timeout.
import { expect } from "chai";
import { durationNs, retriesBoundedByTimeout } from "../../../policies/rules/retriesBounded";
import { edit, messages, resource, safeStack } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

type Route = { match?: unknown; destination: Record<string, unknown> };
const setDestination = (change: Record<string, unknown>) => (inputs: Record<string, unknown>) => ({
    ...inputs,
    routes: (inputs.routes as Route[]).map((r, i) => (i === 0 ? { ...r, destination: { ...r.destination, ...change } } : r)),
});

describe("policy retries-bounded-by-timeout", () => {
    it("accepts routes without retries, and retries with their own timeout", async () => {
        expect(await messages(safeStack(), retriesBoundedByTimeout)).to.deep.equal([]);
        const bounded = edit(safeStack(), "orders-router", setDestination({ numRetries: 2, retryOns: ["5xx"], requestTimeout: "1m30s" }));
        expect(await messages(bounded, retriesBoundedByTimeout)).to.deep.equal([]);
    });

    it("refuses a route that retries with no timeout, or with 0s (which leaves it to the resolver, out of the route's sight)", async () => {
        const none = edit(safeStack(), "orders-router", setDestination({ numRetries: 2 }));
        expect(await messages(none, retriesBoundedByTimeout)).to.deep.equal([
            'retries-bounded-by-timeout: router "orders": route 0 (to orders/blue) retries with no request timeout; give it a request timeout above 0, which bounds every attempt together',
        ]);
        const zero = edit(safeStack(), "orders-router", setDestination({ retryOnStatusCodes: [503], requestTimeout: "0s" }));
        expect((await messages(zero, retriesBoundedByTimeout)).join()).to.contain('retries with request timeout "0s"');
    });

    it("refuses more retries than the program allows", async () => {
        const many = edit(safeStack(), "orders-router", setDestination({ numRetries: 10, requestTimeout: "10s" }));
        expect(await messages(many, retriesBoundedByTimeout)).to.deep.equal([
            "retries-bounded-by-timeout: router \"orders\": route 0 (to orders/blue) retries 10 times; at most 5 retries keep a failing service from being buried under its callers' retries",
        ]);
    });

    it("checks the gateway's http-route rules and generic service-routers in Consul's field names", async () => {
        const route = resource(T.configEntry, "mesh-route-orders", {
            kind: "http-route",
            name: "orders",
            configJson: JSON.stringify({
                Rules: [
                    { Filters: { RetryFilter: { NumRetries: 1 }, TimeoutFilter: { RequestTimeout: "10s" } }, Services: [{ Name: "orders" }] },
                    { Filters: { RetryFilter: { NumRetries: 1, RetryOn: ["reset"] } }, Services: [{ Name: "orders" }] },
                    { Services: [{ Name: "orders", Filters: { RetryFilter: { RetryOnConnectFailure: true } } }] },
                ],
            }),
        });
        const router = resource(T.configEntry, "generic-router", {
            kind: "service-router",
            name: "svc",
            configJson: JSON.stringify({ Routes: [{ Destination: { NumRetries: 3, RequestTimeout: 5_000_000_000 } }, { Destination: { RetryOn: ["5xx"] } }] }),
        });
        expect(await messages([...safeStack(), route, router], retriesBoundedByTimeout)).to.deep.equal([
            'retries-bounded-by-timeout: router "svc": route 1 (to svc) retries with no request timeout; give it a request timeout above 0, which bounds every attempt together',
            'retries-bounded-by-timeout: http-route "orders": rule 1 retries with no request timeout; give it a request timeout above 0, which bounds every attempt together',
            'retries-bounded-by-timeout: http-route "orders": rule 2 retries with no request timeout; give it a request timeout above 0, which bounds every attempt together',
        ]);
    });

    it("reads Go durations and nanoseconds", () => {
        expect(["0s", "500ms", "1.5s", "1m30s", "1h0m0s", "15", "", "1d"].map(durationNs)).to.deep.equal([0, 5e8, 1.5e9, 9e10, 3.6e12, undefined, undefined, undefined]);
        expect(durationNs(42)).to.equal(42);
    });
});
