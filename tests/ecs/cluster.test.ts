// The ECS cluster as the real program registers it for each example stack.
import { expect } from "chai";
import { examplePlan, Plan } from "../support/harness";
import { T } from "../support/typeTokens";

describe("Cluster", () => {
    let dev: Plan;
    let prod: Plan;
    before(async () => {
        dev = await examplePlan("dev");
        prod = await examplePlan("prod");
    });

    it("creates the ECS cluster with Container Insights and a log group per stack", () => {
        for (const [p, stack] of [[dev, "dev"], [prod, "prod"]] as const) {
            const cluster = p.named("ecs-cluster", T.ecsCluster);
            expect(cluster.inputs.settings).to.deep.equal([{ name: "containerInsights", value: "enabled" }]);
            const logs = p.named("ecs-logs", T.logGroup);
            expect(logs.inputs).to.include({ name: `/bluegreen/${stack}`, retentionInDays: 30 });
            expect(p.parentOf(cluster)?.type).to.equal(T.ecsClusterComponent);
        }
    });
});
