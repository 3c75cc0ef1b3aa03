// The bluegreen program: wires the components together for one stack. Everything it does is
// decided by the stack's config (Pulumi.<stack>.yaml), validated before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { ApiGateway } from "./src/ecs/apiGateway";
import { Controller } from "./src/ecs/controller";
import { EcsCluster } from "./src/ecs/cluster";
import { MeshPlatform } from "./src/ecs/platform";
import { createMeshTraffic } from "./src/mesh/wireTraffic";
import { MeshMetrics } from "./src/metrics/meshMetrics";
import { MeshService } from "./src/ecs/meshService";
import { Network } from "./src/net/network";
import { SecurityGroups } from "./src/net/securityGroups";
import { ServerCluster } from "./src/consul/serverCluster";
import { RolloutEngine } from "./src/rollout/engine";
import { engineSplitterNames } from "./src/rollout/render/enginePolicies";
import { createRelease } from "./src/rollout/wireRelease";
import { ROLLOUT_KV_PREFIX } from "./src/rollout/contract";
import { loadStackConfig } from "./src/config/load";

/** @public Pulumi's Node runtime calls a program's default export and makes what it returns the stack's outputs. */
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
        securityGroupIds: { servers: securityGroups.ids.servers, consulApiLb: securityGroups.ids.consulApiLb },
        apiPathDependsOn: [securityGroups],
        ecsCluster: { arn: cluster.clusterArn, name: cluster.clusterName, logGroupName: cluster.logGroupName, logGroupArn: cluster.logGroupArn },
        tags,
    });

    const platform: MeshPlatform = {
        clusterArn: cluster.clusterArn,
        logGroupName: cluster.logGroupName,
        logGroupArn: cluster.logGroupArn,
        region: config.region,
        privateSubnetIds: network.privateSubnetIds,
        consulEcsImage: config.consul.ecsImage,
        dataplaneImage: config.consul.dataplaneImage,
        endpoint: servers.endpoint,
        secretsKmsKeyArn: servers.kmsKeyArn,
        startAfter: [servers.ready],
        tags,
    };
    const controller = new Controller("consul-ecs-controller", {
        platform,
        consulProvider: servers.provider,
        consulReady: servers.ready,
        securityGroupId: securityGroups.ids.controller,
    });
    // Tasks log in through the IAM auth method the controller creates: start them after it.
    const meshPlatform: MeshPlatform = { ...platform, startAfter: [servers.ready, controller] };
    const services = config.services.map(
        (service) => new MeshService(service.name, { service, platform: meshPlatform, securityGroupId: securityGroups.ids.meshTasks }),
    );
    // Per service: service-defaults, resolver, split guard, splitter, router, intentions (the gate
    // checks after the service's ECS services exist); once: proxy-defaults, the API gateway entry and
    // the routed services' http-routes. All through the servers' Consul provider, after their
    // readiness wait.
    const traffic = createMeshTraffic(config.services, servers, Object.fromEntries(services.map((s) => [s.serviceName, [s]])));
    // The platform's rollout engine writes the splitters after their creation; the stack's one
    // Release resource carries every service's desired traffic to it during `pulumi up`.
    const rollout = new RolloutEngine("rollout", {
        services: engineSplitterNames(config.services),
        alarmNames: [...new Set(config.services.flatMap((s) => s.gate.alarms))],
        readsMeshMetrics: config.services.some((s) => s.gate.analysis !== undefined),
        region: config.region,
        privateSubnetIds: network.privateSubnetIds,
        securityGroupId: securityGroups.ids.rolloutEngine,
        consulProvider: servers.provider,
        consulReady: servers.ready,
        consulAddress: pulumi.interpolate`${servers.apiLoadBalancerDnsName}:8501`,
        tlsServerName: servers.endpoint.tlsServerName,
        caCertSecretArn: servers.endpoint.caCertSecretArn,
        kmsKeyArn: servers.kmsKeyArn,
        logRetentionDays: config.logRetentionDays,
        tags,
    });
    createRelease(config.services, servers.api, { stateMachineArn: rollout.stateMachineArn, region: config.region }, [rollout, ...Object.values(traffic.policies)]);
    const gateway = new ApiGateway("api-gateway", {
        platform: meshPlatform,
        gateway: config.gateway,
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIds,
        gatewaySecurityGroupId: securityGroups.ids.gateway,
        albSecurityGroupId: securityGroups.ids.alb,
    });

    // Per-colour request metrics from the dataplanes' access logs, and the stack's dashboard.
    const metrics = new MeshMetrics("metrics", { services: config.services, logGroupName: cluster.logGroupName, region: config.region });

    return {
        gatewayUrl: gateway.url,
        dashboardUrl: metrics.dashboardUrls[0],
        services: Object.fromEntries(services.map((s) => [s.serviceName, Object.keys(s.colours)])),
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
            caCertSecretArn: servers.endpoint.caCertSecretArn,
            tunnelCommand: servers.tunnelCommand,
        },
        traffic: Object.fromEntries(config.services.map((s) => [s.name, s.traffic])),
        rollout: { stateMachineArn: rollout.stateMachineArn, functionName: rollout.functionName, kvPrefix: ROLLOUT_KV_PREFIX, tokenSecretArn: rollout.tokenSecretArn, operatorTokenSecretArn: rollout.operatorTokenSecretArn },
    };
}
