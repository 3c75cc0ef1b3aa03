import * as aws from "@pulumi/aws";
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import type { ConsulApiAccess } from "../shared/consulApi";
import { ConsulServerEndpoint } from "./access";
import { createApiLoadBalancer } from "./apiLoadBalancer";
import { devServerDnsName } from "./awsNames";
import { createDevServer } from "./devServer";
import { createHaServers } from "./haServers";
import { ConsulSecrets } from "./secrets";
import { devTunnelCommand, haTunnelCommand } from "./render/tunnelCommands";
import { DEV_SERVER_CONTAINER } from "./render/devServerContainer";
import { ConsulReadiness } from "./readiness";
import { PresetToken } from "./presetToken";
import { SERVER_AGENT_POLICY_RULES } from "./render/serverAgentToken";
import { AutoJoinTag, discoverHosts, serverTlsName } from "./render/agentConfig";
import { AUTO_JOIN_TAG_KEY } from "./render/fleet";
import { ServerSecretArns } from "./render/userData";
import { PORTS } from "../shared/ports";
import type { ServerClusterArgs } from "./serverArgs";

/**
 * The stack's Consul control plane and the way this program talks to it (docs/platform-facts.md#network, #tls-gossip-and-acls, #consul-servers).
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
    public readonly api: ConsulApiAccess<pulumi.Input<string>>;
    /** The Consul provider every config entry must use. */
    public readonly provider: consul.Provider;
    /** Config entries depend on this: it waits for a leader and an accepted management token. */
    public readonly ready: ConsulReadiness;
    /** The internal API load balancer's DNS name. */
    public readonly apiLoadBalancerDnsName: pulumi.Output<string>;
    /** The SSM port-forwarding command that brings the API to localhost:8501 (docs/consul-servers.md). */
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
        const { loadBalancer, targetGroup, listener } = createApiLoadBalancer(
            name,
            {
                vpcId: args.vpcId,
                privateSubnetIds: args.privateSubnetIds,
                securityGroupId: args.securityGroupIds.consulApiLb,
                targetType: servers.mode === "ha" ? "instance" : "ip",
                tags: args.tags,
            },
            this,
        );
        this.apiLoadBalancerDnsName = loadBalancer.dnsName;

        const devDnsName = devServerDnsName(project, stack);
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
            .all([secrets.arns.caCert, secrets.arns.serverCert, secrets.arns.serverKey, secrets.arns.gossipKey, secrets.arns.managementToken, secrets.arns.agentToken])
            .apply(([caCert, serverCert, serverKey, gossipKey, managementToken, agentToken]) => ({ caCert, serverCert, serverKey, gossipKey, managementToken, agentToken }));

        let serving: pulumi.Resource;
        let hosts: pulumi.Input<string>;
        if (servers.mode === "ha") {
            const autoJoin: AutoJoinTag = { region: args.region, tagKey: AUTO_JOIN_TAG_KEY, tagValue: `${project}-${stack}-${datacenter}` };
            serving = createHaServers(name, args, { secrets, serverSecretArns, targetGroup, partition, autoJoin }, this);
            hosts = discoverHosts(autoJoin);
            this.tunnelCommand = loadBalancer.dnsName.apply((lbName) =>
                haTunnelCommand({ region: args.region, tagKey: autoJoin.tagKey, tagValue: autoJoin.tagValue, loadBalancerDnsName: lbName, port: PORTS.consulHttps }),
            );
        } else {
            const service = createDevServer(name, args, { secrets, serverSecretArns, targetGroup, listener, partition }, this);
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
        this.ready = new ConsulReadiness(
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
        // The servers boot with acl.tokens.agent set to this SecretID; the token behind it can only be
        // written once they have a leader, and from then on their agents may update their own nodes.
        const agentPolicy = new consul.AclPolicy(
            `${name}-agent`,
            { name: `${stack}-consul-server-agent`, description: `Consul servers' own agents (stack ${stack})`, rules: SERVER_AGENT_POLICY_RULES },
            { parent: this, provider: this.provider, dependsOn: [this.ready] },
        );
        new PresetToken(
            `${name}-agent-token`,
            {
                address: this.api.address,
                caCertPem: this.api.caCertPem,
                token: this.api.token,
                tlsServerName,
                secretId: secrets.agentToken,
                description: `Consul servers' agent token (stack ${stack})`,
                policies: [agentPolicy.name],
            },
            { parent: this, dependsOn: [this.ready, agentPolicy] },
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
}

function hostOf(address: string): string {
    return address.slice(0, address.lastIndexOf(":"));
}

function isIpv4(host: string): boolean {
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}
