// The split guard, a dynamic resource: it applies the health rule (colourHealth.ts, the one the
// engine's health gate applies too) when it is created or updated, that is during `pulumi up` and never during preview, and fails the update
// when a colour that is about to receive weight lacks passing instances. A service's splitter
// dependsOn its guard, so the splitter is written only after the guard passed.
import * as pulumi from "@pulumi/pulumi";
import { ConsulHttpClient, ConsulHttpOptions, consulHttpClient } from "../consul/httpClient";
import { TrafficHealthRequest, waitForTrafficHealth } from "./colourHealth";
import type { Colour } from "../config";
import type { ConsulApiAccess } from "../shared/consulApi";

/** The gate's inputs, resolved. Only these fields decide whether the gate runs again. */
export interface SplitGuardInputs extends TrafficHealthRequest {
    /** `gate.skip`: the check is not made (the program warns loudly when this is set). */
    readonly skip: boolean;
    /** How long the gate waits for the weighted colours to become healthy before failing. */
    readonly timeoutSeconds: number;
    readonly intervalSeconds: number;
    readonly consul: ConsulApiAccess;
}

/** What the gate records in state: its inputs and decision, never the token or the CA. */
export interface SplitGuardOutputs extends Omit<SplitGuardInputs, "consul"> {
    /** Passing instances seen per weighted colour when the gate passed; empty when skipped. */
    readonly passing: Readonly<Partial<Record<Colour, number>>>;
    readonly verdict: string;
}

export type ClientFactory = (options: ConsulHttpOptions) => Pick<ConsulHttpClient, "passingInstances">;

/** The gate's decision, with the Consul client injected (tests pass a loopback one). */
export async function runSplitGuard(inputs: SplitGuardInputs, makeClient: ClientFactory): Promise<SplitGuardOutputs> {
    const decided = {
        service: inputs.service,
        weights: inputs.weights,
        required: inputs.required,
        skip: inputs.skip,
        timeoutSeconds: inputs.timeoutSeconds,
        intervalSeconds: inputs.intervalSeconds,
    };
    if (inputs.skip) {
        return { ...decided, passing: {}, verdict: `SKIPPED: gate.skip is true for ${inputs.service}; weights applied without a health check` };
    }
    const client = makeClient(inputs.consul);
    const result = await waitForTrafficHealth(client, inputs, { timeoutMs: inputs.timeoutSeconds * 1000, intervalMs: inputs.intervalSeconds * 1000 });
    if (!result.ok) {
        throw new Error(
            `${result.message} (waited ${inputs.timeoutSeconds}s). The splitter of ${inputs.service} was not changed. ` +
                `Wait for the colour's tasks to pass their checks, lower bluegreen:services.${inputs.service}.gate.minHealthy, ` +
                `or in an emergency set gate.skip: true.`,
        );
    }
    return { ...decided, passing: Object.fromEntries(result.colours.map((c) => [c.colour, c.passing])), verdict: result.message };
}

/** The fields whose change means the splitter is about to be written with different weights or needs. */
export function guardFingerprint(props: Partial<SplitGuardInputs | SplitGuardOutputs>): string {
    return JSON.stringify([props.service, props.weights, props.required, props.skip]);
}

export const splitGuardProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: pulumi.ID, olds: SplitGuardOutputs, news: SplitGuardInputs): Promise<pulumi.dynamic.DiffResult> {
        return { changes: guardFingerprint(olds) !== guardFingerprint(news) };
    },
    async create(inputs: SplitGuardInputs): Promise<pulumi.dynamic.CreateResult> {
        return { id: `${inputs.service}-health-gate`, outs: await runSplitGuard(inputs, consulHttpClient) };
    },
    async update(_id: pulumi.ID, _olds: SplitGuardOutputs, news: SplitGuardInputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: await runSplitGuard(news, consulHttpClient) };
    },
};

export interface SplitGuardArgs extends Omit<SplitGuardInputs, "consul"> {
    readonly consul: pulumi.Input<ConsulApiAccess<pulumi.Input<string>>>;
}

/** Type token: `pulumi-nodejs:dynamic/bluegreen:HealthGate`, its name before it was the split guard: renaming the token would replace the resource in every deployed stack. */
export class SplitGuard extends pulumi.dynamic.Resource {
    public readonly verdict!: pulumi.Output<string>;

    constructor(name: string, args: SplitGuardArgs, opts?: pulumi.CustomResourceOptions) {
        super(splitGuardProvider, name, { ...args, passing: undefined, verdict: undefined }, opts, "bluegreen", "HealthGate");
    }
}
