// What every step of the preflight reads: the plan's index, the IAM and security-group evaluators,
// the servers and the ECS tasks.
import { IamEvaluator } from "./iam";
import { PlanIndex, PlanRecord } from "./planIndex";
import { Endpoint, SecurityGroupEvaluator } from "./securityGroups";
import { findServerFleet, ServerFleet } from "./serverFleet";
import { EcsTask, ecsTasks } from "./tasks";

export interface PreflightContext {
    readonly index: PlanIndex;
    readonly iam: IamEvaluator;
    readonly net: SecurityGroupEvaluator;
    readonly fleet?: ServerFleet;
    readonly tasks: readonly EcsTask[];
}

export function createContext(index: PlanIndex): PreflightContext {
    return { index, iam: new IamEvaluator(index), net: new SecurityGroupEvaluator(index), fleet: findServerFleet(index), tasks: ecsTasks(index) };
}

/** Private resources get their addresses from the VPC's subnets. */
export function privateEndpoint(ctx: PreflightContext, label: string, groups: readonly PlanRecord[]): Endpoint {
    return { label, groups, cidr: ctx.index.vpcCidr() };
}

export function serversEndpoint(ctx: PreflightContext, fleet: ServerFleet): Endpoint {
    return privateEndpoint(ctx, "the Consul servers", fleet.groups);
}

export function taskEndpoint(ctx: PreflightContext, task: EcsTask, label = task.taskDefinition.name): Endpoint {
    return privateEndpoint(ctx, label, task.groups);
}
