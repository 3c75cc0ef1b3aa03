// The mesh's components wired the way index.ts wires them, on the real foundation (network, ECS
// cluster, security groups), with a literal stand-in for the Consul server cluster (built in
// parallel): a ConsulServerEndpoint, a Consul provider and a readiness gate. Planned offline under
// the mock runtime like the real program.
import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { planStack, StackValues } from "../cli/offline";
import { ApiGateway } from "../components/apiGateway";
import type { ConsulServerEndpoint } from "../components/consulAccess";
import { Controller } from "../components/controller";
import { EcsCluster } from "../components/ecsCluster";
import { MeshPlatform } from "../components/meshPlatform";
import { MeshService } from "../components/meshService";
import { Network } from "../components/network";
import { SecurityGroups } from "../components/securityGroups";
import { loadStackConfig } from "../components/stackConfig";
import { Plan, stackConfig } from "./harness";

export const STAND_IN_CA_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/consul-ca-AbCdEf";
export const STAND_IN_KMS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-00000000abcd";

/** Stands in for the server cluster's readiness gate. */
class ReadyGate extends pulumi.CustomResource {
    constructor(name: string) {
        super("bluegreen:test:ConsulReady", name, {}, {});
    }
}

/** The endpoint the server cluster hands over: a Cloud Map name in dev, cloud auto-join in ha. */
export function standInEndpoint(stack: string, mode: "dev" | "ha", datacenter: string): ConsulServerEndpoint {
    return {
        hosts:
            mode === "dev"
                ? `consul-server.bluegreen-${stack}.internal`
                : `exec=discover -q addrs provider=aws region=eu-west-1 tag_key=bluegreen:consul-server tag_value=${stack}`,
        tlsServerName: `server.${datacenter}.consul`,
        caCertSecretArn: STAND_IN_CA_ARN,
        httpsPort: 8501,
        grpcPort: 8503,
        discoversWithAwsApi: mode === "ha",
        datacenter,
    };
}

export function meshProgram(): Record<string, unknown> {
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

    const consulReady = new ReadyGate("consul-ready");
    const consulProvider = new consul.Provider("consul", {
        address: "consul-api.internal:8501",
        scheme: "https",
        datacenter: config.consul.datacenter,
        caPem: pulumi.secret("-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"),
        token: pulumi.secret("MOCKSECRET-management-token"),
    });
    const platform: MeshPlatform = {
        clusterArn: cluster.clusterArn,
        logGroupName: cluster.logGroupName,
        logGroupArn: cluster.logGroupArn,
        region: config.region,
        privateSubnetIds: network.privateSubnetIds,
        consulEcsImage: config.consul.ecsImage,
        dataplaneImage: config.consul.dataplaneImage,
        endpoint: standInEndpoint(config.stack, config.consul.servers.mode, config.consul.datacenter),
        secretsKmsKeyArn: STAND_IN_KMS_KEY_ARN,
        startAfter: [consulReady],
        tags,
    };
    const controller = new Controller("consul-ecs-controller", { platform, consulProvider, consulReady, securityGroupId: securityGroups.ids.controller });
    // Tasks log in through the auth method the controller creates: start them after it.
    const meshPlatform: MeshPlatform = { ...platform, startAfter: [consulReady, controller] };
    const services = config.services.map((service) => new MeshService(service.name, { service, platform: meshPlatform, securityGroupId: securityGroups.ids.meshTasks }));
    const gateway = new ApiGateway("api-gateway", {
        platform: meshPlatform,
        gateway: config.gateway,
        highAvailability: config.consul.servers.mode === "ha",
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIds,
        gatewaySecurityGroupId: securityGroups.ids.gateway,
        albSecurityGroupId: securityGroups.ids.alb,
    });
    return {
        gatewayUrl: gateway.url,
        services: Object.fromEntries(services.map((s) => [s.serviceName, Object.keys(s.colours)])),
    };
}

/** Plans the mesh program for a stack file's config; `edit` may change a copy of it first. */
export async function planMesh(stack: "dev" | "prod", edit?: (config: StackValues) => void): Promise<Plan> {
    const config = stackConfig(stack);
    edit?.(config);
    return new Plan(await planStack({ stack, config, program: meshProgram }));
}

const unedited = new Map<string, Promise<Plan>>();

/** The unedited plan of a stack, planned once per test run and shared by every test file. */
export function meshPlan(stack: "dev" | "prod"): Promise<Plan> {
    let plan = unedited.get(stack);
    if (!plan) {
        plan = planMesh(stack);
        unedited.set(stack, plan);
    }
    return plan;
}
