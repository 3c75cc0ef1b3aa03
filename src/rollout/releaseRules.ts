// Pure rules of a release, as the stack's Release resource applies them during `pulumi up`:
// what the stack file desires (every service's traffic, gates and strategy), which services a
// change moves, the one strategy a release of several services follows, whether to start a
// rollout, attach to the one running for its services, or refuse, and which services it leaves
// where the platform put them.
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

/** A service of the release and the rollout it belongs to now (the claims document), when that one has a state. */
interface ServiceOwner {
    readonly service: string;
    readonly rollout?: RolloutState;
}

const describe = (split: Readonly<Record<string, Weights>>) =>
    Object.entries(split)
        .map(([service, w]) => `${service} ${formatWeights(w)}`)
        .join(", ");

const targets = (state: RolloutState) => describe(Object.fromEntries(state.spec.services.map((s) => [s.service, s.to])));

/**
 * What `pulumi up` does about a release whose spec hashes to `hash`, given the rollout each of its
 * services belongs to and how many rollouts of that hash the history holds. A release holds only
 * its own services: rollouts of other services never stop it.
 * - a service's rollout ended but its last splitter writes are not done: refuse until they are (the
 *   engine finishes them; until then its result is not what Consul runs);
 * - a service's rollout runs another change: refuse, naming it and how to follow or end it;
 * - the same release is running (a `pulumi up` was stopped and run again): attach to it;
 * - the services' last rollout is this release and it did not promote: refuse unless `retry`,
 *   because the platform rolled it back on purpose (Degraded: the stack file says one split, Consul
 *   runs the other); a new attempt needs BLUEGREEN_ROLLOUT_RETRY=1 or a changed stack file;
 * - otherwise start attempt n + 1.
 */
export function decideStart(stack: string, hash: string, owners: readonly ServiceOwner[], attemptsOfHash: number, retry: boolean): StartDecision {
    const flip = (command: string, service: string, more = "") => `\`npm run flip -- ${command} --stack ${stack} --service ${service}${more}\``;
    for (const { service, rollout } of owners) {
        if (rollout && isTerminal(rollout.phase) && !isSettled(rollout)) {
            return {
                action: "refuse",
                reason:
                    `${service} belongs to rollout ${rollout.rolloutId}, which ended ${rollout.phase}, but its last splitter writes are not acknowledged by Consul yet; ` +
                    `the engine finishes them (${flip("status", service)} shows when); run pulumi up again after`,
            };
        }
    }
    const running = owners.filter((o): o is Required<ServiceOwner> => o.rollout !== undefined && !isTerminal(o.rollout.phase));
    const other = running.filter((o) => o.rollout.specHash !== hash);
    if (other.length > 0) {
        return {
            action: "refuse",
            reason: other
                .map(
                    ({ service, rollout }) =>
                        `${service} belongs to rollout ${rollout.rolloutId} (to ${targets(rollout)}), which is ${rollout.phase}; a service is in one rollout at a time. ` +
                        `Follow it with ${flip("status", service, " --watch")}, or end it with ${flip("abort", service)} or ${flip("promote --full", service)}, then run pulumi up again`,
                )
                .join("; "),
        };
    }
    if (running.length > 0) {
        return { action: "attach", rolloutId: running[0].rollout.rolloutId };
    }
    const rolledBack = owners.find((o) => o.rollout && o.rollout.specHash === hash && o.rollout.phase !== "promoted")?.rollout;
    if (rolledBack && !retry) {
        return {
            action: "refuse",
            reason:
                `rollout ${rolledBack.rolloutId} of this change ended ${rolledBack.phase}: ${rolledBack.reason ?? "no reason recorded"}. ` +
                `The stack file says ${targets(rolledBack)}; Consul runs ${describe(rolledBack.from)} (Degraded). ` +
                `Fix the cause and run pulumi up with BLUEGREEN_ROLLOUT_RETRY=1 to try again, or put the stack file back to what runs`,
        };
    }
    return { action: "start", rolloutId: rolloutIdFor(stack, hash, attemptsOfHash + 1) };
}

/**
 * A service `pulumi up` leaves where the platform put it: its last rollout ended without reaching
 * what it asked (a gate or an alarm rolled it back, it was aborted or failed) or was an operator's
 * rollback, and the stack file still asks for another split than Consul runs. Pulumi's inputs then
 * equal the stack file, so nothing changed for Pulumi: only BLUEGREEN_ROLLOUT_RETRY=1 starts the
 * change again (or the stack file is set to what runs).
 */
export function heldBack(desired: Weights, rollout: RolloutState | undefined, live: Weights | undefined): boolean {
    return rollout !== undefined && endedShort(rollout) && live !== undefined && !sameWeights(live, desired);
}

/** Settled without reaching a release's split: rolled back, aborted, failed, or an operator's rollback. */
export function endedShort(rollout: RolloutState): boolean {
    return isSettled(rollout) && (rollout.phase !== "promoted" || rollout.kind === "rollback");
}
