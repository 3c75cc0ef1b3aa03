import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { colourHeaderRules } from "./render/listenerRules";
import { executionRolePolicy, meshTaskRolePolicy } from "./render/taskPolicies";
import { GATEWAY_LISTENER } from "../shared/ports";
import { API_GATEWAY_NAME, CONSUL_ECS_ROLE_PATH, CONTAINERS, MESH_TAG, ROLE_GATEWAY_KIND_TAG, ROLE_SERVICE_NAME_TAG, SERVICE_NAME_TAG } from "../shared/meshNames";
import { MeshPlatform, resolvePlatform, validatePlatform } from "./platform";
import { gatewayTask, meshVolumes } from "./render/containers";
import type { GatewayConfig } from "../config";
import { createTaskRoles } from "./taskRoles";

/** TLS 1.3 with 1.2 as the floor: the current ELB policy AWS recommends for public listeners. */
export const ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * How the ALB probes a gateway task: HTTP on the listener port. Envoy opens 8443 only once it holds
 * the listener config from Consul, and answers a path no route matches with 404, so any answer
 * below 500 means the gateway is serving; 5xx or silence means it is not.
 */
export const GATEWAY_TARGET_HEALTH_CHECK = {
    protocol: "HTTP",
    port: "traffic-port",
    path: "/",
    matcher: "200-499",
    interval: 15,
    timeout: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
} as const;

export interface ApiGatewayArgs {
    readonly platform: MeshPlatform;
    /** `bluegreen:gateway`: task count and size, the ALB's certificate (ingress CIDRs live in the ALB's security group). */
    readonly gateway: GatewayConfig;
    readonly vpcId: pulumi.Input<string>;
    /** Public subnets: the ALB's only. */
    readonly publicSubnetIds: pulumi.Input<string[]>;
    /** The gateway tasks' group (8443 from the ALB only) and the ALB's group (its listeners from `ingressCidrs`). */
    readonly gatewaySecurityGroupId: pulumi.Input<string>;
    readonly albSecurityGroupId: pulumi.Input<string>;
}

/**
 * The way in from the internet: a public ALB in front of Consul API gateway tasks on Fargate
 * (docs/platform-facts.md#the-api-gateway). The ALB terminates HTTPS with the stack's certificate (HTTP only
 * redirects), or serves HTTP alone when no certificate is configured, and forwards to the gateway
 * dataplanes' listener, which routes through each service's splitter, so blue/green applies to
 * north-south traffic too. The ALB is the only internet-facing resource of the stack.
 */
export class ApiGateway extends pulumi.ComponentResource {
    public readonly albDnsName: pulumi.Output<string>;
    /** `https://<alb>` with a certificate, `http://<alb>` without. */
    public readonly url: pulumi.Output<string>;
    public readonly ecsServiceName: pulumi.Output<string>;
    public readonly targetGroupArn: pulumi.Output<string>;

    constructor(name: string, args: ApiGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:ecs:ApiGateway", name, {}, opts);
        const owner = `ApiGateway ${name}`;
        validatePlatform(owner, args.platform);
        const gateway = args.gateway;
        const stack = pulumi.getStack();
        const tags = { ...args.platform.tags };
        const https = gateway.certificateArn !== undefined;

        const platform = resolvePlatform(args.platform);
        const task = platform.apply((p) => gatewayTask(p, API_GATEWAY_NAME));
        const roles = createTaskRoles(
            name,
            {
                taskRolePath: CONSUL_ECS_ROLE_PATH,
                taskRoleTags: { [ROLE_SERVICE_NAME_TAG]: API_GATEWAY_NAME, [ROLE_GATEWAY_KIND_TAG]: "api-gateway" },
                taskPolicy: (roleArn) =>
                    pulumi
                        .all([roleArn, pulumi.output(args.platform.endpoint.hosts)])
                        .apply(([arn, serverHosts]) => meshTaskRolePolicy({ roleArn: arn, serverHosts, executeCommand: false })),
                executionPolicy: pulumi
                    .all([platform, pulumi.output(args.platform.logGroupArn), pulumi.output(args.platform.secretsKmsKeyArn)])
                    .apply(([p, logGroupArn, kmsKeyArn]) =>
                        executionRolePolicy({ secretValueFroms: [p.caCertSecretArn], kmsKeyArn, logGroupArn, images: [p.consulEcsImage, p.dataplaneImage] }),
                    ),
                tags,
            },
            this,
        );
        const taskDefinition = new aws.ecs.TaskDefinition(
            `${name}-taskdef`,
            {
                family: `${stack}-${API_GATEWAY_NAME}`,
                networkMode: "awsvpc",
                requiresCompatibilities: ["FARGATE"],
                cpu: String(gateway.cpu),
                memory: String(gateway.memory),
                taskRoleArn: roles.taskRole.arn,
                executionRoleArn: roles.executionRole.arn,
                volumes: meshVolumes(),
                containerDefinitions: task.apply((t) => JSON.stringify(t.containerDefinitions)),
                tags: { ...tags, [MESH_TAG]: "true", [SERVICE_NAME_TAG]: API_GATEWAY_NAME },
            },
            { parent: this },
        );

        const alb = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                internal: false,
                loadBalancerType: "application",
                subnets: args.publicSubnetIds,
                securityGroups: [args.albSecurityGroupId],
                dropInvalidHeaderFields: true,
                tags,
            },
            { parent: this },
        );
        const targetGroup = new aws.lb.TargetGroup(
            `${name}-tg`,
            {
                port: GATEWAY_LISTENER.port,
                protocol: "HTTP",
                targetType: "ip",
                vpcId: args.vpcId,
                deregistrationDelay: 30,
                healthCheck: { enabled: true, ...GATEWAY_TARGET_HEALTH_CHECK },
                tags,
            },
            { parent: this },
        );
        const forward = { type: "forward", targetGroupArn: targetGroup.arn };
        const serving = https
            ? new aws.lb.Listener(
                  `${name}-https`,
                  { loadBalancerArn: alb.arn, port: 443, protocol: "HTTPS", sslPolicy: ALB_SSL_POLICY, certificateArn: gateway.certificateArn, defaultActions: [forward], tags },
                  { parent: this },
              )
            : new aws.lb.Listener(`${name}-http`, { loadBalancerArn: alb.arn, port: 80, protocol: "HTTP", defaultActions: [forward], tags }, { parent: this });
        // The redirect forwards nothing: the client repeats the request, header and all, over HTTPS.
        const redirect = https
            ? [
                  new aws.lb.Listener(
                      `${name}-http-redirect`,
                      {
                          loadBalancerArn: alb.arn,
                          port: 80,
                          protocol: "HTTP",
                          defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
                          tags,
                      },
                      { parent: this },
                  ),
              ]
            : [];
        const listeners = [serving, ...redirect];
        const colourRules = colourHeaderRules(gateway.previewCidrs).map(
            (rule) =>
                new aws.lb.ListenerRule(
                    `${name}-${https ? "https" : "http"}-${rule.key}`,
                    {
                        listenerArn: serving.arn,
                        priority: rule.priority,
                        conditions: rule.conditions,
                        actions: [rule.action.type === "forward" ? forward : rule.action],
                        tags,
                    },
                    { parent: this },
                ),
        );

        const service = new aws.ecs.Service(
            `${name}-service`,
            {
                name: API_GATEWAY_NAME,
                cluster: args.platform.clusterArn,
                taskDefinition: taskDefinition.arn,
                desiredCount: gateway.count,
                launchType: "FARGATE",
                // Every private subnet, one per AZ: Fargate spreads the tasks across them.
                networkConfiguration: { subnets: args.platform.privateSubnetIds, securityGroups: [args.gatewaySecurityGroupId], assignPublicIp: false },
                availabilityZoneRebalancing: "ENABLED",
                loadBalancers: [{ targetGroupArn: targetGroup.arn, containerName: CONTAINERS.dataplane, containerPort: GATEWAY_LISTENER.port }],
                // mesh-init, login and the first xDS push come before Envoy opens the listener.
                healthCheckGracePeriodSeconds: 60,
                propagateTags: "TASK_DEFINITION",
                enableEcsManagedTags: true,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                tags,
            },
            // ECS refuses a target group that no listener uses yet; no gateway task serves before the colour header is refused.
            { parent: this, dependsOn: [...(args.platform.startAfter ?? []), ...roles.policies, ...listeners, ...colourRules], deleteBeforeReplace: true },
        );

        this.albDnsName = alb.dnsName;
        this.url = pulumi.interpolate`${https ? "https" : "http"}://${alb.dnsName}`;
        this.ecsServiceName = service.name;
        this.targetGroupArn = targetGroup.arn;
        this.registerOutputs({ albDnsName: this.albDnsName, url: this.url, ecsServiceName: this.ecsServiceName, targetGroupArn: this.targetGroupArn });
    }
}
