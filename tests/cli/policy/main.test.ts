// The offline policy check from the command line: `npm run plan -- --stack <s> --policy` and
// `npm run policy -- <plan.json>` over the example stacks, over saved plans made unsafe on purpose,
// and their exit codes.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { plan as planCommand, planToJson } from "../../../cli/plan/main";
import { policy as policyCommand } from "../../../cli/policy/main";
import { mockId } from "../../../src/offline/mockOutputs";
import { UsageError } from "../../../src/offline/errors";
import { policies } from "../../../policies/rules";
import { examplePlan, ROOT, TYPESCRIPT, withShortTraces } from "../../support/harness";
import { resource } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

async function run(command: (argv: string[], write: (t: string) => void) => Promise<number>, argv: string[]): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const code = await withShortTraces(() => command(argv, (t) => out.push(t)));
    return { code, out: out.join("\n") };
}

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
        const prod = await examplePlan("prod");
        const rule = prod.named("sg-alb-in-tcp443-anywhere");
        expect(rule.inputs.securityGroupId).to.equal(mockId("sg-alb"));
    });
});

describe("npm run policy -- <plan.json>", () => {
    let dir: string;
    let savedProd: ReturnType<typeof planToJson>;
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-policy-"));
        savedProd = planToJson((await examplePlan("prod")).result);
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
        const runCli = (args: string[]) => spawnSync(process.execPath, [...TYPESCRIPT, path.join(ROOT, "cli", "policy", "main.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
        const violation = runCli([file]);
        expect(violation.stdout).to.match(/^mandatory\s+secrets-kms-encrypted {2}aws:secretsmanager\/secret:Secret "plain-secret"/);
        expect(violation.status).to.equal(1);
    });
});
