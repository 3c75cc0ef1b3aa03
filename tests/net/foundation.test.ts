// The foundation under the mock runtime: network, ECS cluster and security groups as registered by
// the real program for each example stack, and the offline plan command.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { examplePlan, plan, Plan, services } from "../support/harness";
import { plan as planCommand } from "../../cli/plan/main";
import { reportError } from "../../cli/shared/run";
import { securityGroupRules } from "../../src/net/render/securityGroupRules";

describe("foundation", () => {
    let dev: Plan;
    let prod: Plan;
    before(async () => {
        dev = await plan("dev");
        prod = await plan("prod");
    });

    it("creates an awsx VPC shaped by the stack's network config", () => {
        const devVpc = dev.named("network-vpc", "awsx:ec2:Vpc");
        expect(devVpc.inputs).to.include({ cidrBlock: "10.40.0.0/16", numberOfAvailabilityZones: 2 });
        expect(devVpc.inputs.natGateways).to.deep.equal({ strategy: "Single" });
        const prodVpc = prod.named("network-vpc", "awsx:ec2:Vpc");
        expect(prodVpc.inputs).to.include({ cidrBlock: "10.50.0.0/16", numberOfAvailabilityZones: 3 });
        expect(prodVpc.inputs.natGateways).to.deep.equal({ strategy: "OnePerAz" });
        expect(dev.parentOf(devVpc)?.type).to.equal("bluegreen:net:Network");
    });

    it("adopts an existing VPC instead of creating one", async () => {
        const own = await plan("dev", (c) => {
            c["bluegreen:network"] = { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-01", "subnet-02"], publicSubnetIds: ["subnet-03", "subnet-04"] };
        });
        expect(own.ofType("awsx:ec2:Vpc")).to.be.empty;
        const sg = own.named("sg-servers", "aws:ec2/securityGroup:SecurityGroup");
        expect(sg.inputs.vpcId).to.equal("vpc-0abc");
    });

    it("creates the ECS cluster with Container Insights and a log group per stack", () => {
        for (const [p, stack] of [[dev, "dev"], [prod, "prod"]] as const) {
            const cluster = p.named("ecs-cluster", "aws:ecs/cluster:Cluster");
            expect(cluster.inputs.settings).to.deep.equal([{ name: "containerInsights", value: "enabled" }]);
            const logs = p.named("ecs-logs", "aws:cloudwatch/logGroup:LogGroup");
            expect(logs.inputs).to.include({ name: `/bluegreen/${stack}`, retentionInDays: 30 });
            expect(p.parentOf(cluster)?.type).to.equal("bluegreen:ecs:Cluster");
        }
    });

    it("registers one security group rule per row of the rule table", () => {
        const expected = securityGroupRules({ ingressCidrs: ["0.0.0.0/0"], https: true }).length;
        const registered = prod.resources.filter((r) => r.type.startsWith("aws:vpc/securityGroup")).length;
        expect(registered).to.equal(expected);
        const devExpected = securityGroupRules({ ingressCidrs: ["0.0.0.0/0"], https: false }).length;
        expect(dev.resources.filter((r) => r.type.startsWith("aws:vpc/securityGroup")).length).to.equal(devExpected);
    });

    it("registers nothing when the config is invalid, and says why", async () => {
        let error: unknown;
        try {
            await plan("dev", (c) => (services(c).orders.traffic = { blue: 70, green: 20 }));
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(Error);
        expect((error as Error).message).to.include("bluegreen:services.orders.traffic: weights sum to 90");
        const out: string[] = [];
        expect(reportError(error, (t) => out.push(t))).to.equal(1);
        expect(out.join("\n")).to.not.include("    at ");
    });
});

describe("npm run plan", () => {
    it("prints resources by component, counts by type and the traffic table", async () => {
        const out: string[] = [];
        expect(await planCommand(["--stack", "dev"], (t) => out.push(t))).to.equal(0);
        const text = out.join("\n");
        expect(text).to.match(/Plan for stack "dev" .* \d+ resources/);
        expect(text).to.include("+ bluegreen:ecs:Cluster  ecs");
        expect(text).to.match(/aws:ecs\/cluster:Cluster\s+1/);
        expect(text).to.match(/orders\s+green\s+nicholasjackson\/fake-service:v0.26.2\s+1\s+0%/);
        expect(text).to.match(/inventory\s+blue\s+nicholasjackson\/fake-service:v0.26.2\s+1\s+100%/);
    });

    it("prints JSON that parses, with type, name, parent and inputs", async () => {
        const out: string[] = [];
        await planCommand(["--stack", "prod", "--json"], (t) => out.push(t));
        const doc = JSON.parse(out.join("\n"));
        expect(doc.stack).to.equal("prod");
        const cluster = doc.resources.find((r: { type: string }) => r.type === "aws:ecs/cluster:Cluster");
        expect(cluster).to.include.keys("type", "name", "parent", "inputs");
        expect(cluster.parent).to.match(/bluegreen:ecs:Cluster::ecs$/);
    });

    it("rejects an unknown stack and a missing --stack as usage errors", async () => {
        for (const args of [["--stack", "nope"], []]) {
            let error: unknown;
            try {
                await planCommand(args, () => undefined);
            } catch (err) {
                error = err;
            }
            const out: string[] = [];
            expect(reportError(error, (t) => out.push(t))).to.equal(2);
        }
    });
});

describe("stack files that cannot be read", () => {
    async function planFile(text: string): Promise<{ code: number; out: string }> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-"));
        fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), text);
        const out: string[] = [];
        try {
            return { code: await planCommand(["--stack", "broken", "--dir", dir], (t) => out.push(t)), out: out.join("\n") };
        } catch (err) {
            return { code: reportError(err, (t) => out.push(t)), out: out.join("\n") };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("reports a YAML syntax error with the file's name, exit 1", async () => {
        const { code, out } = await planFile("config:\n  bluegreen:services: {\n");
        expect(code).to.equal(1);
        expect(out).to.include("Pulumi.broken.yaml: is not valid YAML");
    });

    it("reports a config that is not a map, exit 1", async () => {
        const { code, out } = await planFile("config: [1, 2]\n");
        expect(code).to.equal(1);
        expect(out).to.include("config: must be a map");
    });

    it("reports missing required keys, exit 1", async () => {
        const { code, out } = await planFile("config:\n  aws:region: eu-west-1\n  bluegreen:services: []\n");
        expect(code).to.equal(1);
        expect(out).to.include("bluegreen:services: [] is not an object");
        expect(out).to.include("bluegreen:consul: is required");
        expect(out).to.include("bluegreen:gateway: is required");
        expect(out).to.not.include("is empty");
    });
});

describe("the program's Consul writes", () => {
    it("go through the stack's own Consul provider, never a default one (which would dial localhost:8500)", async () => {
        for (const stack of ["dev", "prod"] as const) {
            const p = await examplePlan(stack);
            const provider = p.named("consul-consul", "pulumi:providers:consul");
            const writes = p.resources.filter((r) => r.type.startsWith("consul:index/"));
            expect(writes.length, stack).to.be.greaterThan(10);
            for (const write of writes) {
                expect(write.provider, `${stack} ${write.name}`).to.equal(`${provider.urn}::consul-consul-id`);
            }
        }
    });
});
