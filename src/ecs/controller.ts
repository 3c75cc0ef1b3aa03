import * as aws from "@pulumi/aws";
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { controllerTaskRolePolicy, executionRolePolicy } from "./render/taskPolicies";
import { MeshPlatform, resolvePlatform, validatePlatform } from "./platform";
import { controllerTask } from "./render/containers";
import { createTaskRoles } from "./taskRoles";

/**
 * What the controller's token may do: manage ACLs (the auth method, its binding rules, the tokens of
 * tasks that are gone) and write nodes (the cluster's node that every task's services sit on, and
 * deregistering what stopped tasks left behind). consul-ecs 0.10's controller also reads the server's
 * own agent config at startup (GET /v1/agent/self: agent:read; without it the controller exits with
 * "Permission denied" before creating the auth method, and no task can log in), and lists the
 * services on the cluster's node to find those of stopped tasks (catalog results are filtered by
 * service:read; without it nothing left behind is ever deregistered).
 */
export const CONTROLLER_POLICY_RULES = `acl = "write"

node_prefix "" {
  policy = "write"
}

service_prefix "" {
  policy = "read"
}

agent_prefix "" {
  policy = "read"
}
`;

export interface ControllerArgs {
    readonly platform: MeshPlatform;
    /** The Consul provider of the server cluster: the token and its policy are written through it. */
    readonly consulProvider: consul.Provider;
    /** The servers' readiness wait: nothing is written to Consul before it. */
    readonly consulReady: pulumi.Resource;
    /** The controller's security group (8501/8503 to the servers, HTTPS out). */
    readonly securityGroupId: pulumi.Input<string>;
}

/**
 * The consul-ecs controller of the stack's ECS cluster (one per cluster): it creates the IAM auth
 * method tasks log in with and its binding rules, registers the cluster as a Consul node, and
 * removes the services and tokens of tasks that are gone. It runs with its own narrow token, created
 * through the Consul provider and kept as a Pulumi secret and in Secrets Manager.
 */
export class Controller extends pulumi.ComponentResource {
    public readonly ecsServiceName: pulumi.Output<string>;
    /** Secrets Manager ARN of the controller's token. */
    public readonly tokenSecretArn: pulumi.Output<string>;

    constructor(name: string, args: ControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        // The controller lived in src/consul/ until it joined the other ECS tasks; the alias keeps
        // stacks deployed with the old type token from replacing it and everything under it.
        super("bluegreen:ecs:Controller", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: "bluegreen:consul:Controller" }] });
        validatePlatform(`Controller ${name}`, args.platform);
        const stack = pulumi.getStack();
        const tags = { ...args.platform.tags };
        const consulOpts = { parent: this, provider: args.consulProvider, dependsOn: [args.consulReady] };

        const policy = new consul.AclPolicy(
            `${name}-policy`,
            { name: `${stack}-consul-ecs-controller`, description: `consul-ecs controller of stack ${stack}`, rules: CONTROLLER_POLICY_RULES },
            consulOpts,
        );
        const token = new consul.AclToken(
            `${name}-token`,
            { description: `consul-ecs controller of stack ${stack}`, policies: [policy.name], local: false },
            consulOpts,
        );
        const tokenSecretId = pulumi.secret(
            consul.getAclTokenSecretIdOutput({ accessorId: token.accessorId }, { parent: this, provider: args.consulProvider }).secretId,
        );
        const secret = new aws.secretsmanager.Secret(
            `${name}-token`,
            {
                namePrefix: `bluegreen/${stack}/consul-ecs-controller-token-`,
                description: `Consul ACL token of the consul-ecs controller (stack ${stack})`,
                kmsKeyId: args.platform.secretsKmsKeyArn,
                tags,
            },
            { parent: this },
        );
        const secretVersion = new aws.secretsmanager.SecretVersion(`${name}-token`, { secretId: secret.id, secretString: tokenSecretId }, { parent: this });

        const platform = resolvePlatform(args.platform);
        const task = pulumi.all([platform, secret.arn]).apply(([p, arn]) => controllerTask(p, arn));
        const roles = createTaskRoles(
            name,
            {
                // Not the path the auth method trusts: the controller never logs in through it.
                taskRolePath: "/",
                taskRoleTags: {},
                taskPolicy: () =>
                    pulumi
                        .all([pulumi.output(args.platform.clusterArn), pulumi.output(args.platform.endpoint.hosts)])
                        .apply(([clusterArn, serverHosts]) => controllerTaskRolePolicy({ clusterArn, serverHosts })),
                executionPolicy: pulumi
                    .all([platform, secret.arn, pulumi.output(args.platform.logGroupArn), pulumi.output(args.platform.secretsKmsKeyArn)])
                    .apply(([p, tokenArn, logGroupArn, kmsKeyArn]) =>
                        executionRolePolicy({ secretValueFroms: [tokenArn, p.caCertSecretArn], kmsKeyArn, logGroupArn, images: [p.consulEcsImage] }),
                    ),
                tags,
            },
            this,
        );
        const taskDefinition = new aws.ecs.TaskDefinition(
            `${name}-taskdef`,
            {
                family: `${stack}-consul-ecs-controller`,
                networkMode: "awsvpc",
                requiresCompatibilities: ["FARGATE"],
                cpu: "256",
                memory: "512",
                taskRoleArn: roles.taskRole.arn,
                executionRoleArn: roles.executionRole.arn,
                containerDefinitions: task.apply((t) => JSON.stringify(t.containerDefinitions)),
                tags,
            },
            { parent: this },
        );
        const service = new aws.ecs.Service(
            `${name}-service`,
            {
                name: "consul-ecs-controller",
                cluster: args.platform.clusterArn,
                taskDefinition: taskDefinition.arn,
                desiredCount: 1,
                launchType: "FARGATE",
                networkConfiguration: { subnets: args.platform.privateSubnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
                propagateTags: "TASK_DEFINITION",
                enableEcsManagedTags: true,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                tags,
            },
            {
                parent: this,
                dependsOn: [args.consulReady, ...(args.platform.startAfter ?? []), secretVersion, ...roles.policies],
                deleteBeforeReplace: true,
            },
        );
        this.ecsServiceName = service.name;
        this.tokenSecretArn = secret.arn;
        this.registerOutputs({ ecsServiceName: this.ecsServiceName, tokenSecretArn: this.tokenSecretArn });
    }
}
