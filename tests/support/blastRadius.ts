// The blast radius of a flip, as a suite that runs against any program: changing one service's
// `traffic` must change the inputs of exactly that service's splitter and health gate, in both
// example stacks and for one service among 100, and nothing else. It finds the splitter and gate
// by name, so against a program that does not register them it FAILS (the changed set is empty,
// not the expected pair); it never passes vacuously.
//
// Used by tests/trafficPolicy.test.ts (the traffic side over stand-ins) and by
// tests/programBlastRadius.test.ts (the whole program, index.ts).
import { expect } from "chai";
import { Program } from "../../src/offline/runtime";
import { StackValues } from "../../src/offline/stackFile";
import { checkFlipChanges, diffOfflinePlans } from "../../src/offline/planDiff";
import { syntheticServiceName, syntheticStack } from "../../src/offline/syntheticStack";
import { examplePlan, plan, Plan, planWith, services } from "./harness";

/**
 * @param amongHundred also flip one service of a generated 100-service stack (two plans of it:
 *   about 10 s for the traffic side alone, close to a minute for the whole program, so the whole
 *   program leaves it to `npm run bench`, which reports its blast radius at 10 to 200 services).
 */
export function describeFlipBlastRadius(label: string, program: Program | undefined, options: { amongHundred: boolean }): void {
    const planWithProgram = (stack: "dev" | "prod", edit?: (c: StackValues) => void) => plan(stack, edit, { program });

    describe(`blast radius of a flip: ${label}`, () => {
        for (const stack of ["dev", "prod"] as const) {
            it(`${stack}: changing orders' traffic changes the inputs of orders' splitter and gate, nothing else`, async () => {
                // The whole program's unedited plan is shared with the other test files.
                const before = program === undefined ? await examplePlan(stack) : await planWithProgram(stack);
                const after = await planWithProgram(stack, (c) => (services(c).orders.traffic = { blue: 90, green: 10 }));
                const changes = diffOfflinePlans(before.result, after.result);
                expect(changes.map((c) => `${c.kind} ${c.name}`).sort()).to.deep.equal(["changed traffic-orders-gate", "changed traffic-orders-splitter"]);
                expect(checkFlipChanges(changes, "orders")).to.deep.equal({ ok: true, unexpected: [], splitterChanged: true });
                expect(after.named("traffic-orders-splitter").inputs.splits).to.deep.equal([
                    { service: "orders", serviceSubset: "blue", weight: 90 },
                    { service: "orders", serviceSubset: "green", weight: 10 },
                ]);
            });
        }

        if (options.amongHundred) {
            it("one service among 100: only that service's splitter and gate change", async function () {
                this.timeout(120_000);
                const config = syntheticStack(100);
                const flipped = structuredClone(config);
                const target = syntheticServiceName(42);
                services(flipped)[target].traffic = { blue: 0, green: 100 };
                // The Pulumi SDK formats a stack trace for every pending promise, through ts-node's
                // source maps; one frame instead of ten makes these two big plans about 4x faster
                // and changes nothing that is registered.
                const frames = Error.stackTraceLimit;
                Error.stackTraceLimit = 1;
                let before: Plan;
                let after: Plan;
                try {
                    before = await planWith("synthetic", config, program);
                    after = await planWith("synthetic", flipped, program);
                } finally {
                    Error.stackTraceLimit = frames;
                }
                expect(before.ofType("consul:index/configEntryServiceSplitter:ConfigEntryServiceSplitter")).to.have.length(100);
                const changes = diffOfflinePlans(before.result, after.result);
                expect(changes.map((c) => `${c.kind} ${c.name}`).sort()).to.deep.equal([`changed traffic-${target}-gate`, `changed traffic-${target}-splitter`]);
            });
        }
    });
}
