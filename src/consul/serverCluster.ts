import * as aws from "@pulumi/aws";
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { ConsulApiAccess, ConsulServerEndpoint } from "./access";
import { ConsulSecrets } from "./secrets";
import { devTunnelCommand, haTunnelCommand } from "./render/tunnelCommands";
import { DEV_SERVER_CONTAINER, DEV_SERVER_PATHS, devServerContainer } from "./render/devServerContainer";
import { ConsulReadinessGate } from "./readinessGate";
import { AutoJoinTag, discoverHosts, renderServerAgentConfig, serverTlsName } from "./render/agentConfig";
import { AUTO_JOIN_TAG_KEY, DATA_DEVICE, SERVER_WARMUP_SECONDS, amazonLinuxAmiParameter, rollingMinHealthyPercentage } from "./render/fleet";
import { assumeRolePolicy, devServerExecutionPolicy, devServerTaskPolicy, haServerPolicy, snapshotBucketPolicy } from "./render/serverPolicies";
import { HA_SERVER_PATHS, ServerSecretArns, serverUserData } from "./render/userData";
import { PORTS } from "../net/render/securityGroupRules";
import type { ConsulConfig } from "../config";

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
    /** Readiness gate bounds. Default 60 checks, 10 s apart. */
    readonly readiness?: { readonly attempts?: number; readonly intervalSeconds?: number };
    /**
     * What the path to Consul's API needs besides this component (the security group rules): the
     * readiness gate, and so every config entry, depends on it, so that a destroy removes those
     * rules only after everything that talks to Consul is gone. Default: none.
     */
    readonly apiPathDependsOn?: readonly pulumi.Resource[];
    readonly tags?: Record<string, string>;
}

/** Fargate size of the dev server task. */
const DEV_SERVER_CPU = "512";
const DEV_SERVER_MEMORY = "1024";
/** The dev server's Cloud Map service name. */
const DEV_DISCOVERY_SERVICE = "consul-server";

/**
 * The stack's Consul control plane and the way this program talks to it (reference sections 5-7).
 *
 * - `ha`: `count` servers (3 or 5) in an EC2 Auto Scaling group across the private subnets, replaced
 *   one at a time by instance refresh, with hourly snapshots to a private, versioned, encrypted bucket.
 * - `dev`: one server on Fargate, found through a Cloud Map name. NOT FOR PRODUCTION: its data is lost
 *   whenever the task stops. TLS, gossip encryption and ACLs are on in both modes.
 *
 * Either way an internal Network Load Balancer (TCP 8501, reachable only from inside the VPC) gives
 * operators and the Pulumi run one stable address; `provider` and `ready` are what config entries use.
 */
export class ServerCluster extends pulumi.ComponentResource {
    /** How mesh tasks, gateways and the controller reach the servers (consul-ecs `consulServers`). */
    public readonly endpoint: ConsulServerEndpoint;
    /** How this program reaches Consul's HTTPS API. */
    public readonly api: ConsulApiAccess;
    /** The Consul provider every config entry must use. */
    public readonly provider: consul.Provider;
    /** Config entries depend on this: it waits for a leader and an accepted management token. */
    public readonly ready: ConsulReadinessGate;
    /** The internal API load balancer's DNS name. */
    public readonly apiLoadBalancerDnsName: pulumi.Output<string>;
    /** The SSM port-forwarding command that brings the API to localhost:8501 (README). */
    public readonly tunnelCommand: pulumi.Output<string>;
    /** The customer KMS key of the Consul secrets. */
    public readonly kmsKeyArn: pulumi.Output<string>;
    /** Secrets Manager ARN of the management token (for operators; hand narrower tokens to workloads). */
    public readonly managementTokenSecretArn: pulumi.Output<string>;

    constructor(name: string, args: ServerClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:consul:ServerCluster", name, {}, opts);
        const servers = args.consul.servers;
        const child = { parent: this };
        const project = pulumi.getProject();
        const stack = pulumi.getStack();
        const datacenter = args.consul.datacenter;
        const tlsServerName = serverTlsName(datacenter);
        const partition = aws.getPartitionOutput({}, child);

        // One stable private address for the API, in front of whichever servers are healthy.
        const loadBalancer = new aws.lb.LoadBalancer(
            `${name}-api`,
            {
                loadBalancerType: "network",
                internal: true,
                subnets: args.privateSubnetIds,
                securityGroups: [args.securityGroupIds.consulApiLb],
                enableCrossZoneLoadBalancing: true,
                tags: { ...args.tags, Name: `${name}-api` },
            },
            child,
        );
        const targetGroup = new aws.lb.TargetGroup(
            `${name}-api`,
            {
                vpcId: args.vpcId,
                port: PORTS.consulHttps,
                protocol: "TCP",
                targetType: servers.mode === "ha" ? "instance" : "ip",
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
                port: PORTS.consulHttps,
                protocol: "TCP",
                defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
                tags: args.tags,
            },
            child,
        );
        this.apiLoadBalancerDnsName = loadBalancer.dnsName;

        const devDnsName = `${DEV_DISCOVERY_SERVICE}.${devNamespaceName(project, stack)}`;
        const apiHost = args.consul.apiAddress ? hostOf(args.consul.apiAddress) : undefined;
        const secrets = new ConsulSecrets(
            `${name}-secrets`,
            {
                datacenter,
                // Every name a client may use to reach a server must be on its certificate.
                serverDnsNames: pulumi
                    .output(loadBalancer.dnsName)
                    .apply((lbName) => [lbName, ...(servers.mode === "dev" ? [devDnsName] : []), ...(apiHost && !isIpv4(apiHost) ? [apiHost] : [])]),
                serverIpAddresses: apiHost && isIpv4(apiHost) ? [apiHost] : [],
                namePrefix: `${project}/${stack}/consul/`,
                // A dev stack is torn down and rebuilt; a 30-day recovery window would block its names.
                recoveryWindowInDays: servers.mode === "dev" ? 0 : 30,
                tags: args.tags,
            },
            child,
        );
        // What a server reads: everything but the CA's private key.
        const serverSecretArns: pulumi.Output<ServerSecretArns> = pulumi
            .all([secrets.arns.caCert, secrets.arns.serverCert, secrets.arns.serverKey, secrets.arns.gossipKey, secrets.arns.managementToken])
            .apply(([caCert, serverCert, serverKey, gossipKey, managementToken]) => ({ caCert, serverCert, serverKey, gossipKey, managementToken }));

        let serving: pulumi.Resource;
        let hosts: pulumi.Input<string>;
        if (servers.mode === "ha") {
            const autoJoin: AutoJoinTag = { region: args.region, tagKey: AUTO_JOIN_TAG_KEY, tagValue: `${project}-${stack}-${datacenter}` };
            serving = this.createHaServers(name, args, { secrets, serverSecretArns, targetGroup, partition, autoJoin });
            hosts = discoverHosts(autoJoin);
            this.tunnelCommand = loadBalancer.dnsName.apply((lbName) =>
                haTunnelCommand({ region: args.region, tagKey: autoJoin.tagKey, tagValue: autoJoin.tagValue, loadBalancerDnsName: lbName, port: PORTS.consulHttps }),
            );
        } else {
            const service = this.createDevServer(name, args, { secrets, serverSecretArns, targetGroup, listener, partition });
            serving = service;
            hosts = devDnsName;
            this.tunnelCommand = pulumi
                .all([args.ecsCluster.name, service.name])
                .apply(([clusterName, serviceName]) =>
                    devTunnelCommand({ region: args.region, clusterName, serviceName, containerName: DEV_SERVER_CONTAINER, port: PORTS.consulHttps }),
                );
        }

        this.endpoint = {
            hosts,
            tlsServerName,
            caCertSecretArn: secrets.arns.caCert,
            caCertKmsKeyArn: secrets.kmsKeyArn,
            httpsPort: PORTS.consulHttps,
            grpcPort: PORTS.consulGrpcTls,
            datacenter,
        };
        this.api = {
            address: args.consul.apiAddress ?? pulumi.interpolate`${loadBalancer.dnsName}:${PORTS.consulHttps}`,
            caCertPem: secrets.caCertPem,
            token: secrets.managementToken,
            tlsServerName,
        };
        this.ready = new ConsulReadinessGate(
            `${name}-ready`,
            {
                address: this.api.address,
                caCertPem: this.api.caCertPem,
                token: this.api.token,
                tlsServerName,
                attempts: args.readiness?.attempts,
                intervalSeconds: args.readiness?.intervalSeconds,
            },
            { parent: this, dependsOn: [serving, listener, ...(args.apiPathDependsOn ?? [])] },
        );
        // The provider checks the certificate against the address's host (the load balancer's name or
        // localhost), both of which the server certificate carries; it has no separate TLS name setting.
        this.provider = new consul.Provider(
            `${name}-consul`,
            {
                address: this.api.address,
                scheme: "https",
                caPem: this.api.caCertPem,
                token: this.api.token,
                datacenter,
            },
            child,
        );
        this.kmsKeyArn = secrets.kmsKeyArn;
        this.managementTokenSecretArn = secrets.arns.managementToken;
        this.registerOutputs({
            apiLoadBalancerDnsName: this.apiLoadBalancerDnsName,
            apiAddress: this.api.address,
            hosts: this.endpoint.hosts,
            tunnelCommand: this.tunnelCommand,
        });
    }

    /** ha: snapshot bucket, instance role, launch template and the Auto Scaling group. */
    private createHaServers(
        name: string,
        args: ServerClusterArgs,
        deps: {
            secrets: ConsulSecrets;
            serverSecretArns: pulumi.Output<ServerSecretArns>;
            targetGroup: aws.lb.TargetGroup;
            partition: pulumi.Output<aws.GetPartitionResult>;
            autoJoin: AutoJoinTag;
        },
    ): aws.autoscaling.Group {
        const servers = args.consul.servers;
        const child = { parent: this };
        const snapshotPrefix = `snapshots/${args.consul.datacenter}/`;
        const snapshots = this.createSnapshotBucket(name, args, deps.secrets.kmsKeyArn, snapshotPrefix);

        const role = new aws.iam.Role(
            `${name}-server`,
            {
                description: `bluegreen ${pulumi.getStack()}: Consul servers (auto-join, own secrets, snapshots, Session Manager)`,
                assumeRolePolicy: JSON.stringify(assumeRolePolicy("ec2.amazonaws.com")),
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
                // rolling them; patch by starting an instance refresh (README).
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
            { parent: this, dependsOn: [rolePolicy, sessionManager] },
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
            { parent: this, dependsOn: [deps.secrets] },
        );
    }

    /** A private, versioned, KMS-encrypted bucket that keeps snapshots `snapshotRetentionDays`. */
    private createSnapshotBucket(name: string, args: ServerClusterArgs, kmsKeyArn: pulumi.Output<string>, prefix: string): aws.s3.Bucket {
        const child = { parent: this };
        const days = args.consul.servers.snapshotRetentionDays;
        const bucket = new aws.s3.Bucket(
            `${name}-snapshots`,
            { bucketPrefix: bucketPrefix(pulumi.getProject(), pulumi.getStack()), forceDestroy: false, tags: args.tags },
            child,
        );
        const owner = new aws.s3.BucketOwnershipControls(`${name}-snapshots`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-snapshots`,
            { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            child,
        );
        const versioning = new aws.s3.BucketVersioning(`${name}-snapshots`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-snapshots`,
            { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn }, bucketKeyEnabled: true }] },
            child,
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-snapshots`,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "expire-snapshots",
                        status: "Enabled",
                        filter: { prefix },
                        expiration: { days },
                        noncurrentVersionExpiration: { noncurrentDays: days },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
            { parent: this, dependsOn: [versioning] },
        );
        new aws.s3.BucketPolicy(
            `${name}-snapshots`,
            { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(snapshotBucketPolicy(arn))) },
            { parent: this, dependsOn: [publicAccess, owner] },
        );
        return bucket;
    }

    /** dev: the Cloud Map name, the task's roles, its task definition and the ECS service. */
    private createDevServer(
        name: string,
        args: ServerClusterArgs,
        deps: {
            secrets: ConsulSecrets;
            serverSecretArns: pulumi.Output<ServerSecretArns>;
            targetGroup: aws.lb.TargetGroup;
            listener: aws.lb.Listener;
            partition: pulumi.Output<aws.GetPartitionResult>;
        },
    ): aws.ecs.Service {
        const child = { parent: this };
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
            { description: `bluegreen ${stack}: dev Consul server task execution (its secrets, its logs)`, assumeRolePolicy: JSON.stringify(assumeRolePolicy("ecs-tasks.amazonaws.com")), tags: args.tags },
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
            { description: `bluegreen ${stack}: dev Consul server task (ECS Exec tunnel only)`, assumeRolePolicy: JSON.stringify(assumeRolePolicy("ecs-tasks.amazonaws.com")), tags: args.tags },
            child,
        );
        const taskPolicy = new aws.iam.RolePolicy(`${name}-server-task`, { role: taskRole.id, policy: JSON.stringify(devServerTaskPolicy()) }, child);

        const agentConfig = renderServerAgentConfig({ mode: "dev", datacenter: args.consul.datacenter, dataDir: DEV_SERVER_PATHS.dataDir, tls: DEV_SERVER_PATHS.tls });
        const containerDefinitions = pulumi
            .all([deps.serverSecretArns, args.ecsCluster.logGroupName, deps.secrets.serverCertNotAfter])
            .apply(([secretArns, logGroupName, notAfter]) =>
                JSON.stringify([
                    devServerContainer({
                        image: `hashicorp/consul:${args.consul.version}`,
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
            { parent: this, dependsOn: [deps.listener, executionPolicy, taskPolicy, deps.secrets] },
        );
    }
}

/** The dev server's private DNS namespace, one per stack. */
function devNamespaceName(project: string, stack: string): string {
    return `${dnsLabel(stack)}.${dnsLabel(project)}.internal`;
}

function dnsLabel(value: string): string {
    return value.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "").slice(0, 63) || "stack";
}

/** S3 bucket name prefixes are at most 37 characters of [a-z0-9-]. */
function bucketPrefix(project: string, stack: string): string {
    return `${dnsLabel(project)}-${dnsLabel(stack)}-consul-snapshots-`.slice(0, 37);
}

function hostOf(address: string): string {
    return address.slice(0, address.lastIndexOf(":"));
}

function isIpv4(host: string): boolean {
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}
