// policies/rules/stickyEndsWithRollout.ts: sticky-canary-ends-with-rollout. A plan is the stack at
// rest (a rollout lives in the engine's state in Consul KV), so stickiness in a plan is stickiness
// left behind.
import { expect } from "chai";
import { stickyEndsWithRollout } from "../../../policies/rules/stickyEndsWithRollout";
import type { PlanRecord } from "../../../src/offline/planRecords";
import { edit, messages, resource, safeStack } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

const COOKIE = { name: "cookie", regex: "^(.*;\\s*)?bluegreen-orders=green(\\s*;.*)?$" };
const split = (blue: number, green: number) => [
    { service: "orders", serviceSubset: "blue", weight: blue },
    { service: "orders", serviceSubset: "green", weight: green },
];

const FOLLOW = [{ service: "orders", weight: 100 }];

/** The safe stack plus orders' sticky lanes as the program registers them at rest. */
function stickyStack(virtualGreen: unknown[] = FOLLOW): PlanRecord[] {
    const stack = edit(safeStack(), "orders-router", (inputs) => ({
        ...inputs,
        routes: [...(inputs.routes as unknown[]), { match: { http: { headers: [COOKIE] } }, destination: { service: "orders-sticky-green", requestTimeout: "0s", idleTimeout: "0s" } }],
    }));
    return [
        ...stack,
        resource(T.splitter, "orders-sticky-blue-splitter", { name: "orders-sticky-blue", splits: FOLLOW }),
        resource(T.splitter, "orders-sticky-green-splitter", { name: "orders-sticky-green", splits: virtualGreen }),
    ];
}

describe("policy sticky-canary-ends-with-rollout", () => {
    it("accepts the sticky lanes at rest: cookie routes to virtual services that hand everything to the service's splitter", async () => {
        expect(await messages(safeStack(), stickyEndsWithRollout)).to.deep.equal([]);
        expect(await messages(stickyStack(), stickyEndsWithRollout)).to.deep.equal([]);
    });

    it("refuses a virtual service pinned to a colour with no rollout running", async () => {
        expect(await messages(stickyStack(split(0, 100)), stickyEndsWithRollout)).to.deep.equal([
            'sticky-canary-ends-with-rollout: router "orders": route 2 on the sticky cookie goes to orders-sticky-green, whose splitter (orders/blue 0, orders/green 100) does not hand everything to orders\'s own splitter: a colour is pinned with no rollout running',
        ]);
        // Even a copy of today's split is refused: it would not follow the next change of the split.
        expect(await messages(stickyStack(split(100, 0)), stickyEndsWithRollout)).to.have.length(1);
    });

    it("refuses a cookie route straight to a subset, which would outlive every rollback", async () => {
        const direct = edit(stickyStack(), "orders-router", (inputs) => ({
            ...inputs,
            routes: (inputs.routes as { destination: Record<string, unknown> }[]).map((r, i) => (i === 2 ? { ...r, destination: { service: "orders", serviceSubset: "green" } } : r)),
        }));
        expect((await messages(direct, stickyEndsWithRollout)).join()).to.contain("route 2 on the sticky cookie goes to orders/green; it must go to a sticky virtual service");
    });

    it("refuses a cookie route to a virtual service the stack does not split", async () => {
        const missing = stickyStack().filter((r) => r.name !== "orders-sticky-green-splitter");
        expect((await messages(missing, stickyEndsWithRollout)).join()).to.contain("goes to orders-sticky-green, but the stack has no splitter for it");
    });

    it("refuses a splitter that hands out the sticky cookie, typed or generic", async () => {
        const cookie = edit(safeStack(), "orders-splitter", (inputs) => ({
            ...inputs,
            splits: split(90, 10).map((s) => ({ ...s, responseHeaders: { add: { "Set-Cookie": `bluegreen-orders=${s.serviceSubset}; Path=/` } } })),
        }));
        expect(await messages(cookie, stickyEndsWithRollout)).to.have.length(2);
        const generic = resource(T.configEntry, "generic-splitter", {
            kind: "service-splitter",
            name: "orders",
            configJson: JSON.stringify({ Splits: [{ Weight: 100, Service: "orders", ServiceSubset: "blue", ResponseHeaders: { Set: { "set-cookie": "bluegreen-orders=blue" } } }] }),
        });
        expect((await messages([...safeStack(), generic], stickyEndsWithRollout)).join()).to.contain('splitter "orders": split blue sets the sticky cookie bluegreen-orders with no rollout running');
        // Other cookies are the application's business.
        const other = edit(safeStack(), "orders-splitter", (inputs) => ({ ...inputs, splits: split(100, 0).map((s) => ({ ...s, responseHeaders: { add: { "Set-Cookie": "session=1" } } })) }));
        expect(await messages(other, stickyEndsWithRollout)).to.deep.equal([]);
    });
});
