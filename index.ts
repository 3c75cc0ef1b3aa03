// The bluegreen program: wires the components together for one stack. Everything it does is
// decided by the stack's config (Pulumi.<stack>.yaml), validated before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { EcsCluster } from "./components/ecsCluster";
import { Network } from "./components/network";
import { SecurityGroups } from "./components/securityGroups";
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

    return {
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        clusterName: cluster.clusterName,
        securityGroupIds: securityGroups.ids,
        traffic: Object.fromEntries(config.services.map((s) => [s.name, s.traffic])),
    };
}
