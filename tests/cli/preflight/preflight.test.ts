// The preflight command: --stack plans the stack file, --plan reads a saved `plan --json`; exit 1
// when a link is broken, 0 when all hold, 2 on a usage error (printed without a stack trace).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { preflight } from "../../../cli/preflight/main";
import { planToJson } from "../../../cli/plan/main";
import { EXIT_CODES } from "../../../src/shared/exitCodes";
import { reportError } from "../../../cli/shared/run";
import { examplePlan, withShortTraces } from "../../support/harness";
import { runPreflight } from "../../../src/preflight/preflight";
import { failures } from "../../../src/preflight/report";
import { dropStatement, planRecords, repairedPlan } from "../../support/preflightFixtures";

async function run(argv: string[], stdin?: string): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const code = await withShortTraces(() => preflight(argv, (t) => out.push(t), stdin === undefined ? undefined : async () => stdin));
    return { code, out: out.join("\n") };
}

async function usageError(argv: string[]): Promise<string> {
    const err = await preflight(argv, () => undefined).then(
        () => undefined,
        (e: unknown) => e,
    );
    const printed: string[] = [];
    expect(reportError(err, (t) => printed.push(t))).to.equal(EXIT_CODES.INVALID_INPUT);
    return printed.join("\n");
}

describe("cli: npm run preflight", function () {
    it("--plan <file> reads a saved plan: the prod plan as `plan --json` writes it, and one whose controller may not discover exits 1 naming it", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
        const saved = path.join(dir, "prod.json");
        fs.writeFileSync(saved, JSON.stringify(planToJson((await examplePlan("prod")).result)));
        const asSaved = await run(["--plan", saved]);
        const expected = failures(await runPreflight(await planRecords("prod")));
        expect(asSaved.code).to.equal(expected.length > 0 ? 1 : 0);
        expect(asSaved.out).to.include(expected.length > 0 ? `${expected.length} failed` : "all passed");

        const broken = await repairedPlan("prod");
        dropStatement(broken, "consul-ecs-controller-task", "DiscoverConsulServers");
        const file = path.join(dir, "broken.json");
        fs.writeFileSync(file, JSON.stringify(broken));
        const { code, out } = await run(["--plan", file]);
        expect(code).to.equal(1);
        expect(out).to.match(/FAIL {2}controller\.discovery +consul-ecs-controller-task +.*ec2:DescribeInstances/);
        fs.rmSync(dir, { recursive: true });
    });

    it("--plan - reads standard input; a plan where every link holds exits 0", async () => {
        const { code, out } = await run(["--plan", "-"], JSON.stringify(await repairedPlan("dev")));
        expect(code).to.equal(0);
        expect(out.split("\n").at(-1)).to.match(/^\d+ steps, all passed/);
    });

    it("--stack dev plans Pulumi.dev.yaml and reports as JSON with --json", async () => {
        const { code, out } = await run(["--stack", "dev", "--json"]);
        const report = JSON.parse(out) as { stack: string; steps: { step: string; passed: boolean }[] };
        expect(report.stack).to.equal("dev");
        // The same verdict as the preflight over the example plan (whose failures exampleStacks.test.ts pins).
        const expected = failures(await runPreflight(await planRecords("dev"))).map((f) => f.step);
        expect(report.steps.filter((s) => !s.passed).map((s) => s.step)).to.deep.equal(expected);
        expect(code).to.equal(expected.length > 0 ? 1 : 0);
    });

    it("usage errors exit 2 with the usage line", async () => {
        expect(await usageError([])).to.include("give exactly one of --stack and --plan").and.include("usage: npm run preflight");
        expect(await usageError(["--stack", "dev", "--plan", "x.json"])).to.include("exactly one");
        expect(await usageError(["--plan", "x.json", "--dir", "."])).to.include("--dir goes with --stack only");
        expect(await usageError(["--plan", "/nonexistent/plan.json"])).to.include("cannot read /nonexistent/plan.json");
        expect(await usageError(["--bogus"])).to.include("--bogus");
    });
});
