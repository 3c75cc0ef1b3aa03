// The offline policy check: `npm run plan -- --stack <s> --policy` and `npm run policy -- <plan.json>`
// over the example stacks, over saved plans made unsafe on purpose, and its exit codes.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { plan as planCommand, planToJson } from "../../cli/plan/main";
import { policy as policyCommand } from "../../cli/policy/main";
import { mockId } from "../../cli/policy/policyArgs";
import { checkPlan } from "../../cli/policy/check";
import { UsageError } from "../../src/offline/errors";
import * as meshNames from "../../src/mesh/names";
import * as packNames from "../../policies/rules/names";
import { policies } from "../../policies/rules";
import { plan, ROOT } from "../support/harness";
import { edit, messages, resource, safeStack, T } from "../support/policyFixtures";

async function run(command: (argv: string[], write: (t: string) => void) => Promise<number>, argv: string[]): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const code = await command(argv, (t) => out.push(t));
    return { code, out: out.join("\n") };
}

describe("the policy pack's rules", () => {
    it("have unique names, descriptions and an enforcement level each", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).to.equal(names.length);
        for (const p of policies) {
            expect(p.description, p.name).to.have.length.above(40);
            expect(["mandatory", "advisory"], p.name).to.include(p.enforcementLevel);
        }
        expect(policies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name)).to.deep.equal(["consul-servers-tls-acls-nonprod"]);
    });

    it("use the program's own names (the pack keeps copies of them)", () => {
        expect(packNames.MESH_TAG).to.equal(meshNames.MESH_TAG);
        expect(packNames.GATEWAY_LISTENER_PORT).to.equal(meshNames.GATEWAY_LISTENER.port);
        expect(packNames.COLOUR_META_KEY).to.equal(meshNames.COLOUR_META_KEY);
        expect(packNames.isProductionStack("prod") && packNames.isProductionStack("eu-prod") && !packNames.isProductionStack("products")).to.equal(true);
    });

    it("accept a complete safe stack, named prod or dev", async () => {
        expect(await messages(safeStack("prod"))).to.deep.equal([]);
        expect(await messages(safeStack("dev"))).to.deep.equal([]);
    });
});

describe("npm run plan -- --policy", () => {
    for (const stack of ["dev", "prod"]) {
        it(`finds no violation in the example stack ${stack}`, async () => {
            const { code, out } = await run(planCommand, ["--stack", stack, "--policy"]);
            expect(out).to.match(new RegExp(`^Policy pack "bluegreen": ${policies.length} rules over \\d+ resources of stack "${stack}": no violations\\.$`));
            expect(code).to.equal(0);
        });
    }

    it("refuses --json with --policy", async () => {
        let error: unknown;
        await run(planCommand, ["--stack", "dev", "--json", "--policy"]).catch((e) => (error = e));
        expect(error).to.be.instanceOf(UsageError);
    });

    it("sees the ids the mock runtime gives, which the stack rules link resources by", async () => {
        const prod = await plan("prod");
        const rule = prod.named("sg-alb-in-tcp443-anywhere");
        expect(rule.inputs.securityGroupId).to.equal(mockId("sg-alb"));
    });
});

describe("npm run policy -- <plan.json>", () => {
    let dir: string;
    let savedProd: ReturnType<typeof planToJson>;
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-policy-"));
        savedProd = planToJson((await plan("prod")).result);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const save = (name: string, doc: unknown) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, JSON.stringify(doc));
        return file;
    };

    it("accepts the saved example plan", async () => {
        const { code, out } = await run(policyCommand, [save("prod.json", savedProd)]);
        expect(out).to.include('stack "prod": no violations.');
        expect(code).to.equal(0);
    });

    it("rejects a saved plan with a Consul port open to the internet, naming rule, resource and message", async () => {
        const unsafe = structuredClone(savedProd);
        unsafe.resources.push({ ...resource(T.ingress, "sg-servers-in-tcp8500-anywhere", { securityGroupId: mockId("sg-servers"), cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 8500, toPort: 8500 }), parent: undefined, provider: undefined, dependsOn: [], secretInputs: [] });
        const { code, out } = await run(policyCommand, [save("unsafe.json", unsafe)]);
        const lines = out.split("\n");
        expect(lines[0]).to.match(/^mandatory\s+no-open-ingress {2}aws:vpc\/securityGroupIngressRule:SecurityGroupIngressRule "sg-servers-in-tcp8500-anywhere" {2}.*admits 0\.0\.0\.0\/0 on tcp port 8500/);
        expect(lines[1]).to.match(/^mandatory\s+consul-ports-inside-vpc {2}.*"sg-servers-in-tcp8500-anywhere" {2}.*a Consul port/);
        expect(lines[2]).to.equal(`Policy pack "bluegreen": ${policies.length} rules over ${unsafe.resources.length} resources of stack "prod": 2 mandatory, 0 advisory violation(s).`);
        expect(code).to.equal(1);
    });

    it("exits 0 on advisory violations alone", async () => {
        const devServer = resource(T.td, "consul-dev", { containerDefinitions: JSON.stringify([{ name: "consul", image: "hashicorp/consul:2.0.1", command: ["agent", "-dev"] }]) }, { stack: "dev" });
        const doc = { stack: "dev", resources: [devServer] };
        const { code, out } = await run(policyCommand, [save("dev.json", doc)]);
        expect(out).to.match(/^advisory\s+consul-servers-tls-acls-nonprod/);
        expect(code).to.equal(0);
    });

    it("says what is wrong with a file that is not a plan", async () => {
        const attempt = async (argv: string[]) => {
            try {
                await run(policyCommand, argv);
            } catch (err) {
                return err as Error;
            }
            throw new Error("expected a usage error");
        };
        expect((await attempt([])).message).to.include("expected one plan file");
        expect((await attempt([path.join(dir, "missing.json")])).message).to.include("cannot read");
        expect((await attempt([save("bad.json", { resources: [] })])).message).to.include("is not a plan");
        expect((await attempt([save("bad2.json", { stack: "x", resources: [{ type: "t" }] })])).message).to.include("resources[0] lacks a type, name, urn or inputs");
    });

    it("exits 1 as a process on a mandatory violation", () => {
        const unsafe = { stack: "prod", resources: [resource(T.secret, "plain-secret", { name: "s" })] };
        const file = save("proc.json", unsafe);
        const runCli = (args: string[]) => spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "cli", "policy", "main.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
        const violation = runCli([file]);
        expect(violation.stdout).to.match(/^mandatory\s+secrets-kms-encrypted {2}aws:secretsmanager\/secret:Secret "plain-secret"/);
        expect(violation.status).to.equal(1);
    });
});

describe("checkPlan", () => {
    it("reports stack-level violations without a resource", async () => {
        const records = safeStack("prod");
        const second = resource(T.lb, "second-alb", { loadBalancerType: "application" }, { stack: "prod" });
        const report = await checkPlan("prod", [...records, second]);
        const stackWide = report.violations.filter((v) => v.resource === undefined);
        expect(stackWide.map((v) => v.policy)).to.deep.equal(["only-gateway-alb-internet-facing"]);
    });
});

describe("checkPlan on plans shaped in other ways", () => {
    it("checks a saved plan as the stack its document names, whatever its URNs say", async () => {
        const devServer = resource(T.td, "consul-dev-server-td", { containerDefinitions: JSON.stringify([{ name: "consul-server", image: "hashicorp/consul:2.0.1", command: ["agent", "-server"] }]) }, { stack: "dev" });
        const devPlan = [...safeStack("dev"), devServer];
        expect((await checkPlan("dev", devPlan)).violations.filter((v) => v.enforcementLevel === "mandatory")).to.deep.equal([]);
        const asProd = await checkPlan("prod", devPlan);
        expect(asProd.violations.map((v) => v.policy)).to.include("production-consul-servers-ha");
        expect(asProd.violations.find((v) => v.policy === "production-consul-servers-ha")?.resource?.urn).to.match(/^urn:pulumi:prod::/);
    });

    it("treats awsx's ECS service components as ECS services (offline plans see only the component)", async () => {
        const toGreen = [
            { service: "orders", serviceSubset: "blue", weight: 0 },
            { service: "orders", serviceSubset: "green", weight: 100 },
        ];
        const records = edit(safeStack(), "orders-splitter", (i) => ({ ...i, splits: toGreen })).map((r) =>
            r.name.startsWith("orders-") && r.type === T.service ? { ...r, type: "awsx:ecs:FargateService", urn: r.urn.replace(T.service, "awsx:ecs:FargateService") } : r,
        );
        expect((await checkPlan("prod", records)).violations).to.deep.equal([]);
        const stopped = edit(records, "orders-green", (i) => ({ ...i, desiredCount: 0, networkConfiguration: { assignPublicIp: true } }));
        expect((await checkPlan("prod", stopped)).violations.map((v) => v.policy)).to.deep.equal(["weight-only-on-running-colours", "no-public-ip"]);
    });
});
