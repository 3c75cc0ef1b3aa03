// The two IAM roles of an ECS task family, each with one inline policy: the task role (what the
// containers may call) and the execution role (what ECS needs to start them). Used by the mesh
// service, API gateway and controller components, always as their children.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyDocument, serviceTrustPolicy } from "../iam/policyDocument";

export interface TaskRolesArgs {
    /** The task role's path: `/consul-ecs/` for roles that log in with the IAM auth method. */
    readonly taskRolePath: string;
    /** Tags of the task role only (the auth method's binding rules read them). */
    readonly taskRoleTags: Readonly<Record<string, string>>;
    /** The task role's policy, given the role's own ARN. */
    readonly taskPolicy: (roleArn: pulumi.Output<string>) => pulumi.Output<PolicyDocument>;
    readonly executionPolicy: pulumi.Output<PolicyDocument>;
    readonly tags?: Readonly<Record<string, string>>;
}

export interface TaskRoles {
    readonly taskRole: aws.iam.Role;
    readonly executionRole: aws.iam.Role;
    /** The inline policies: an ECS service waits for them, or its first tasks start without rights. */
    readonly policies: readonly aws.iam.RolePolicy[];
}

/**
 * Creates `<name>-task` and `<name>-execution`. Execution roles stay at the default path: only task
 * roles belong under the path the Consul auth method trusts.
 */
export function createTaskRoles(name: string, args: TaskRolesArgs, parent: pulumi.Resource): TaskRoles {
    const assumeRolePolicy = JSON.stringify(serviceTrustPolicy("ecs-tasks.amazonaws.com"));
    const taskRole = new aws.iam.Role(
        `${name}-task`,
        { path: args.taskRolePath, assumeRolePolicy, tags: { ...args.tags, ...args.taskRoleTags } },
        { parent },
    );
    const taskPolicy = new aws.iam.RolePolicy(
        `${name}-task`,
        { role: taskRole.id, policy: args.taskPolicy(taskRole.arn).apply((doc) => JSON.stringify(doc)) },
        { parent },
    );
    const executionRole = new aws.iam.Role(`${name}-execution`, { path: "/", assumeRolePolicy, tags: { ...args.tags } }, { parent });
    const executionPolicy = new aws.iam.RolePolicy(
        `${name}-execution`,
        { role: executionRole.id, policy: args.executionPolicy.apply((doc) => JSON.stringify(doc)) },
        { parent },
    );
    return { taskRole, executionRole, policies: [taskPolicy, executionPolicy] };
}
