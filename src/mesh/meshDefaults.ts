import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { apiGateway, GenericConfigEntry, httpRoute, proxyDefaults } from "./render/configEntries";
import type { ServiceConfig } from "../config";

export interface MeshDefaultsArgs {
    /** Every service of the stack; those with a `route` get an http-route on the API gateway. */
    readonly services: readonly ServiceConfig[];
    /** The stack's Consul provider. */
    readonly provider: consul.Provider;
    /** The servers' readiness wait: no config entry is written before Consul answers. */
    readonly ready: pulumi.Resource;
    /**
     * Each routed service's TrafficPolicy, by service name: its http-route is written after the
     * service's defaults (Consul binds a route only to an HTTP service) and intentions (so the gateway
     * may call it), and deleted before them.
     */
    readonly servicePolicies: Readonly<Record<string, pulumi.Resource>>;
}

/**
 * The mesh-wide config entries: proxy-defaults `global` (HTTP, Envoy access logs), the API gateway
 * with its one listener, and one http-route per routed service.
 *
 * One route per service rather than one route with a rule per service: adding, moving or removing
 * one service's route writes only that service's entry, each route can be ordered after its own
 * service's policy, and Consul binds (or refuses) each route to the listener on its own, so one bad
 * route never takes the others down.
 */
export class MeshDefaults extends pulumi.ComponentResource {
    public readonly apiGateway: consul.ConfigEntry;
    public readonly routes: Readonly<Record<string, consul.ConfigEntry>>;

    constructor(name: string, args: MeshDefaultsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:mesh:MeshDefaults", name, {}, opts);
        const routed = args.services.filter((s) => s.route !== undefined);
        const missing = routed.filter((s) => args.servicePolicies[s.name] === undefined).map((s) => s.name);
        if (missing.length > 0) {
            throw new Error(`MeshDefaults ${name}: servicePolicies lacks the TrafficPolicy of routed service(s) ${missing.join(", ")}; pass each routed service's policy`);
        }
        const entry = (resourceName: string, body: GenericConfigEntry, dependsOn: pulumi.Resource[]) =>
            new consul.ConfigEntry(resourceName, body, { parent: this, provider: args.provider, dependsOn: [args.ready, ...dependsOn] });

        entry(`${name}-proxy-defaults`, proxyDefaults(), []);
        this.apiGateway = entry(`${name}-api-gateway`, apiGateway(), []);
        this.routes = Object.fromEntries(
            routed.map((service) => [service.name, entry(`${name}-route-${service.name}`, httpRoute(service), [this.apiGateway, args.servicePolicies[service.name]])]),
        );
        this.registerOutputs({ apiGateway: this.apiGateway.id });
    }
}
