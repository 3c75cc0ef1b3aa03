import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GROUPS, GroupKey, ruleName, securityGroupRules } from "./render/securityGroupRules";

export interface SecurityGroupsArgs {
    readonly vpcId: pulumi.Input<string>;
    /** The VPC's CIDR: the only source allowed to reach the internal Consul API load balancer. */
    readonly vpcCidr: pulumi.Input<string>;
    /** CIDRs allowed to reach the public ALB. */
    readonly ingressCidrs: readonly string[];
    /** True when the ALB terminates HTTPS (443, with 80 redirecting). */
    readonly https: boolean;
    readonly tags?: Record<string, string>;
}

const PURPOSE: Record<GroupKey, string> = {
    servers: "Consul servers",
    meshTasks: "mesh service tasks (app + Envoy sidecar)",
    gateway: "Consul API gateway tasks",
    controller: "consul-ecs controller",
    alb: "public ALB in front of the API gateway",
    consulApiLb: "internal load balancer for the Consul HTTPS API",
    rolloutEngine: "rollout engine Lambda (Consul API through the internal load balancer, AWS APIs)",
};

/**
 * One security group per role, with no inline rules: each allowed flow is its own rule resource
 * built from `securityGroupRules`, so a change to one flow never replaces a group.
 */
export class SecurityGroups extends pulumi.ComponentResource {
    public readonly ids: Readonly<Record<GroupKey, pulumi.Output<string>>>;

    constructor(name: string, args: SecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:net:SecurityGroups", name, {}, opts);
        const groups = {} as Record<GroupKey, aws.ec2.SecurityGroup>;
        for (const key of GROUPS) {
            groups[key] = new aws.ec2.SecurityGroup(
                `${name}-${key}`,
                {
                    vpcId: args.vpcId,
                    description: `bluegreen ${pulumi.getStack()}: ${PURPOSE[key]}`,
                    revokeRulesOnDelete: true,
                    tags: { ...args.tags, Name: `${name}-${key}` },
                },
                { parent: this },
            );
        }
        for (const rule of securityGroupRules({ ingressCidrs: args.ingressCidrs, https: args.https })) {
            const peer =
                "group" in rule.peer
                    ? { referencedSecurityGroupId: groups[rule.peer.group].id }
                    : "cidr" in rule.peer
                      ? { cidrIpv4: rule.peer.cidr }
                      : { cidrIpv4: args.vpcCidr };
            const common = {
                securityGroupId: groups[rule.group].id,
                ipProtocol: rule.protocol,
                fromPort: rule.port,
                toPort: rule.port,
                description: rule.description,
                ...peer,
            };
            if (rule.direction === "ingress") {
                new aws.vpc.SecurityGroupIngressRule(`${name}-${ruleName(rule)}`, common, { parent: this });
            } else {
                new aws.vpc.SecurityGroupEgressRule(`${name}-${ruleName(rule)}`, common, { parent: this });
            }
        }
        this.ids = Object.fromEntries(GROUPS.map((key) => [key, groups[key].id])) as Record<GroupKey, pulumi.Output<string>>;
        this.registerOutputs({ ids: this.ids });
    }
}
