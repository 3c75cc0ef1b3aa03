// The consul-ecs controller reads the mesh tag from each running *task* and deregisters (and
// deletes the tokens of) every task in its cluster without it. Tasks get their task definition's
// tags only when the ECS service propagates them.
import type { StackValidationPolicy } from "@pulumi/policy";
import { MESH_TAG } from "../../src/shared/meshNames";
import { resourceLabel, linkedTo, ofType, tagsOf, TYPES } from "./resources";

export const meshServicesPropagateTags: StackValidationPolicy = {
    name: "mesh-services-propagate-tags",
    description: `Every ECS service running a task definition tagged ${MESH_TAG}=true sets propagateTags = "TASK_DEFINITION".`,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const taskDefinitions = ofType(args.resources, TYPES.taskDefinition);
        for (const service of ofType(args.resources, TYPES.ecsServices)) {
            const meshTasks = linkedTo(service, "taskDefinition", TYPES.taskDefinition, taskDefinitions).filter((td) => tagsOf(td.props)[MESH_TAG] === "true");
            if (meshTasks.length > 0 && service.props.propagateTags !== "TASK_DEFINITION") {
                reportViolation(
                    `ECS service "${service.name}" runs mesh task definition ${meshTasks.map(resourceLabel).join(", ")} but propagateTags is ${JSON.stringify(service.props.propagateTags ?? null)}; set "TASK_DEFINITION" or the consul-ecs controller deregisters its tasks`,
                    service.urn,
                );
            }
        }
    },
};
