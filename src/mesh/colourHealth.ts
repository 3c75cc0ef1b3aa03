// The health rule: before a colour receives weight, Consul must report enough passing instances of
// it. One judgement with two users, so they always agree: the split guard (src/mesh/splitGuard.ts),
// before Pulumi first writes a service's splitter during `pulumi up`, and the rollout engine's
// health gate (src/rollout/gates.ts), before every step and while baking. The engine reads the
// counts itself (src/rollout/consulApi.ts) and uses `judge` only; the guard also waits here.
import type { ConsulHttpClient } from "../consul/httpClient";
import { COLOURS, Colour, ServiceConfig } from "../config/types";

/** What to check: the weights a splitter is about to get, and what each weighted colour needs. */
export interface TrafficHealthRequest {
    readonly service: string;
    readonly weights: Readonly<Record<Colour, number>>;
    /** Passing instances needed, for each colour whose weight is above 0 (and only those). */
    readonly required: Readonly<Partial<Record<Colour, number>>>;
}

export interface ColourHealth {
    readonly colour: Colour;
    readonly weight: number;
    readonly required: number;
    readonly passing: number;
}

export interface TrafficHealthResult {
    readonly ok: boolean;
    readonly service: string;
    /** The colours that receive weight, in COLOURS order. */
    readonly colours: readonly ColourHealth[];
    /** One line: what passed, or which colour fell short and by how much. */
    readonly message: string;
}

/**
 * The check for `weights` on `service`: every colour that would receive weight needs its configured
 * count of passing instances, or `gate.minHealthy` when that is set. A colour at weight 0 needs none.
 */
export function healthRequest(service: ServiceConfig, weights: Readonly<Record<Colour, number>> = service.traffic): TrafficHealthRequest {
    const required: Partial<Record<Colour, number>> = {};
    for (const colour of COLOURS) {
        if (weights[colour] > 0) {
            required[colour] = service.gate.minHealthy ?? service[colour].count;
        }
    }
    return { service: service.name, weights: { ...weights }, required };
}

/** Asks Consul once for the passing instances of every weighted colour and judges them. */
export async function checkTrafficHealth(client: Pick<ConsulHttpClient, "passingInstances">, request: TrafficHealthRequest): Promise<TrafficHealthResult> {
    const colours: ColourHealth[] = [];
    for (const colour of COLOURS) {
        const required = request.required[colour];
        if (required === undefined) {
            continue;
        }
        const passing = await client.passingInstances(request.service, colour);
        colours.push({ colour, weight: request.weights[colour], required, passing });
    }
    return judge(request.service, colours);
}

/** Pure: the verdict and its one-line message for counts already read. */
export function judge(service: string, colours: readonly ColourHealth[]): TrafficHealthResult {
    const short = colours.filter((c) => c.passing < c.required);
    const describe = (c: ColourHealth) => `${service}/${c.colour} has ${c.passing} passing instance${c.passing === 1 ? "" : "s"} of ${c.required} required (weight ${c.weight}%)`;
    if (short.length > 0) {
        return { ok: false, service, colours, message: `health gate failed: ${short.map(describe).join("; ")}` };
    }
    return { ok: true, service, colours, message: `health gate passed: ${colours.map(describe).join("; ")}` };
}

/**
 * A thrown value as an Error, keeping its message. Not `instanceof` alone: in the SplitGuard's
 * provider, which Pulumi serializes, ConsulHttpError is no longer an `instanceof Error`, and
 * `String(err)` would report "[object Object]" instead of what went wrong.
 */
function asError(err: unknown): Error {
    if (err instanceof Error) {
        return err;
    }
    const message = (err as { message?: unknown } | null | undefined)?.message;
    return new Error(typeof message === "string" ? message : String(err));
}

export interface WaitOptions {
    /** Give up after this long. */
    readonly timeoutMs: number;
    /** Time between two checks. */
    readonly intervalMs: number;
    /** Called after each check that did not pass (for progress output). */
    readonly onAttempt?: (result: TrafficHealthResult | Error) => void;
}

/**
 * Checks until the gate passes or `timeoutMs` has gone by, then returns the last verdict. Consul
 * being unreachable counts as not passing, and the last such error is reported if it never answers.
 * Waiting lets a `pulumi up` that starts a colour's tasks and gives it weight in one go succeed once
 * the tasks are healthy, instead of failing while they start.
 */
export async function waitForTrafficHealth(
    client: Pick<ConsulHttpClient, "passingInstances">,
    request: TrafficHealthRequest,
    options: WaitOptions,
): Promise<TrafficHealthResult> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
        let outcome: TrafficHealthResult | Error;
        try {
            outcome = await checkTrafficHealth(client, request);
        } catch (err) {
            outcome = asError(err);
        }
        if (!(outcome instanceof Error) && outcome.ok) {
            return outcome;
        }
        options.onAttempt?.(outcome);
        if (Date.now() + options.intervalMs > deadline) {
            if (outcome instanceof Error) {
                return { ok: false, service: request.service, colours: [], message: `health gate failed: could not ask Consul about ${request.service}: ${outcome.message}` };
            }
            return outcome;
        }
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
}
