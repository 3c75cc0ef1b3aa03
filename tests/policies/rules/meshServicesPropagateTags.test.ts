// policies/rules/meshServicesPropagateTags.ts: mesh-services-propagate-tags.
import { expect } from "chai";
import { meshServicesPropagateTags } from "../../../policies/rules/meshServicesPropagateTags";
import { edit, messages, resource, safeStack } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

describe("policy mesh-services-propagate-tags", () => {
    it("accepts mesh services that propagate task definition tags", async () => {
        expect(await messages(safeStack(), meshServicesPropagateTags)).to.deep.equal([]);
    });

    it("rejects a mesh service that does not propagate them", async () => {
        const stack = edit(safeStack(), "inventory-blue", (i) => ({ ...i, propagateTags: "SERVICE" }));
        expect(await messages(stack, meshServicesPropagateTags)).to.deep.equal([
            'mesh-services-propagate-tags: ECS service "inventory-blue" runs mesh task definition aws:ecs/taskDefinition:TaskDefinition "inventory-blue-td" but propagateTags is "SERVICE"; set "TASK_DEFINITION" or the consul-ecs controller deregisters its tasks',
        ]);
    });

    it("leaves services of task definitions outside the mesh alone", async () => {
        const td = resource(T.td, "batch-td", { containerDefinitions: "[]", tags: {} });
        const service = resource(T.service, "batch", { taskDefinition: "arn:aws:ecs:eu-west-1:1:task-definition/batch:1" }, { dependsOn: [td] });
        expect(await messages([td, service], meshServicesPropagateTags)).to.deep.equal([]);
    });
});
