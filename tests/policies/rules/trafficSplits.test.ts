// policies/rules/trafficSplits.ts: consul-traffic-splits.
import { expect } from "chai";
import { consulTrafficSplits } from "../../../policies/rules/trafficSplits";
import { edit, messages, resource, safeStack, without } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

type Split = { service: string; serviceSubset?: string; weight: unknown };
const setSplits = (splits: Split[]) => (inputs: Record<string, unknown>) => ({ ...inputs, splits });

describe("policy consul-traffic-splits", () => {
    it("accepts weights 100/0 and 33.33/66.67 on subsets the resolver defines", async () => {
        expect(await messages(safeStack(), consulTrafficSplits)).to.deep.equal([]);
        const fractional = edit(safeStack(), "orders-splitter", setSplits([{ service: "orders", serviceSubset: "blue", weight: 33.33 }, { service: "orders", serviceSubset: "green", weight: 66.67 }]));
        expect(await messages(fractional, consulTrafficSplits)).to.deep.equal([]);
    });

    it("rejects weights that do not sum to 100", async () => {
        const stack = edit(safeStack(), "orders-splitter", setSplits([{ service: "orders", serviceSubset: "blue", weight: 70 }, { service: "orders", serviceSubset: "green", weight: 20 }]));
        expect(await messages(stack, consulTrafficSplits)).to.deep.equal(['consul-traffic-splits: splitter "orders": weights sum to 90; blue + green must be exactly 100']);
    });

    it("rejects a weight that is not a number", async () => {
        const stack = edit(safeStack(), "orders-splitter", setSplits([{ service: "orders", serviceSubset: "blue", weight: "100" }, { service: "orders", serviceSubset: "green", weight: 0 }]));
        expect((await messages(stack, consulTrafficSplits)).join("\n")).to.include('the weight of split blue: "100" is not a number');
    });

    it("rejects a weight Consul would round (more than 2 decimals), as stack config does", async () => {
        const stack = edit(safeStack(), "orders-splitter", setSplits([{ service: "orders", serviceSubset: "blue", weight: 33.333 }, { service: "orders", serviceSubset: "green", weight: 66.667 }]));
        expect(await messages(stack, consulTrafficSplits)).to.deep.equal([
            'consul-traffic-splits: splitter "orders": the weight of split blue: 33.333 has more than 2 decimals; Consul keeps weights to 0.01',
            'consul-traffic-splits: splitter "orders": the weight of split green: 66.667 has more than 2 decimals; Consul keeps weights to 0.01',
        ]);
    });

    it("rejects a split to a subset the resolver does not define, or to no subset", async () => {
        const stack = edit(safeStack(), "orders-splitter", setSplits([{ service: "orders", serviceSubset: "blue", weight: 50 }, { service: "orders", serviceSubset: "canary", weight: 50 }]));
        expect(await messages(stack, consulTrafficSplits)).to.deep.equal(['consul-traffic-splits: splitter "orders": subset "canary" is not defined by service-resolver "orders" (defined: blue, green)']);
        const bare = edit(safeStack(), "orders-splitter", setSplits([{ service: "orders", weight: 100 }]));
        expect((await messages(bare, consulTrafficSplits)).join("\n")).to.include("names no serviceSubset");
        // To another service with a splitter of its own, a split may name no subset: that splitter decides.
        const delegating = [...safeStack(), resource(T.splitter, "orders-sticky-green-splitter", { name: "orders-sticky-green", splits: [{ service: "orders", weight: 100 }] })];
        expect(await messages(delegating, consulTrafficSplits)).to.deep.equal([
            'consul-traffic-splits: splitter "orders-sticky-green": service "orders-sticky-green" has no service-defaults entry; Consul rejects a splitter or router unless the protocol is one of http, http2, grpc',
        ]);
        const nowhere = [...safeStack(), resource(T.splitter, "x-splitter", { name: "x", splits: [{ service: "payments", weight: 100 }] })];
        expect((await messages(nowhere, consulTrafficSplits)).join("\n")).to.include('the split to "payments" names no serviceSubset');
    });

    it("rejects a splitter whose service has no resolver", async () => {
        const stack = without(safeStack(), "orders-resolver");
        const found = await messages(stack, consulTrafficSplits);
        expect(found.join("\n")).to.include('the stack has no service-resolver named "orders"');
    });

    it("rejects a splitter or router without service-defaults of an HTTP-like protocol", async () => {
        const tcp = edit(safeStack(), "inventory-defaults", (i) => ({ ...i, protocol: "tcp" }));
        expect(await messages(tcp, consulTrafficSplits)).to.deep.equal([
            'consul-traffic-splits: splitter "inventory": service-defaults "inventory" has protocol "tcp"; a splitter or router needs one of http, http2, grpc',
            'consul-traffic-splits: router "inventory": service-defaults "inventory" has protocol "tcp"; a splitter or router needs one of http, http2, grpc',
        ]);
        const missing = without(safeStack(), "inventory-defaults");
        expect((await messages(missing, consulTrafficSplits)).length).to.equal(2);
    });

    it("reads generic consul.ConfigEntry resources in Consul's own field names", async () => {
        const generic = [
            resource(T.configEntry, "svc-defaults", { kind: "service-defaults", name: "svc", configJson: JSON.stringify({ Protocol: "http" }) }),
            resource(T.configEntry, "svc-resolver", { kind: "service-resolver", name: "svc", configJson: JSON.stringify({ Subsets: { blue: { Filter: 'Service.Meta.version == "blue"' }, green: { Filter: 'Service.Meta.version == "green"' } } }) }),
            resource(T.configEntry, "svc-splitter", { kind: "service-splitter", name: "svc", configJson: JSON.stringify({ Splits: [{ Weight: 60, ServiceSubset: "blue" }, { Weight: 30, ServiceSubset: "green" }] }) }),
        ];
        expect(await messages(generic, consulTrafficSplits)).to.deep.equal(['consul-traffic-splits: splitter "svc": weights sum to 90; blue + green must be exactly 100']);
    });

    it("rejects a router destination subset the resolver does not define", async () => {
        const stack = edit(safeStack(), "orders-router", (i) => ({ ...i, routes: [{ match: { http: { pathPrefix: "/" } }, destination: { service: "orders", serviceSubset: "purple" } }] }));
        expect(await messages(stack, consulTrafficSplits)).to.deep.equal(['consul-traffic-splits: router "orders": subset "purple" is not defined by service-resolver "orders" (defined: blue, green)']);
    });
});
