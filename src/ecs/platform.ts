// What every consul-ecs workload (mesh services, the API gateway, the controller) takes from the
// rest of the stack, and the one place those inputs are resolved into the plain facts the pure
// task builders read.
import * as pulumi from "@pulumi/pulumi";
import type { ConsulServerEndpoint } from "../consul/access";
import type { TaskPlatform } from "./render/containers";

export interface MeshPlatform {
    /** The stack's ECS cluster. */
    readonly clusterArn: pulumi.Input<string>;
    /** The stack's log group (awslogs) and its ARN (execution roles may write only there). */
    readonly logGroupName: pulumi.Input<string>;
    readonly logGroupArn: pulumi.Input<string>;
    readonly region: string;
    /** Private subnets the tasks run in; no task gets a public IP. */
    readonly privateSubnetIds: pulumi.Input<string[]>;
    /** consul-ecs image (mesh-init, health-sync, controller). */
    readonly consulEcsImage: string;
    /** consul-dataplane image. */
    readonly dataplaneImage: string;
    /** How tasks reach the servers (from the server cluster). */
    readonly endpoint: ConsulServerEndpoint;
    /** Customer-managed KMS key of the stack's secrets: execution roles may decrypt with it. Default: none. */
    readonly secretsKmsKeyArn?: pulumi.Input<string>;
    /** Resources every ECS service is created after (the servers' readiness wait, the controller). Default: none. */
    readonly startAfter?: readonly pulumi.Resource[];
    /** Tags for every resource that takes them. Default: none. */
    readonly tags?: Readonly<Record<string, string>>;
}

/** The platform with its outputs resolved, for the pure task builders. */
export function resolvePlatform(platform: MeshPlatform): pulumi.Output<TaskPlatform> {
    const endpoint = platform.endpoint;
    return pulumi
        .all([pulumi.output(endpoint.hosts), pulumi.output(endpoint.caCertSecretArn), pulumi.output(platform.logGroupName)])
        .apply(([hosts, caCertSecretArn, logGroupName]) => ({
            stack: pulumi.getStack(),
            region: platform.region,
            logGroupName,
            consulEcsImage: platform.consulEcsImage,
            dataplaneImage: platform.dataplaneImage,
            caCertSecretArn,
            servers: { hosts, tlsServerName: endpoint.tlsServerName, httpsPort: endpoint.httpsPort, grpcPort: endpoint.grpcPort },
        }));
}

/** Checks a platform's plain settings once, before any resource exists; `owner` names the component. */
export function validatePlatform(owner: string, platform: MeshPlatform): void {
    const endpoint = platform.endpoint;
    for (const [port, key] of [
        [endpoint.httpsPort, "httpsPort"],
        [endpoint.grpcPort, "grpcPort"],
    ] as const) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
            throw new Error(`${owner}: endpoint.${key} ${port} is not a port; the server cluster must hand over 8501/8503 or the ports it listens on`);
        }
    }
    if (!/^[a-z0-9.-]+$/.test(endpoint.tlsServerName)) {
        throw new Error(`${owner}: endpoint.tlsServerName ${JSON.stringify(endpoint.tlsServerName)} is not a DNS name; expected server.<datacenter>.consul`);
    }
}
