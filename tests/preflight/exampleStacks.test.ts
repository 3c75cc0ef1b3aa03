// The preflight over the example stacks exactly as they plan, and over the fixtures' "repaired"
// copies (which repair nothing now that issue 10's defects are fixed; they keep the link tests
// independent of the example stacks' state).
import { expect } from "chai";
import { runPreflight } from "../../src/preflight/preflight";
import { failures, formatReport } from "../../src/preflight/report";
import { dropStatement, failedLinks, planRecords, repairedPlan } from "../support/preflightFixtures";

describe("preflight: the example stacks", function () {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}, as it plans, passes every step of the start-up`, async () => {
            const report = await runPreflight(await planRecords(stack));
            expect(failedLinks(report), formatReport(report)).to.deep.equal([]);
        });
    }

    it("prod passes the links issue 10 found broken: controller discovery, WAN gossip 8302, agent token, colour header", async () => {
        const report = await runPreflight(await planRecords("prod"));
        const detail = (step: string, match: string) => report.steps.filter((s) => s.step === step && s.passed).map((s) => s.detail).find((d) => d.includes(match));
        expect(detail("controller.discovery", "ec2:DescribeInstances allowed to consul-ecs-controller-task")).to.be.a("string");
        expect(report.steps.filter((s) => s.step === "servers.ports" && s.passed && s.detail.includes("/8302")).length).to.equal(2);
        expect(detail("servers.agentToken", "acl.tokens.agent")).to.be.a("string");
        expect(detail("alb.colourHeader", "fixed-response 403")).to.be.a("string");
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}, with those defects repaired, passes every step of the start-up`, async () => {
            const report = await runPreflight(await repairedPlan(stack));
            expect(failures(report), formatReport(report)).to.deep.equal([]);
            const steps = new Set(report.steps.map((s) => s.step));
            for (const step of ["servers.bootstrap", "servers.join", "servers.ports", "servers.secrets", "servers.agentToken", "api.listener", "api.operator", "api.pulumi", "api.client", "api.clientSecrets", "controller.network", "controller.discovery", "controller.token", "controller.aclPolicy", "controller.ecsTasks", "mesh.secrets", "mesh.discovery", "mesh.network", "mesh.dataplane", "mesh.login", "traffic.upstream", "gateway.route", "alb.internet", "alb.gateway", "alb.healthCheck", "alb.colourHeader", "iam.actions"]) {
                expect(steps, step).to.include(step);
            }
        });
    }

    it("reads like a report: phases in start-up order, one line per step, each failure with its fix", async () => {
        const plan = await repairedPlan("prod");
        dropStatement(plan, "consul-ecs-controller-task", "DiscoverConsulServers");
        const text = formatReport(await runPreflight(plan));
        const lines = text.split("\n");
        expect(lines[0]).to.equal("Preflight of stack prod: the platform's start-up, step by step");
        const phases = lines.filter((l) => /^\d\. /.test(l));
        expect(phases).to.deep.equal(["1. Consul servers", "2. Consul API (operators, pulumi up)", "3. consul-ecs controller", "4. Mesh tasks", "5. Upstreams, gateway routes and the public ALB", "6. IAM policies"]);
        const fail = lines.findIndex((l) => l.includes("FAIL  controller.discovery"));
        expect(lines[fail]).to.include("consul-ecs-controller-task").and.include("ec2:DescribeInstances");
        expect(lines[fail + 1].trim()).to.equal('fix: allow ec2:DescribeInstances on "*" in the policy of role consul-ecs-controller-task');
        expect(lines.at(-1)).to.match(/^\d+ steps, 1 failed: fix it before pulumi up\.$/);
    });
});
