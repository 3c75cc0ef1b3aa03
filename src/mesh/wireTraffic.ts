// Wires the Consul traffic side of a stack: one TrafficPolicy per service and the MeshDefaults.
// index.ts calls this once with the server cluster's provider, readiness wait and API access; the
// tests call the same function, so what they check is what the program registers.
import type * as consul from "@pulumi/consul";
import type * as pulumi from "@pulumi/pulumi";
import type { ConsulApiAccess } from "../shared/consulApi";
import { MeshDefaults } from "./meshDefaults";
import type { ServiceConfig } from "../config";
import { TrafficPolicy, trafficPolicyName } from "./trafficPolicy";

/** What the server cluster hands to everything that writes Consul config. */
export interface ConsulConnection {
    readonly provider: consul.Provider;
    readonly ready: pulumi.Resource;
    readonly api: ConsulApiAccess<pulumi.Input<string>>;
}

export interface MeshTraffic {
    readonly policies: Readonly<Record<string, TrafficPolicy>>;
    readonly meshDefaults: MeshDefaults;
}

/**
 * @param workloads each service's ECS services (by service name), so that its split guard checks
 *   after they exist; a service without an entry is guarded without that ordering.
 */
export function createMeshTraffic(
    services: readonly ServiceConfig[],
    connection: ConsulConnection,
    workloads: Readonly<Record<string, readonly pulumi.Resource[]>> = {},
): MeshTraffic {
    const policies: Record<string, TrafficPolicy> = {};
    for (const service of services) {
        policies[service.name] = new TrafficPolicy(trafficPolicyName(service.name), {
            service,
            services,
            provider: connection.provider,
            ready: connection.ready,
            api: connection.api,
            workloads: workloads[service.name],
        });
    }
    const meshDefaults = new MeshDefaults("mesh", {
        services,
        provider: connection.provider,
        ready: connection.ready,
        servicePolicies: Object.fromEntries(Object.entries(policies).map(([name, policy]) => [name, policy.last])),
    });
    return { policies, meshDefaults };
}
