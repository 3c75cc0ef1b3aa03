// Issue 18's families through the real program under the mock runtime: what only shows when the
// program runs (names it derives, the config strings Pulumi hands it, the resources it registers).
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { reportError } from "../../cli/shared/run";
import { loadStackConfig } from "../../src/config/load";
import { STACK_DERIVED_NAMES } from "../../src/config/stackName";
import { envBytes, ENV_MAX_BYTES, TASK_DEFINITION_MAX_BYTES, TASK_DEFINITION_PROGRAM_BYTES } from "../../src/config/taskDefinitionSize";
import { MOCK_SECRET_MARKER } from "../../src/offline/mocks";
import { RELEASE_RESOURCE_NAME } from "../../src/rollout/names";
import { examplePlan, plan, planWith, services, stackConfig } from "../support/harness";
import { T } from "../support/typeTokens";

async function failureOf(run: () => Promise<unknown>): Promise<string> {
    try {
        await run();
    } catch (err) {
        const out: string[] = [];
        expect(reportError(err, (t) => out.push(t))).to.equal(1);
        const text = out.join("\n");
        expect(text, "no stack trace").to.not.include("    at ");
        return text;
    }
    throw new Error("the plan was not refused");
}

describe("stack config in the running program (issue 18)", () => {
    for (const stack of ["prød", "prod.eu", "s".repeat(60)]) {
        it(`refuses stack ${JSON.stringify(stack.slice(0, 12))} before any resource, without a stack trace`, async () => {
            expect(await failureOf(() => plan(stack))).to.include("stack name:");
        });
    }

    it("derives the names the stack-name check knows, as the program registers them", async () => {
        const stack = "Eu_west-2";
        const p = await plan(stack);
        const names = new Set(p.resources.flatMap((r) => [r.inputs.name, r.inputs.family]).filter((n): n is string => typeof n === "string"));
        for (const derived of STACK_DERIVED_NAMES) {
            expect(names.has(derived.template(stack)), `${derived.owner}: ${derived.template(stack)}`).to.equal(true);
        }
    });

    it("names a misspelt namespace from the config Pulumi hands the program", async () => {
        const config = stackConfig("dev");
        config["bluegren:services"] = config["bluegreen:services"];
        delete config["bluegreen:services"];
        const text = await failureOf(() => planWith("dev", config, () => loadStackConfig()));
        expect(text).to.include('bluegren:services: unknown namespace "bluegren"; did you mean "bluegreen:services"?');
    });

    it("stops the running program with a pulumi.RunError, which `pulumi up` prints without a stack trace", async () => {
        const config = stackConfig("dev");
        services(config).orders.traffic = { blue: 70, green: 20 };
        const err = await planWith("dev", config, () => loadStackConfig()).catch((e: unknown) => e);
        expect(pulumi.RunError.isInstance(err), String(err)).to.equal(true);
        expect(err).to.deep.include({ name: "StackConfigError" });
        expect((err as Error).message).to.include("bluegreen:services.orders.traffic: weights sum to 90");
    });

    it("reports services Pulumi marks secret without its value or a placeholder, run as Pulumi runs it", async () => {
        const config = stackConfig("dev");
        config["bluegreen:services"] = { secure: "v1:c2VjcmV0" };
        for (const run of [() => planWith("dev", config, () => loadStackConfig()), () => planWith("dev", config)]) {
            const text = await failureOf(run);
            expect(text).to.match(/bluegreen:services: (holds|is) a secure: value/);
            expect(text).to.not.include(MOCK_SECRET_MARKER).and.not.include("v1:");
            expect(text).to.not.include("bluegreen:services.");
        }
    });

    it("reports .nan as .nan, not null, when planning a stack file", async () => {
        const text = await failureOf(() => plan("dev", (c) => (services(c).orders.traffic.blue = NaN)));
        expect(text).to.include("bluegreen:services.orders.traffic.blue: .nan is not a number");
    });

    it("plans services that call each other, both in the release's order", async () => {
        const p = await plan("dev", (c) => (services(c).inventory.upstreams = [{ service: "orders", localPort: 9002 }]));
        const release = p.resources.find((r) => r.name === RELEASE_RESOURCE_NAME);
        const order = (release?.inputs.services as { service: string }[]).map((s) => s.service);
        expect(order).to.deep.equal(["inventory", "orders"]);
    });

    it("boots a1.medium servers from the arm64 image", async () => {
        const p = await plan("prod", (c) => ((c["bluegreen:consul"] as { servers: Record<string, unknown> }).servers.instanceType = "a1.medium"));
        const template = p.ofType(T.lt)[0];
        expect(template.inputs.imageId).to.equal("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
    });

    it("keeps the program's own part of every task definition within the share the env check leaves it", async () => {
        for (const stack of ["dev", "prod"] as const) {
            for (const td of (await examplePlan(stack)).ofType(T.td)) {
                const containers = JSON.parse(td.inputs.containerDefinitions as string) as { environment?: { name: string; value: string }[] }[];
                const appEnv = Object.fromEntries((containers[0].environment ?? []).map((e) => [e.name, e.value]));
                const programBytes = Buffer.byteLength(JSON.stringify(td.inputs), "utf8") - envBytes(appEnv, {});
                expect(programBytes, `${stack} ${td.name}`).to.be.below(TASK_DEFINITION_PROGRAM_BYTES);
            }
        }
    });

    it("plans a task definition within 64 KiB at the largest env the check accepts", async () => {
        const p = await plan("dev", (c) => (services(c).orders.env.BIG = "x".repeat(ENV_MAX_BYTES - 200)));
        for (const td of p.ofType(T.td)) {
            expect(Buffer.byteLength(JSON.stringify(td.inputs), "utf8"), td.name).to.be.below(TASK_DEFINITION_MAX_BYTES);
        }
    });
});
