// The program's own containers (consul-ecs, the dataplane, the dev server) come from HashiCorp's ECR
// Public repositories by default: Docker Hub's anonymous pull limits would stop a first deploy or a
// mass replacement that pulls through the NAT gateways.
import { expect } from "chai";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { examplePlan } from "../support/harness";

describe("default images", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: every container the program adds pulls from public.ecr.aws/hashicorp`, async () => {
            const plan = await examplePlan(stack);
            const images = new Map<string, string>();
            for (const td of plan.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
                for (const container of JSON.parse(td.inputs.containerDefinitions as string) as ContainerDefinition[]) {
                    if (container.name!.startsWith("consul")) {
                        images.set(`${td.name}/${container.name}`, container.image!);
                    }
                }
            }
            expect(images.size).to.be.above(10);
            const elsewhere = [...images].filter(([, image]) => !image.startsWith("public.ecr.aws/hashicorp/")).map(([where, image]) => `${where}: ${image}`);
            expect(elsewhere).to.deep.equal([]);
        });
    }
});
