// dev mode: one Consul server on Fargate, found through a Cloud Map name. NOT FOR PRODUCTION: its
// data is lost whenever the task stops.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEV_DISCOVERY_SERVICE, devNamespaceName } from "./awsNames";
import { DEV_SERVER_CONTAINER, DEV_SERVER_PATHS, devServerContainer } from "./render/devServerContainer";
import { renderServerAgentConfig } from "./render/agentConfig";
import { devServerExecutionPolicy, devServerTaskPolicy } from "./render/serverPolicies";
import { serviceTrustPolicy } from "../iam/policyDocument";
import { PORTS } from "../shared/ports";
import type { ServerClusterArgs, ServerDeps } from "./serverArgs";

/** Fargate size of the dev server task. */
const DEV_SERVER_CPU = "512";
const DEV_SERVER_MEMORY = "1024";

/** Creates the Cloud Map name, the task's roles, its task definition and the ECS service under `parent`. */
export function createDevServer(name: string, args: ServerClusterArgs, deps: ServerDeps & { readonly listener: aws.lb.Listener }, parent: pulumi.Resource): aws.ecs.Service {
    const child = { parent };
    const stack = pulumi.getStack();
    const namespace = new aws.servicediscovery.PrivateDnsNamespace(
        `${name}-dns`,
        { name: devNamespaceName(pulumi.getProject(), stack), vpc: args.vpcId, description: `bluegreen ${stack}: the dev Consul server's name`, tags: args.tags },
        child,
    );
    const discovery = new aws.servicediscovery.Service(
        `${name}-server`,
        {
            name: DEV_DISCOVERY_SERVICE,
            description: `bluegreen ${stack}: NON-PRODUCTION dev Consul server`,
            dnsConfig: { namespaceId: namespace.id, dnsRecords: [{ ttl: 10, type: "A" }], routingPolicy: "MULTIVALUE" },
            // ECS deregisters a stopped task's instance asynchronously; without this, deleting the
            // service right after the ECS service fails with "ResourceInUse: Service contains
            // registered instances" (hashicorp/terraform-provider-aws#4853).
            forceDestroy: true,
            tags: args.tags,
        },
        child,
    );

    const executionRole = new aws.iam.Role(
        `${name}-server-execution`,
        { description: `bluegreen ${stack}: dev Consul server task execution (its secrets, its logs)`, assumeRolePolicy: JSON.stringify(serviceTrustPolicy("ecs-tasks.amazonaws.com", "AssumedByService")), tags: args.tags },
        child,
    );
    const executionPolicy = new aws.iam.RolePolicy(
        `${name}-server-execution`,
        {
            role: executionRole.id,
            policy: pulumi.all([deps.serverSecretArns, deps.secrets.kmsKeyArn, args.ecsCluster.logGroupArn, deps.partition]).apply(([arns, kmsKeyArn, logGroupArn, partition]) =>
                JSON.stringify(devServerExecutionPolicy({ region: args.region, dnsSuffix: partition.dnsSuffix, secretArns: Object.values(arns), kmsKeyArn, logGroupArn })),
            ),
        },
        child,
    );
    const taskRole = new aws.iam.Role(
        `${name}-server-task`,
        { description: `bluegreen ${stack}: dev Consul server task (ECS Exec tunnel only)`, assumeRolePolicy: JSON.stringify(serviceTrustPolicy("ecs-tasks.amazonaws.com", "AssumedByService")), tags: args.tags },
        child,
    );
    const taskPolicy = new aws.iam.RolePolicy(`${name}-server-task`, { role: taskRole.id, policy: JSON.stringify(devServerTaskPolicy()) }, child);

    const agentConfig = renderServerAgentConfig({ mode: "dev", datacenter: args.consul.datacenter, dataDir: DEV_SERVER_PATHS.dataDir, tls: DEV_SERVER_PATHS.tls });
    const containerDefinitions = pulumi
        .all([deps.serverSecretArns, args.ecsCluster.logGroupName, deps.secrets.serverCertNotAfter])
        .apply(([secretArns, logGroupName, notAfter]) =>
            JSON.stringify([
                devServerContainer({
                    image: args.consul.devServerImage,
                    agentConfig,
                    secretArns,
                    region: args.region,
                    logGroupName,
                    serverCertificateNotAfter: notAfter,
                }),
            ]),
        );
    const taskDefinition = new aws.ecs.TaskDefinition(
        `${name}-server`,
        {
            family: `${pulumi.getProject()}-${stack}-consul-server`,
            cpu: DEV_SERVER_CPU,
            memory: DEV_SERVER_MEMORY,
            networkMode: "awsvpc",
            requiresCompatibilities: ["FARGATE"],
            executionRoleArn: executionRole.arn,
            taskRoleArn: taskRole.arn,
            containerDefinitions,
            tags: { ...args.tags, "bluegreen:purpose": "NON-PRODUCTION dev Consul server: data is lost when the task stops" },
        },
        child,
    );
    return new aws.ecs.Service(
        `${name}-server`,
        {
            cluster: args.ecsCluster.arn,
            taskDefinition: taskDefinition.arn,
            desiredCount: 1,
            launchType: "FARGATE",
            // Never two dev servers at once: each would bootstrap its own cluster behind the same name.
            deploymentMinimumHealthyPercent: 0,
            deploymentMaximumPercent: 100,
            enableExecuteCommand: true,
            networkConfiguration: { subnets: args.privateSubnetIds, securityGroups: [args.securityGroupIds.servers], assignPublicIp: false },
            serviceRegistries: { registryArn: discovery.arn },
            loadBalancers: [{ targetGroupArn: deps.targetGroup.arn, containerName: DEV_SERVER_CONTAINER, containerPort: PORTS.consulHttps }],
            healthCheckGracePeriodSeconds: 120,
            propagateTags: "TASK_DEFINITION",
            tags: args.tags,
        },
        // ECS resolves the secrets when the task starts, so their versions must exist first.
        { parent, dependsOn: [deps.listener, executionPolicy, taskPolicy, deps.secrets] },
    );
}
