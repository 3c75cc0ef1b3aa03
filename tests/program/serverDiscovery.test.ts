// Every consul-ecs task that finds the servers by running go-discover's AWS provider
// (`consulServers.hosts` = `exec=discover ... provider=aws ...`) calls ec2:DescribeInstances with
// its task role's credentials (docs/platform-facts.md#iam, #the-controller): its role must allow it,
// whichever task it is (mesh colour, API gateway or controller). Tasks that find the servers by DNS
// get no EC2 right.
import { expect } from "chai";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { CONSUL_ECS_CONFIG_ENV } from "../../src/shared/meshNames";
import { RegisteredResource } from "../../src/offline/planRecords";
import { examplePlan, Plan } from "../support/harness";

interface PolicyDocument {
    readonly Statement: readonly { readonly Effect: string; readonly Action: readonly string[]; readonly Resource: unknown }[];
}

/** `consulServers.hosts` of a consul-ecs task; undefined for a task that runs no consul-ecs (the dev server). */
function serverHostsOf(taskDefinition: RegisteredResource): string | undefined {
    const containers = JSON.parse(taskDefinition.inputs.containerDefinitions as string) as ContainerDefinition[];
    const configs = containers.flatMap((c) => (c.environment ?? []).filter((e) => e.name === CONSUL_ECS_CONFIG_ENV));
    const hosts = new Set(configs.map((e) => (JSON.parse(e.value as string) as { consulServers: { hosts: string } }).consulServers.hosts));
    expect(hosts.size, `${taskDefinition.name}: at most one consulServers.hosts`).to.be.at.most(1);
    return [...hosts][0];
}

function consulEcsTasks(plan: Plan): RegisteredResource[] {
    return plan.ofType("aws:ecs/taskDefinition:TaskDefinition").filter((td) => serverHostsOf(td) !== undefined);
}

/** The inline policy of the role a task definition runs as (the mock ARN ends in `<resource name>-mock`). */
function taskRolePolicyOf(plan: Plan, taskDefinition: RegisteredResource): PolicyDocument {
    const match = /:role\/(?:.*\/)?([^/]+)-mock$/.exec(taskDefinition.inputs.taskRoleArn as string);
    expect(match, `${taskDefinition.name}: task role ARN`).to.not.equal(null);
    return JSON.parse(plan.named(match![1], "aws:iam/rolePolicy:RolePolicy").inputs.policy as string) as PolicyDocument;
}

function allowsDescribeInstances(policy: PolicyDocument): boolean {
    return policy.Statement.some((s) => s.Effect === "Allow" && s.Action.includes("ec2:DescribeInstances") && s.Resource === "*");
}

describe("server discovery permissions", () => {
    it("prod (ha servers, found through the EC2 API): every task role allows ec2:DescribeInstances, the controller's too", async () => {
        const prod = await examplePlan("prod");
        const taskDefinitions = consulEcsTasks(prod);
        expect(taskDefinitions).to.have.length(6);
        expect(taskDefinitions.map((td) => td.name)).to.include("consul-ecs-controller-taskdef");
        expect(taskDefinitions.filter((td) => !/^exec=discover .*\bprovider=aws\b/.test(serverHostsOf(td)!)).map((td) => td.name)).to.deep.equal([]);
        const missing = taskDefinitions.filter((td) => !allowsDescribeInstances(taskRolePolicyOf(prod, td))).map((td) => td.name);
        expect(missing).to.deep.equal([]);
    });

    it("dev (one server found by its Cloud Map name): no task role gets ec2:DescribeInstances", async () => {
        const dev = await examplePlan("dev");
        const taskDefinitions = consulEcsTasks(dev);
        expect(taskDefinitions).to.have.length(6);
        expect(taskDefinitions.filter((td) => serverHostsOf(td)!.startsWith("exec=")).map((td) => td.name)).to.deep.equal([]);
        const granted = taskDefinitions.filter((td) => allowsDescribeInstances(taskRolePolicyOf(dev, td))).map((td) => td.name);
        expect(granted).to.deep.equal([]);
    });
});
