// The internal Network Load Balancer in front of the Consul servers: one stable private address for
// the HTTPS API (operators, the Pulumi run, the tunnel), whichever servers are healthy.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PORTS } from "../shared/ports";

export interface ApiLoadBalancerArgs {
    readonly vpcId: pulumi.Input<string>;
    readonly privateSubnetIds: pulumi.Input<string[]>;
    readonly securityGroupId: pulumi.Input<string>;
    /** `instance` for the ha Auto Scaling group, `ip` for the dev Fargate task. */
    readonly targetType: "instance" | "ip";
    readonly tags?: Record<string, string>;
}

export interface ApiLoadBalancer {
    readonly loadBalancer: aws.lb.LoadBalancer;
    /** The servers register here: the Auto Scaling group (ha) or the ECS service (dev). */
    readonly targetGroup: aws.lb.TargetGroup;
    readonly listener: aws.lb.Listener;
}

/** Consul's HTTPS API, passed through as TCP: the servers terminate TLS themselves. */
const API_PORT = { port: PORTS.consulHttps, protocol: "TCP" } as const;

/** Creates the load balancer, its target group and its TCP 8501 listener as children of `parent`. */
export function createApiLoadBalancer(name: string, args: ApiLoadBalancerArgs, parent: pulumi.Resource): ApiLoadBalancer {
    const child = { parent };
    const loadBalancer = new aws.lb.LoadBalancer(
        `${name}-api`,
        {
            loadBalancerType: "network",
            internal: true,
            subnets: args.privateSubnetIds,
            securityGroups: [args.securityGroupId],
            enableCrossZoneLoadBalancing: true,
            tags: { ...args.tags, Name: `${name}-api` },
        },
        child,
    );
    const targetGroup = new aws.lb.TargetGroup(
        `${name}-api`,
        {
            vpcId: args.vpcId,
            ...API_PORT,
            targetType: args.targetType,
            // Source = the load balancer, so the servers' rule "from consulApiLb" applies, and a
            // tunnel through a server can reach the load balancer that routes back to that server.
            preserveClientIp: "false",
            deregistrationDelay: 30,
            healthCheck: { protocol: "TCP", port: "traffic-port", interval: 10, healthyThreshold: 3, unhealthyThreshold: 3 },
            tags: args.tags,
        },
        child,
    );
    const listener = new aws.lb.Listener(
        `${name}-api`,
        {
            loadBalancerArn: loadBalancer.arn,
            ...API_PORT,
            defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            tags: args.tags,
        },
        child,
    );
    return { loadBalancer, targetGroup, listener };
}
