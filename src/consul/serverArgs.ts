// The arguments of ServerCluster and what its two server kinds (devServer.ts, haServers.ts) share:
// a home below all three, so that the parts do not import the component that dispatches to them.
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ConsulConfig } from "../config";
import type { ConsulSecrets } from "./secrets";
import type { ServerSecretArns } from "./render/userData";

export interface ServerClusterArgs {
    /** The stack's validated Consul settings: datacenter, version, servers, apiAddress. */
    readonly consul: ConsulConfig;
    /** The stack's AWS region. */
    readonly region: string;
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets (no public IPs): the servers and the internal API load balancer live here. */
    readonly privateSubnetIds: pulumi.Input<string[]>;
    /** Existing groups from SecurityGroups: `servers` (ha instances, dev task) and `consulApiLb`. */
    readonly securityGroupIds: { readonly servers: pulumi.Input<string>; readonly consulApiLb: pulumi.Input<string> };
    /** dev: the ECS cluster the server task runs in, and its log group. */
    readonly ecsCluster: {
        readonly arn: pulumi.Input<string>;
        readonly name: pulumi.Input<string>;
        readonly logGroupName: pulumi.Input<string>;
        readonly logGroupArn: pulumi.Input<string>;
    };
    /** Readiness wait bounds. Default 60 checks, 10 s apart. */
    readonly readiness?: { readonly attempts?: number; readonly intervalSeconds?: number };
    /**
     * What the path to Consul's API needs besides this component (the security group rules): the
     * readiness wait, and so every config entry, depends on it, so that a destroy removes those
     * rules only after everything that talks to Consul is gone. Default: none.
     */
    readonly apiPathDependsOn?: readonly pulumi.Resource[];
    readonly tags?: Record<string, string>;
}

/** What the ha and dev servers share: the secrets they read and the target group they register in. */
export interface ServerDeps {
    readonly secrets: ConsulSecrets;
    readonly serverSecretArns: pulumi.Output<ServerSecretArns>;
    readonly targetGroup: aws.lb.TargetGroup;
    readonly partition: pulumi.Output<aws.GetPartitionResult>;
}
