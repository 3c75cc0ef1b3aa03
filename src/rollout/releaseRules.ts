// Pure rules of a release, as the stack's Release resource applies them during `pulumi up`:
// what the stack file desires (every service's traffic, gates and strategy), which services a
// change moves, the one strategy a release of several services follows, and whether to start a
// rollout, attach to the running one, or refuse.
import type { ServiceConfig } from "../config";
import { COLOURS } from "../config/types";
import { isSettled, isTerminal, ReleaseSpec, RolloutState, RolloutStrategy, rolloutIdFor, ServiceReleaseSpec, Weights } from "./contract";
import { formatWeights, sameWeights } from "../shared/weights";
import { dependencyOrder } from "./steps";
import { analysisSpec } from "../metrics/analysisSpec";

/** One service as the Release resource's inputs carry it: its desired split and how to reach it. */
export interface DesiredService extends ServiceReleaseSpec {
    readonly strategy: RolloutStrategy;
}

/** Every service's desired state, callees first. */
export function desiredServices(services: readonly ServiceConfig[]): DesiredService[] {
    const names = new Set(services.map((s) => s.name));
    const desired = services.map(
        (s): DesiredService => ({
            service: s.name,
            to: { blue: s.traffic.blue, green: s.traffic.green },
            upstreams: s.upstreams.map((u) => u.service).filter((u) => names.has(u)),
            gate: {
                required: Object.fromEntries(COLOURS.map((c) => [c, s.gate.minHealthy ?? s[c].count])) as Record<(typeof COLOURS)[number], number>,
                alarms: [...s.gate.alarms],
                failureThreshold: s.gate.failureThreshold,
                skipHealth: s.gate.skip,
                ...(s.gate.analysis ? { analysis: { ...analysisSpec(s) } } : {}),
            },
            // Only when on: a service without stickiness hashes, and reads, as before the field existed.
            ...(s.rollout.sticky ? { sticky: true } : {}),
            strategy: {
                steps: [...s.rollout.steps],
                bakeSeconds: s.rollout.bakeSeconds,
                bakeEachStep: s.rollout.bakeEachStep,
                checkIntervalSeconds: s.rollout.checkIntervalSeconds,
                readyTimeoutSeconds: s.rollout.readyTimeoutSeconds,
            },
        }),
    );
    return dependencyOrder(desired) as DesiredService[];
}

/**
 * The one strategy of a release of several services: the most careful of theirs, field by field
 * (every step any of them asks for, the longest bake, a bake after each step if any wants one, the
 * shortest check interval, the longest ready timeout).
 */
export function mergeStrategies(strategies: readonly RolloutStrategy[]): RolloutStrategy {
    return {
        steps: [...new Set(strategies.flatMap((s) => s.steps))].sort((a, b) => a - b),
        bakeSeconds: Math.max(...strategies.map((s) => s.bakeSeconds)),
        bakeEachStep: strategies.some((s) => s.bakeEachStep),
        checkIntervalSeconds: Math.min(...strategies.map((s) => s.checkIntervalSeconds)),
        readyTimeoutSeconds: Math.max(...strategies.map((s) => s.readyTimeoutSeconds ?? 300)),
    };
}

/**
 * The release a change of desired state asks for: the services whose desired split changed, or
 * undefined when none did (a gate or strategy edit alone starts nothing). On the first run
 * (`previous` undefined) nothing moves: Pulumi has just created each splitter with its desired
 * weights, or, on a stack that had them before, they carry what the last `pulumi up` wrote.
 */
export function releaseFor(stack: string, previous: readonly DesiredService[] | undefined, next: readonly DesiredService[]): ReleaseSpec | undefined {
    const was = new Map((previous ?? []).map((s) => [s.service, s.to]));
    const moving = next.filter((s) => previous !== undefined && !sameWeights(was.get(s.service), s.to));
    if (moving.length === 0) {
        return undefined;
    }
    return {
        stack,
        services: moving.map(({ service, to, upstreams, gate, sticky }) => ({ service, to, upstreams, gate, ...(sticky ? { sticky } : {}) })),
        strategy: mergeStrategies(moving.map((s) => s.strategy)),
    };
}

export type StartDecision =
    | { readonly action: "attach"; readonly rolloutId: string }
    | { readonly action: "start"; readonly rolloutId: string }
    | { readonly action: "refuse"; readonly reason: string };

const describe = (split: Readonly<Record<string, Weights>>) =>
    Object.entries(split)
        .map(([service, w]) => `${service} ${formatWeights(w)}`)
        .join(", ");

/**
 * What `pulumi up` does about a release whose spec hashes to `hash`, given the latest rollout's
 * state and how many rollouts of that hash the history holds:
 * - the latest rollout ended but its last splitter writes are not done: refuse until they are (the
 *   engine finishes them; until then its result is not what Consul runs);
 * - the same release is running (a `pulumi up` was stopped and run again): attach to it;
 * - another release is running: refuse (one rollout at a time);
 * - the latest rollout is this release and it did not promote: refuse unless `retry`, because the
 *   platform rolled it back on purpose (Degraded: the stack file says one split, Consul runs the
 *   other); a new attempt needs BLUEGREEN_ROLLOUT_RETRY=1 or a changed stack file;
 * - otherwise start attempt n + 1.
 */
export function decideStart(stack: string, hash: string, latest: RolloutState | undefined, attemptsOfHash: number, retry: boolean): StartDecision {
    if (latest && isTerminal(latest.phase) && !isSettled(latest)) {
        return {
            action: "refuse",
            reason:
                `rollout ${latest.rolloutId} ended ${latest.phase}, but its last splitter writes are not acknowledged by Consul yet; ` +
                `the engine finishes them (npm run flip -- status shows when); run pulumi up again after`,
        };
    }
    if (latest && !isTerminal(latest.phase)) {
        if (latest.specHash === hash) {
            return { action: "attach", rolloutId: latest.rolloutId };
        }
        return {
            action: "refuse",
            reason:
                `rollout ${latest.rolloutId} (to ${describe(Object.fromEntries(latest.spec.services.map((s) => [s.service, s.to])))}) is ${latest.phase}; ` +
                `one rollout runs at a time. Follow it with \`npm run flip -- status --watch\`, or end it with \`npm run flip -- abort\` or \`promote --full\`, then run pulumi up again`,
        };
    }
    if (latest && latest.specHash === hash && latest.phase !== "promoted" && !retry) {
        return {
            action: "refuse",
            reason:
                `rollout ${latest.rolloutId} of this change ended ${latest.phase}: ${latest.reason ?? "no reason recorded"}. ` +
                `The stack file says ${describe(Object.fromEntries(latest.spec.services.map((s) => [s.service, s.to])))}; Consul runs ${describe(latest.from)} (Degraded). ` +
                `Fix the cause and run pulumi up with BLUEGREEN_ROLLOUT_RETRY=1 to try again, or put the stack file back to what runs`,
        };
    }
    return { action: "start", rolloutId: rolloutIdFor(stack, hash, attemptsOfHash + 1) };
}
