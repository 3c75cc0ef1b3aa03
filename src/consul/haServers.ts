// ha mode: `count` Consul servers in an EC2 Auto Scaling group across the private subnets, replaced
// one at a time by instance refresh, with snapshots to their own bucket.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createSnapshotBucket } from "./snapshotBucket";
import { AutoJoinTag, renderServerAgentConfig } from "./render/agentConfig";
import { DATA_DEVICE, SERVER_WARMUP_SECONDS, amazonLinuxAmiParameter, rollingMinHealthyPercentage } from "./render/fleet";
import { haServerPolicy } from "./render/serverPolicies";
import { serviceTrustPolicy } from "../iam/policyDocument";
import { HA_SERVER_PATHS, serverUserData } from "./render/userData";
import type { ServerClusterArgs, ServerDeps } from "./serverArgs";

/** Creates the snapshot bucket, instance role, launch template and Auto Scaling group under `parent`. */
export function createHaServers(name: string, args: ServerClusterArgs, deps: ServerDeps & { readonly autoJoin: AutoJoinTag }, parent: pulumi.Resource): aws.autoscaling.Group {
    const servers = args.consul.servers;
    const child = { parent };
    const snapshotPrefix = `snapshots/${args.consul.datacenter}/`;
    const snapshots = createSnapshotBucket(
        name,
        { prefix: snapshotPrefix, retentionDays: servers.snapshotRetentionDays, kmsKeyArn: deps.secrets.kmsKeyArn, tags: args.tags },
        parent,
    );

    const role = new aws.iam.Role(
        `${name}-server`,
        {
            description: `bluegreen ${pulumi.getStack()}: Consul servers (auto-join, own secrets, snapshots, Session Manager)`,
            assumeRolePolicy: JSON.stringify(serviceTrustPolicy("ec2.amazonaws.com", "AssumedByService")),
            tags: args.tags,
        },
        child,
    );
    const rolePolicy = new aws.iam.RolePolicy(
        `${name}-server`,
        {
            role: role.id,
            policy: pulumi.all([deps.serverSecretArns, deps.secrets.kmsKeyArn, snapshots.arn, deps.partition]).apply(([arns, kmsKeyArn, bucketArn, partition]) =>
                JSON.stringify(
                    haServerPolicy({
                        region: args.region,
                        dnsSuffix: partition.dnsSuffix,
                        secretArns: Object.values(arns),
                        kmsKeyArn,
                        snapshotBucketArn: bucketArn,
                        snapshotPrefix,
                    }),
                ),
            ),
        },
        child,
    );
    const sessionManager = new aws.iam.RolePolicyAttachment(
        `${name}-server-ssm`,
        { role: role.name, policyArn: pulumi.interpolate`arn:${deps.partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore` },
        child,
    );
    const profile = new aws.iam.InstanceProfile(`${name}-server`, { role: role.name, tags: args.tags }, child);

    const agentConfig = renderServerAgentConfig({
        mode: "ha",
        datacenter: args.consul.datacenter,
        serverCount: servers.count,
        autoJoin: deps.autoJoin,
        dataDir: HA_SERVER_PATHS.dataDir,
        tls: HA_SERVER_PATHS.tls,
    });
    const userData = pulumi.all([deps.serverSecretArns, snapshots.bucket]).apply(([secretArns, bucket]) =>
        Buffer.from(
            serverUserData({
                consulVersion: args.consul.version,
                region: args.region,
                agentConfig,
                secretArns,
                dataDevice: DATA_DEVICE,
                snapshot: { bucket, prefix: snapshotPrefix, schedule: servers.snapshotSchedule },
            }),
        ).toString("base64"),
    );
    const serverTags = { ...args.tags, Name: `${pulumi.getProject()}-${pulumi.getStack()}-consul-server` };
    const launchTemplate = new aws.ec2.LaunchTemplate(
        `${name}-server`,
        {
            description: `bluegreen ${pulumi.getStack()}: Consul ${args.consul.version} server`,
            // Resolved at launch: new servers get the current Amazon Linux 2023 without a deploy
            // rolling them; patch by starting an instance refresh (docs/consul-servers.md).
            imageId: `resolve:ssm:${amazonLinuxAmiParameter(servers.instanceType)}`,
            instanceType: servers.instanceType,
            updateDefaultVersion: true,
            iamInstanceProfile: { arn: profile.arn },
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
            networkInterfaces: [
                { deviceIndex: 0, associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: [args.securityGroupIds.servers] },
            ],
            // Encrypted with the AWS managed EBS key: a customer key would need a key policy grant for
            // the Auto Scaling service-linked role, or every launch fails.
            blockDeviceMappings: [
                { deviceName: "/dev/xvda", ebs: { volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
                { deviceName: DATA_DEVICE, ebs: { volumeType: "gp3", volumeSize: servers.dataVolumeSize, encrypted: "true", deleteOnTermination: "true" } },
            ],
            userData,
            tagSpecifications: [
                {
                    resourceType: "instance",
                    tags: {
                        ...serverTags,
                        [deps.autoJoin.tagKey]: deps.autoJoin.tagValue,
                        // A renewed server certificate changes this tag, so a new template version rolls the servers.
                        "bluegreen:server-cert-not-after": deps.secrets.serverCertNotAfter,
                    },
                },
                { resourceType: "volume", tags: serverTags },
            ],
            tags: args.tags,
        },
        { parent, dependsOn: [rolePolicy, sessionManager] },
    );
    return new aws.autoscaling.Group(
        `${name}-servers`,
        {
            minSize: servers.count,
            maxSize: servers.count,
            desiredCapacity: servers.count,
            vpcZoneIdentifiers: args.privateSubnetIds,
            launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply((v) => String(v)) },
            targetGroupArns: [deps.targetGroup.arn],
            // A server that stops answering on 8501 is replaced.
            healthCheckType: "ELB",
            healthCheckGracePeriod: SERVER_WARMUP_SECONDS,
            defaultInstanceWarmup: SERVER_WARMUP_SECONDS,
            instanceRefresh: {
                strategy: "Rolling",
                preferences: {
                    minHealthyPercentage: rollingMinHealthyPercentage(servers.count),
                    maxHealthyPercentage: 100,
                    instanceWarmup: String(SERVER_WARMUP_SECONDS),
                },
            },
            waitForCapacityTimeout: "15m",
            tags: Object.entries(serverTags).map(([key, value]) => ({ key, value, propagateAtLaunch: false })),
        },
        // The user data names the secrets by ARN; their values (the secret versions) must exist before a server boots.
        { parent, dependsOn: [deps.secrets] },
    );
}
