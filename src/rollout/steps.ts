// Pure planning of a release: the order its services move in, the steps between the live split and
// the desired one, and the hash that names it. No I/O: the engine and the Release resource share it.
import { createHash } from "crypto";
import { sameWeights, type Weights } from "../shared/weights";
import type { ReleaseSpec, RolloutStep, ServiceReleaseSpec } from "./contract";

/**
 * The services in dependency order, callees before callers (the order a promotion writes them in;
 * a rollback writes the reverse). Ties keep the given order, so the result is deterministic.
 * Throws on a cycle among the released services, which no order could satisfy.
 */
export function dependencyOrder(services: readonly ServiceReleaseSpec[]): ServiceReleaseSpec[] {
    const byName = new Map(services.map((s) => [s.service, s]));
    const ordered: ServiceReleaseSpec[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (service: ServiceReleaseSpec, path: readonly string[]) => {
        const seen = state.get(service.service);
        if (seen === "done") {
            return;
        }
        if (seen === "visiting") {
            throw new Error(`the released services call each other in a cycle (${[...path, service.service].join(" -> ")}); no dependency order exists`);
        }
        state.set(service.service, "visiting");
        for (const upstream of service.upstreams) {
            const callee = byName.get(upstream);
            if (callee) {
                visit(callee, [...path, service.service]);
            }
        }
        state.set(service.service, "done");
        ordered.push(service);
    };
    for (const service of services) {
        visit(service, []);
    }
    return ordered;
}

/** Weights at `percent` of the way from `from` to `to`, at most 2 decimals, summing to exactly 100. */
export function weightsAt(from: Weights, to: Weights, percent: number): Weights {
    const blue = Math.round((from.blue + ((to.blue - from.blue) * percent) / 100) * 100) / 100;
    return { blue, green: Math.round((100 - blue) * 100) / 100 };
}

/**
 * The steps from the live split `from` to the spec's desired splits: one per strategy percent (100
 * appended when missing), a step that would change no service's weights dropped. A release whose
 * services are all at their desired split already has no steps.
 */
export function rolloutSteps(spec: ReleaseSpec, from: Readonly<Record<string, Weights>>): RolloutStep[] {
    const percents = [...spec.strategy.steps.filter((p) => p < 100), 100];
    const steps: RolloutStep[] = [];
    let previous: Readonly<Record<string, Weights>> = from;
    for (const percent of percents) {
        const weights: Record<string, Weights> = {};
        for (const service of spec.services) {
            weights[service.service] = weightsAt(from[service.service], service.to, percent);
        }
        if (spec.services.every((s) => sameWeights(weights[s.service], previous[s.service]))) {
            continue;
        }
        steps.push({ percent, weights, bakeSeconds: 0 });
        previous = weights;
    }
    const { bakeSeconds, bakeEachStep } = spec.strategy;
    return steps.map((step, i) => ({ ...step, bakeSeconds: bakeEachStep || i === steps.length - 1 ? bakeSeconds : 0 }));
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map(canonicalJson).join(",")}]`;
    }
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

/** sha256 (hex) of the canonical spec. */
export function specHash(spec: ReleaseSpec): string {
    return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}

/** The split every service must have at `stepIndex` (-1: the starting split). */
export function splitAt(steps: readonly RolloutStep[], from: Readonly<Record<string, Weights>>, stepIndex: number): Readonly<Record<string, Weights>> {
    return stepIndex < 0 ? from : steps[stepIndex].weights;
}
