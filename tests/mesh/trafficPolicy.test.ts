// TrafficPolicy and MeshDefaults under Pulumi's mock runtime, registered through createMeshTraffic
// (the function index.ts calls) over STAND-INS for the server cluster's provider, readiness wait
// and API access (src/offline/trafficOnlyProgram.ts).
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { RegisteredResource } from "../../src/offline/planRecords";
import { StackValues } from "../../src/offline/stackFile";
import { checkReleaseChanges, diffOfflinePlans } from "../../src/offline/planDiff";
import { describeFlipBlastRadius } from "../support/blastRadius";
import { plan, Plan, services } from "../support/harness";
import { trafficProgram } from "../../src/offline/trafficOnlyProgram";
import { T } from "../support/typeTokens";


const planTraffic = (stack: "dev" | "prod", edit?: (c: StackValues) => void) => plan(stack, edit, { program: trafficProgram });

/** Names (the last URN segment) of a resource's explicit dependencies. */
function dependencyNames(r: RegisteredResource): string[] {
    return r.dependsOn.map((urn) => urn.slice(urn.lastIndexOf("::") + 2)).sort();
}

describe("TrafficPolicy and MeshDefaults (mock runtime, stand-in server cluster)", () => {
    let dev: Plan;
    before(async () => {
        dev = await planTraffic("dev");
    });

    it("registers one TrafficPolicy per service with defaults, resolver, gate, splitter, router and intentions", () => {
        for (const service of ["orders", "inventory"]) {
            const policy = dev.named(`traffic-${service}`, T.trafficPolicyComponent);
            const children = dev.childrenOf(policy).map((r) => `${r.type} ${r.name}`).sort();
            expect(children).to.deep.equal(
                [
                    `${T.configEntry} traffic-${service}-defaults`,
                    `${T.resolver} traffic-${service}-resolver`,
                    `${T.splitGuard} traffic-${service}-gate`,
                    `${T.splitter} traffic-${service}-splitter`,
                    `${T.router} traffic-${service}-router`,
                    `${T.intentions} traffic-${service}-intentions`,
                ].sort(),
            );
        }
    });

    it("gives every config entry its fixed Consul name and writes it through the stack's Consul provider", () => {
        const provider = dev.named("consul", T.consulProvider);
        const entries = dev.resources.filter((r) => r.type.startsWith("consul:index/configEntry"));
        expect(entries).to.have.length(2 * 5 + 3);
        for (const entry of entries) {
            expect(entry.provider, entry.name).to.equal(`${provider.urn}::consul-id`);
            expect(entry.inputs.name, entry.name).to.be.a("string").and.not.equal("");
        }
        expect(dev.named("traffic-orders-splitter").inputs.name).to.equal("orders");
        expect(dev.named("mesh-proxy-defaults").inputs).to.include({ kind: "proxy-defaults", name: "global" });
        expect(dev.named("mesh-api-gateway").inputs).to.include({ kind: "api-gateway", name: "api-gateway" });
        expect(dev.named("mesh-route-orders").inputs).to.include({ kind: "http-route", name: "orders" });
        expect(dev.resources.filter((r) => r.name.startsWith("mesh-route-"))).to.have.length(1);
    });

    it("chains defaults -> resolver -> gate -> splitter -> router -> intentions, every entry after the readiness wait", () => {
        const deps = (name: string) => dependencyNames(dev.named(name));
        expect(deps("traffic-orders-defaults")).to.deep.equal(["consul-ready"]);
        expect(deps("traffic-orders-resolver")).to.deep.equal(["consul-ready", "traffic-orders-defaults"]);
        expect(deps("traffic-orders-gate")).to.deep.equal(["traffic-orders-resolver"]);
        expect(deps("traffic-orders-splitter")).to.deep.equal(["consul-ready", "traffic-orders-gate", "traffic-orders-resolver"]);
        expect(deps("traffic-orders-router")).to.deep.equal(["consul-ready", "traffic-orders-splitter"]);
        expect(deps("traffic-orders-intentions")).to.deep.equal(["consul-ready", "traffic-orders-router"]);
        expect(deps("mesh-proxy-defaults")).to.deep.equal(["consul-ready"]);
        expect(deps("mesh-api-gateway")).to.deep.equal(["consul-ready"]);
        // A route binds only once the gateway exists and its service's whole policy (defaults to intentions) does.
        expect(deps("mesh-route-orders")).to.deep.equal(["consul-ready", "mesh-api-gateway", "traffic-orders-intentions"]);
    });

    it("gates the splitter on the weights and the counts of the weighted colours, with the API access as a secret", () => {
        const gate = dev.named("traffic-orders-gate", T.splitGuard);
        expect(gate.inputs).to.deep.include({ service: "orders", weights: { blue: 100, green: 0 }, required: { blue: 1 }, skip: false, timeoutSeconds: 300 });
        expect(gate.secretInputs).to.deep.equal(["consul"]);
        expect(gate.inputs.consul).to.equal("[secret]");
        expect(JSON.stringify(dev.resources.map((r) => r.inputs))).to.not.include("MOCKSECRET");
    });

    it("asks for gate.minHealthy instead of the count, for every weighted colour", async () => {
        const prod = await planTraffic("prod", (c) => {
            services(c).orders.traffic = { blue: 50, green: 50 };
            services(c).orders.gate = { minHealthy: 1 };
        });
        expect(prod.named("traffic-orders-gate").inputs).to.deep.include({ weights: { blue: 50, green: 50 }, required: { blue: 1, green: 1 } });
        expect(prod.named("traffic-inventory-gate").inputs).to.deep.include({ required: { blue: 2 } });
    });

    it("warns loudly when gate.skip is set, and passes skip to the gate", async () => {
        const warnings: string[] = [];
        const original = pulumi.log.warn;
        pulumi.log.warn = (message: string) => {
            warnings.push(message);
            return Promise.resolve();
        };
        let skipped: Plan;
        try {
            skipped = await planTraffic("dev", (c) => (services(c).orders.gate = { skip: true }));
        } finally {
            pulumi.log.warn = original;
        }
        expect(skipped.named("traffic-orders-gate").inputs.skip).to.equal(true);
        expect(warnings.filter((w) => w.startsWith("HEALTH GATE SKIPPED for orders"))).to.have.length(1);
        expect(warnings.join("\n")).to.not.include("inventory");
    });

    it("writes no intentions entry for a service nothing may call (Consul rejects one without sources)", async () => {
        const lonely = await planTraffic("dev", (c) => {
            services(c).orders.upstreams = [];
        });
        expect(lonely.resources.map((r) => r.name)).to.not.include("traffic-inventory-intentions");
        expect(dependencyNames(lonely.named("traffic-inventory-router"))).to.deep.equal(["consul-ready", "traffic-inventory-splitter"]);
    });
});

describe("TrafficPolicy with resilience settings and a sticky canary", () => {
    const resilient = (c: StackValues) => {
        services(c).orders.rollout = { sticky: true };
        services(c).orders.resilience = { timeouts: { request: "30s" }, retries: { count: 2 } };
        services(c).inventory.resilience = { outlierDetection: { consecutive5xx: 3 }, connectionLimits: { maxPendingRequests: 64 } };
    };
    let sticky: Plan;
    before(async () => {
        sticky = await planTraffic("dev", resilient);
    });

    it("registers each colour's virtual service (defaults, then a splitter Pulumi writes once, after the service's) before the router, which routes the cookie to them", () => {
        const deps = (name: string) => dependencyNames(sticky.named(name));
        for (const colour of ["blue", "green"]) {
            const defaults = sticky.named(`traffic-orders-sticky-${colour}-defaults`, T.configEntry);
            expect(defaults.inputs).to.include({ kind: "service-defaults", name: `orders-sticky-${colour}` });
            const splitter = sticky.named(`traffic-orders-sticky-${colour}-splitter`, T.splitter);
            expect(splitter.inputs.name).to.equal(`orders-sticky-${colour}`);
            expect(splitter.ignoreChanges).to.deep.equal(["splits"]);
            expect(deps(`traffic-orders-sticky-${colour}-splitter`)).to.deep.equal(["consul-ready", "traffic-orders-splitter", `traffic-orders-sticky-${colour}-defaults`]);
        }
        expect(deps("traffic-orders-router")).to.deep.equal(["consul-ready", "traffic-orders-splitter", "traffic-orders-sticky-blue-splitter", "traffic-orders-sticky-green-splitter"]);
        const routes = sticky.named("traffic-orders-router").inputs.routes as { destination: { service: string } }[];
        expect(routes.map((r) => r.destination.service)).to.include.members(["orders-sticky-blue", "orders-sticky-green"]);
        expect(sticky.resources.filter((r) => r.name.startsWith("traffic-inventory-sticky"))).to.deep.equal([]);
    });

    it("puts inventory's ejection and limits into orders' service-defaults (the caller), and orders' timeout into its resolver", () => {
        expect(JSON.parse(sticky.named("traffic-orders-defaults").inputs.configJson as string).UpstreamConfig.Overrides).to.deep.equal([
            {
                Name: "inventory",
                PassiveHealthCheck: { Interval: "10s", MaxFailures: 3, EnforcingConsecutive5xx: 100, MaxEjectionPercent: 10, BaseEjectionTime: "30s" },
                Limits: { MaxPendingRequests: 64 },
            },
        ]);
        expect(sticky.named("traffic-orders-resolver").inputs.requestTimeout).to.equal("30s");
    });

    it("a traffic change of a sticky, resilient service still changes exactly one resource, the Release", async () => {
        const after = await planTraffic("dev", (c) => {
            resilient(c);
            services(c).orders.traffic = { blue: 90, green: 10 };
        });
        const changes = diffOfflinePlans(sticky.result, after.result);
        expect(checkReleaseChanges(changes)).to.deep.equal({ ok: true, unexpected: [], releaseChanged: true });
    });
});

describeFlipBlastRadius("the traffic side over stand-ins (src/offline/trafficOnlyProgram.ts)", trafficProgram, { amongHundred: true });

describe("a flip's verdict", () => {
    it("recognises a change beyond the weights as more than a flip", async () => {
        const before = await planTraffic("dev");
        const after = await planTraffic("dev", (c) => {
            services(c).orders.traffic = { blue: 90, green: 10 };
            services(c).orders.route = { pathPrefix: "/api/v2/orders" };
        });
        const verdict = checkReleaseChanges(diffOfflinePlans(before.result, after.result));
        expect(verdict.ok).to.equal(false);
        expect(verdict.releaseChanged).to.equal(true);
        expect(verdict.unexpected).to.have.length(1);
        expect(verdict.unexpected[0]).to.match(/^changed .*::mesh-route-orders$/);
    });
});
