import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface EcsClusterArgs {
    /** Days CloudWatch keeps the stack's container logs. Default 30. */
    readonly logRetentionDays?: number;
    readonly tags?: Record<string, string>;
}

/** The stack's ECS cluster (Container Insights on) and the log group all its tasks write to. */
export class EcsCluster extends pulumi.ComponentResource {
    public readonly clusterArn: pulumi.Output<string>;
    public readonly clusterName: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    public readonly logGroupArn: pulumi.Output<string>;

    constructor(name: string, args: EcsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:ecs:Cluster", name, {}, opts);
        const retention = args.logRetentionDays ?? 30;
        const cluster = new aws.ecs.Cluster(
            `${name}-cluster`,
            {
                settings: [{ name: "containerInsights", value: "enabled" }],
                tags: args.tags,
            },
            { parent: this },
        );
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                name: `/bluegreen/${pulumi.getStack()}`,
                retentionInDays: retention,
                tags: args.tags,
            },
            { parent: this },
        );
        this.clusterArn = cluster.arn;
        this.clusterName = cluster.name;
        this.logGroupName = logGroup.name;
        this.logGroupArn = logGroup.arn;
        this.registerOutputs({ clusterArn: this.clusterArn, clusterName: this.clusterName, logGroupName: this.logGroupName });
    }
}
