// The bluegreen program: wires the components together for one stack. Everything it does is
// decided by the stack's config (Pulumi.<stack>.yaml), validated before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { EcsCluster } from "./components/ecsCluster";
import { createMeshTraffic } from "./components/meshTraffic";
import { Network } from "./components/network";
import { SecurityGroups } from "./components/securityGroups";
import { ServerCluster } from "./components/serverCluster";
import { loadStackConfig } from "./components/stackConfig";

export default function main() {
    const config = loadStackConfig();
    const tags = { "bluegreen:stack": pulumi.getStack(), "bluegreen:project": pulumi.getProject() };

    const network = new Network("network", { network: config.network, tags });
    const cluster = new EcsCluster("ecs", { logRetentionDays: config.logRetentionDays, tags });
    const securityGroups = new SecurityGroups("sg", {
        vpcId: network.vpcId,
        vpcCidr: network.vpcCidr,
        ingressCidrs: config.gateway.ingressCidrs,
        https: config.gateway.certificateArn !== undefined,
        tags,
    });
    const servers = new ServerCluster("consul", {
        consul: config.consul,
        region: config.region,
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        availabilityZoneCount: config.network.kind === "create" ? config.network.azCount : config.network.privateSubnetIds.length,
        securityGroupIds: { servers: securityGroups.ids.servers, consulApiLb: securityGroups.ids.consulApiLb },
        ecsCluster: { arn: cluster.clusterArn, name: cluster.clusterName, logGroupName: cluster.logGroupName, logGroupArn: cluster.logGroupArn },
        tags,
    });
    // Per service: service-defaults, resolver, health gate, splitter, router, intentions; once:
    // proxy-defaults, the API gateway entry and the routed services' http-routes. All written through
    // the servers' Consul provider after their readiness gate. Pass each service's MeshService as its
    // workloads (third argument) once the services are wired, so its health gate checks after them.
    createMeshTraffic(config.services, servers);

    return {
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        clusterName: cluster.clusterName,
        securityGroupIds: securityGroups.ids,
        consul: {
            mode: config.consul.servers.mode,
            datacenter: config.consul.datacenter,
            serverHosts: servers.endpoint.hosts,
            tlsServerName: servers.endpoint.tlsServerName,
            apiLoadBalancerDnsName: servers.apiLoadBalancerDnsName,
            apiAddress: servers.api.address,
            managementTokenSecretArn: servers.managementTokenSecretArn,
            tunnelCommand: servers.tunnelCommand,
        },
        traffic: Object.fromEntries(config.services.map((s) => [s.name, s.traffic])),
    };
}
