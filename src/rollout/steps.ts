// Pure planning of a release: the order its services move in, the steps between the live split and
// the desired one, and the hash that names it. No I/O: the engine and the Release resource share it.
import { createHash } from "crypto";
import { sameWeights, type Weights } from "../shared/weights";
import type { ReleaseSpec, RolloutStep, ServiceReleaseSpec } from "./contract";

/**
 * The services in dependency order, callees before callers (the order a promotion writes them in;
 * a rollback writes the reverse). Services that call each other, directly or round a longer cycle,
 * form one group (a strongly connected component): no order puts each before the other, so the group
 * moves as one, its members in the given order; the groups themselves go callees first. Ties keep
 * the given order, so the result is deterministic. (Tarjan's algorithm: a component is complete
 * when its root's search ends, after every component it calls.)
 */
export function dependencyOrder(services: readonly ServiceReleaseSpec[]): ServiceReleaseSpec[] {
    return dependencyGroups(services).flat();
}

/** The groups of `dependencyOrder`: each a set of services that call each other, callees' groups first. */
export function dependencyGroups(services: readonly ServiceReleaseSpec[]): ServiceReleaseSpec[][] {
    const position = new Map(services.map((s, i) => [s.service, i]));
    const index = new Map<string, number>();
    const lowLink = new Map<string, number>();
    const stack: ServiceReleaseSpec[] = [];
    const onStack = new Set<string>();
    const groups: ServiceReleaseSpec[][] = [];
    const visit = (service: ServiceReleaseSpec) => {
        index.set(service.service, index.size);
        lowLink.set(service.service, index.get(service.service) as number);
        stack.push(service);
        onStack.add(service.service);
        for (const upstream of service.upstreams) {
            const at = position.get(upstream);
            if (at === undefined) {
                continue;
            }
            const callee = services[at];
            if (!index.has(upstream)) {
                visit(callee);
                lowLink.set(service.service, Math.min(lowLink.get(service.service) as number, lowLink.get(upstream) as number));
            } else if (onStack.has(upstream)) {
                lowLink.set(service.service, Math.min(lowLink.get(service.service) as number, index.get(upstream) as number));
            }
        }
        if (lowLink.get(service.service) === index.get(service.service)) {
            const group: ServiceReleaseSpec[] = [];
            let member: ServiceReleaseSpec | undefined;
            do {
                member = stack.pop() as ServiceReleaseSpec;
                onStack.delete(member.service);
                group.push(member);
            } while (member !== service);
            groups.push(group.sort((a, b) => (position.get(a.service) as number) - (position.get(b.service) as number)));
        }
    };
    for (const service of services) {
        if (!index.has(service.service)) {
            visit(service);
        }
    }
    return groups;
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
