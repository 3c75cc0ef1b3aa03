// cli/policy/runPack.ts: the pack run over a plan offline, as records shaped in several ways.
import { expect } from "chai";
import { runPolicyPack } from "../../../cli/policy/runPack";
import { edit, resource, safeStack } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

describe("runPolicyPack", () => {
    it("reports stack-level violations without a resource", async () => {
        const records = safeStack("prod");
        const second = resource(T.lb, "second-alb", { loadBalancerType: "application" }, { stack: "prod" });
        const report = await runPolicyPack("prod", [...records, second]);
        const stackWide = report.violations.filter((v) => v.resource === undefined);
        expect(stackWide.map((v) => v.policy)).to.deep.equal(["only-gateway-alb-internet-facing"]);
    });
});

describe("runPolicyPack on plans shaped in other ways", () => {
    it("checks a saved plan as the stack its document names, whatever its URNs say", async () => {
        const devServer = resource(T.td, "consul-dev-server-td", { containerDefinitions: JSON.stringify([{ name: "consul-server", image: "hashicorp/consul:2.0.1", command: ["agent", "-server"] }]) }, { stack: "dev" });
        const devPlan = [...safeStack("dev"), devServer];
        expect((await runPolicyPack("dev", devPlan)).violations.filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
        const asProd = await runPolicyPack("prod", devPlan);
        expect(asProd.violations.map((v) => v.policy)).to.include("production-consul-servers-ha");
        expect(asProd.violations.find((v) => v.policy === "production-consul-servers-ha")?.resource?.urn).to.match(/^urn:pulumi:prod::/);
    });

    it("treats awsx's ECS service components as ECS services (offline plans see only the component)", async () => {
        const toGreen = [
            { service: "orders", serviceSubset: "blue", weight: 0 },
            { service: "orders", serviceSubset: "green", weight: 100 },
        ];
        const records = edit(safeStack(), "orders-splitter", (i) => ({ ...i, splits: toGreen })).map((r) =>
            r.name.startsWith("orders-") && r.type === T.service ? { ...r, type: T.fargateService, urn: r.urn.replace(T.service, T.fargateService) } : r,
        );
        expect((await runPolicyPack("prod", records)).violations).to.deep.equal([]);
        const stopped = edit(records, "orders-green", (i) => ({ ...i, desiredCount: 0, networkConfiguration: { assignPublicIp: true } }));
        expect((await runPolicyPack("prod", stopped)).violations.map((v) => v.policy)).to.deep.equal(["weight-only-on-running-colours", "no-public-ip"]);
    });
});
