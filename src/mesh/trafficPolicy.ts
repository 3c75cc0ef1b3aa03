import * as consul from "@pulumi/consul";
import * as pulumi from "@pulumi/pulumi";
import { serviceDefaults, serviceIntentions, serviceResolver, serviceRouter, serviceSplitter, stickyDefaults, stickySplitter } from "./render/configEntries";
import { COLOURS } from "../config";
import type { ConsulApiAccess } from "../shared/consulApi";
import { healthRequest } from "./colourHealth";
import { SplitGuard } from "./splitGuard";
import type { ServiceConfig } from "../config";

export interface TrafficPolicyArgs {
    /** The service whose traffic this policy controls. */
    readonly service: ServiceConfig;
    /** Every service of the stack: the intentions allow exactly the ones that call this service. */
    readonly services: readonly ServiceConfig[];
    /** The stack's Consul provider (the servers' HTTPS API with the management token). */
    readonly provider: consul.Provider;
    /** The servers' readiness wait: no config entry is written before Consul answers. */
    readonly ready: pulumi.Resource;
    /** How the split guard reaches Consul's API (same endpoint and token as the provider). */
    readonly api: ConsulApiAccess<pulumi.Input<string>>;
    /** The service's ECS services: the split guard looks at their tasks, so it runs after them. */
    readonly workloads?: readonly pulumi.Resource[];
    /** How long the split guard waits for a weighted colour to become healthy. Default 300 s. */
    readonly guardTimeoutSeconds?: number;
    /** Time between two health checks while the split guard waits. Default 5 s. */
    readonly guardIntervalSeconds?: number;
}

/** The component name the program gives a service's TrafficPolicy. */
export function trafficPolicyName(service: string): string {
    return `traffic-${service}`;
}

/**
 * A service's Consul traffic configuration: service-defaults (with the outlier ejection and
 * connection limits of the services it calls), a static resolver with a blue and a green subset and
 * the service's timeouts, the split guard, the splitter that carries the weights, with
 * `rollout.sticky` each colour's sticky virtual service and its splitter, the router (header routes
 * that reach one colour directly, the sticky cookie routes, the per-route timeouts and retries), and
 * the intentions. Created in that order and deleted in reverse (Consul re-validates the routing
 * graph on every write and delete). The split guard guards the splitter's creation only: after it,
 * the rollout engine writes the weights (and runs the health gate before each step), and a change
 * of `traffic` changes none of these resources.
 */
export class TrafficPolicy extends pulumi.ComponentResource {
    public readonly splitter: consul.ConfigEntryServiceSplitter;
    public readonly guard: SplitGuard;
    /** The last entry of the chain: depend on it to come after the whole policy. */
    public readonly last: pulumi.Resource;

    constructor(name: string, args: TrafficPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("bluegreen:mesh:TrafficPolicy", name, {}, opts);
        const service = args.service;
        if (!args.services.some((s) => s.name === service.name)) {
            throw new Error(`TrafficPolicy ${name}: services does not contain ${service.name}; pass every service of the stack so intentions can be derived`);
        }
        const timeoutSeconds = args.guardTimeoutSeconds ?? 300;
        const intervalSeconds = args.guardIntervalSeconds ?? 5;
        if (!(timeoutSeconds > 0) || !(intervalSeconds > 0) || intervalSeconds > timeoutSeconds) {
            throw new Error(`TrafficPolicy ${name}: guardTimeoutSeconds (${timeoutSeconds}) and guardIntervalSeconds (${intervalSeconds}) must be positive, the interval no longer than the timeout`);
        }
        const entry = (dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: args.provider,
            dependsOn: [args.ready, ...dependsOn],
        });

        const defaults = new consul.ConfigEntry(`${name}-defaults`, serviceDefaults(service, args.services), entry([]));
        const resolver = new consul.ConfigEntryServiceResolver(`${name}-resolver`, serviceResolver(service), entry([defaults]));

        if (service.gate.skip) {
            pulumi.log.warn(
                `HEALTH GATE SKIPPED for ${service.name}: bluegreen:services.${service.name}.gate.skip is true, so its traffic ` +
                    `split is written without checking that the weighted colours have passing instances. Emergencies only; remove it afterwards.`,
                this,
            );
        }
        const request = healthRequest(service);
        this.guard = new SplitGuard(
            `${name}-gate`,
            {
                service: request.service,
                weights: request.weights,
                required: request.required,
                skip: service.gate.skip,
                timeoutSeconds,
                intervalSeconds,
                consul: {
                    address: args.api.address,
                    caCertPem: args.api.caCertPem,
                    token: args.api.token,
                    tlsServerName: args.api.tlsServerName,
                },
            },
            { parent: this, dependsOn: [resolver, ...(args.workloads ?? [])], ignoreChanges: ["weights", "required"] },
        );
        // Written by Pulumi once, with the stack file's weights; from then on the rollout engine is the
        // splitter's one writer (the stack's Release resource carries the desired weights to it), so
        // a change of `traffic` never updates the splitter, nor the guard of its creation.
        this.splitter = new consul.ConfigEntryServiceSplitter(`${name}-splitter`, serviceSplitter(service), {
            ...entry([resolver, this.guard]),
            ignoreChanges: ["splits"],
        });
        // Like the splitter, written once by Pulumi and from then on by the rollout engine alone,
        // which pins them during a rollout only.
        const sticky = service.rollout.sticky
            ? COLOURS.map((colour) => {
                  const virtual = new consul.ConfigEntry(`${name}-sticky-${colour}-defaults`, stickyDefaults(service, colour), entry([resolver]));
                  return new consul.ConfigEntryServiceSplitter(`${name}-sticky-${colour}-splitter`, stickySplitter(service, colour), {
                      ...entry([virtual, this.splitter]),
                      ignoreChanges: ["splits"],
                  });
              })
            : [];
        const router = new consul.ConfigEntryServiceRouter(`${name}-router`, serviceRouter(service), entry([this.splitter, ...sticky]));
        const intentionsBody = serviceIntentions(service, args.services);
        this.last = intentionsBody ? new consul.ConfigEntryServiceIntentions(`${name}-intentions`, intentionsBody, entry([router])) : router;

        this.registerOutputs({ splitter: this.splitter.id, guard: this.guard.id });
    }
}
