// The mesh metrics in the whole program's plan (index.ts under the mock runtime): four metric
// filters on the stack's log group, one dashboard, its URL as a stack output, every service
// dataplane knowing its colour, and proxy-defaults printing the lines the filters read.
import { expect } from "chai";
import { containersOf, examplePlan } from "../support/harness";
import { T } from "../support/typeTokens";
import { metricFilterDefinitions } from "../../src/metrics/render/metricFilters";
import { dashboardBodyErrors } from "../support/dashboardBodySchema";

describe("mesh metrics in the program", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: four metric filters on the stack's log group and a valid dashboard, named after project and stack`, async () => {
            const plan = await examplePlan(stack);
            // One component, under its permanent type token.
            expect(plan.ofType(T.meshMetricsComponent).map((c) => c.name)).to.deep.equal(["metrics"]);
            const filters = plan.ofTypeUnder(T.logMetricFilter, "metrics");
            expect(filters.map((f) => f.inputs.name)).to.deep.equal(metricFilterDefinitions().map((d) => `bluegreen-mesh-${d.id}`));
            for (const filter of filters) {
                // The log group every container's awslogs writes to, dataplanes included.
                expect(filter.inputs.logGroupName).to.equal(`/bluegreen/${stack}`);
                expect(filter.inputs.metricTransformation).to.include({ namespace: "Bluegreen/Mesh" });
                expect(filter.inputs.metricTransformation).to.not.have.property("defaultValue");
            }
            const dashboards = plan.ofTypeUnder(T.dashboard, "metrics");
            expect(dashboards.map((d) => d.inputs.dashboardName)).to.deep.equal([`bluegreen-${stack}-mesh`]);
            expect(dashboardBodyErrors(JSON.parse(dashboards[0].inputs.dashboardBody as string))).to.deep.equal([]);
            expect(plan.result.outputs.dashboardUrl).to.equal(
                `https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=bluegreen-${stack}-mesh`,
            );
        });
    }

    it("every service colour's dataplane carries its stack, service and colour; the gateway's carries none", async () => {
        const plan = await examplePlan("prod");
        const taskDefinitions = plan.ofType(T.td);
        expect(taskDefinitions.length).to.be.greaterThan(1);
        for (const td of taskDefinitions) {
            const dataplane = containersOf(td).find((c) => c.name === "consul-dataplane");
            if (!dataplane) {
                continue;
            }
            const env = Object.fromEntries((dataplane.environment ?? []).map((e) => [e.name ?? "", e.value ?? ""]));
            const family = td.inputs.family as string;
            const colour = /-(blue|green)$/.exec(family)?.[1];
            if (colour) {
                expect(env).to.deep.equal({ BLUEGREEN_STACK: "prod", BLUEGREEN_SERVICE: family.replace(/^prod-/, "").replace(/-(blue|green)$/, ""), BLUEGREEN_COLOUR: colour });
            } else {
                expect(env).to.deep.equal({});
            }
        }
    });
});
