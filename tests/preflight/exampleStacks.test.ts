// The preflight over the example stacks exactly as they plan today, and over copies in which the
// defects issue 10 lists are repaired. While a defect is open on main, the expectation below names
// it, so the test states the truth; a fix of the program turns that line into a pass and this test
// fails until the line is removed.
import { expect } from "chai";
import { runPreflight } from "../../src/preflight/preflight";
import { failures, formatReport } from "../../src/preflight/report";
import { dropStatement, failedLinks, planRecords, repairedPlan } from "../support/preflightFixtures";

describe("preflight: the example stacks", function () {
    it("prod (ha servers) fails exactly on the open issue-10 defects: colour header, WAN gossip 8302, servers' agent token", async () => {
        const report = await runPreflight(await planRecords("prod"));
        expect(failedLinks(report)).to.deep.equal([
            // issue 10, defect 2: the public HTTPS listener forwards a request carrying x-bluegreen-color.
            "alb.colourHeader api-gateway-https",
            // issue 10, defect 3: no acl.tokens.agent on the servers.
            "servers.agentToken consul-server",
            // issue 10, defect 4: tcp and udp 8302 between servers.
            "servers.ports sg-servers",
        ]);
        expect(failures(report).filter((f) => f.step === "servers.ports").map((f) => f.detail)).to.satisfy((details: string[]) => details.length === 2 && details.every((d) => d.includes("8302")));
        // issue 10, defect 1, fixed: the controller's task role may call ec2:DescribeInstances.
        const discovery = report.steps.find((s) => s.step === "controller.discovery");
        expect(discovery?.passed, discovery?.detail).to.equal(true);
        expect(discovery?.detail).to.include("ec2:DescribeInstances allowed to consul-ecs-controller-task");
    });

    it("dev (one Fargate server) fails exactly on the colour header and the servers' agent token (issue 10, defects 2 and 3)", async () => {
        expect(failedLinks(await runPreflight(await planRecords("dev")))).to.deep.equal(["alb.colourHeader api-gateway-http", "servers.agentToken consul-server"]);
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
