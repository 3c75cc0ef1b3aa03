// The blast radius of a flip, as a suite that runs against any program: changing one service's
// `traffic` must change exactly one resource, the stack's Release (whose inputs carry every
// service's desired weights to the rollout engine), in both example stacks and for one service
// among 100, and nothing else: the splitters keep their creation weights (ignoreChanges) because
// the engine is their one writer. It finds the Release by name and checks the new weights in its
// inputs, so against a program that does not register it (or does not pass it the weights) it
// FAILS; it never passes vacuously.
//
// Used by tests/mesh/trafficPolicy.test.ts (the traffic side over stand-ins) and by
// tests/program/blastRadius.test.ts (the whole program, index.ts).
import { expect } from "chai";
import { Program } from "../../src/offline/runtime";
import { StackValues } from "../../src/offline/stackFile";
import { checkReleaseChanges, diffOfflinePlans } from "../../src/offline/planDiff";
import { RELEASE_RESOURCE_NAME } from "../../src/rollout/names";
import { syntheticServiceName, syntheticStack } from "../../src/offline/syntheticStack";
import { examplePlan, plan, Plan, planWith, services } from "./harness";
import { T } from "./typeTokens";

/** The Release's inputs say `service` should reach `weights`. */
function expectDesired(plan: Plan, service: string, weights: { blue: number; green: number }): void {
    const desired = plan.named(RELEASE_RESOURCE_NAME).inputs.services as { service: string; to: unknown }[];
    expect(desired.find((d) => d.service === service)?.to, `${service}'s desired weights in the Release`).to.deep.equal(weights);
}

/**
 * @param amongHundred also flip one service of a generated 100-service stack (two plans of it:
 *   about 10 s for the traffic side alone, close to a minute for the whole program, so the whole
 *   program leaves it to `npm run bench`, which reports its blast radius at 10 to 200 services).
 */
export function describeFlipBlastRadius(label: string, program: Program | undefined, options: { amongHundred: boolean }): void {
    const planWithProgram = (stack: "dev" | "prod", edit?: (c: StackValues) => void) => plan(stack, edit, { program });

    describe(`blast radius of a flip: ${label}`, () => {
        for (const stack of ["dev", "prod"] as const) {
            it(`${stack}: changing orders' traffic changes exactly one resource, the Release, carrying the new weights`, async () => {
                // The whole program's unedited plan is shared with the other test files.
                const before = program === undefined ? await examplePlan(stack) : await planWithProgram(stack);
                const after = await planWithProgram(stack, (c) => (services(c).orders.traffic = { blue: 90, green: 10 }));
                const changes = diffOfflinePlans(before.result, after.result);
                expect(changes.map((c) => `${c.kind} ${c.name}`).sort()).to.deep.equal([`changed ${RELEASE_RESOURCE_NAME}`]);
                expect(checkReleaseChanges(changes)).to.deep.equal({ ok: true, unexpected: [], releaseChanged: true });
                expectDesired(after, "orders", { blue: 90, green: 10 });
                expectDesired(before, "orders", { blue: 100, green: 0 });
                // The splitter's recorded inputs move with the stack file, but Pulumi ignores them after creation.
                expect(after.named("traffic-orders-splitter").ignoreChanges).to.deep.equal(["splits"]);
            });
        }

        if (options.amongHundred) {
            it("one service among 100: only that service's splitter and gate change", async function () {
                this.timeout(120_000);
                const config = syntheticStack(100);
                const flipped = structuredClone(config);
                const target = syntheticServiceName(42);
                services(flipped)[target].traffic = { blue: 0, green: 100 };
                const before = await planWith("synthetic", config, program);
                const after = await planWith("synthetic", flipped, program);
                expect(before.ofType(T.splitter)).to.have.length(100);
                const changes = diffOfflinePlans(before.result, after.result);
                expect(changes.map((c) => `${c.kind} ${c.name}`).sort()).to.deep.equal([`changed ${RELEASE_RESOURCE_NAME}`]);
                expectDesired(after, target, { blue: 0, green: 100 });
            });
        }
    });
}
