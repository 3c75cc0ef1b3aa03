// The tick: what the Lambda does on each invocation, with its I/O injected (tests pass a loopback
// Consul and a virtual clock; src/rollout/lambda.ts passes the real ones). Thin on purpose: read the
// state (with its ModifyIndex) and the pending command, observe, decide (decide.ts), write the new
// state with check-and-set, then carry out the splitter writes. Writing the state first means two
// ticks that race (the Step Functions loop and an alarm event) cannot both act: the loser's CAS
// fails, and it decides again from the winner's state.
import {
    ControlCommand,
    historyKeySuffix,
    isTerminal,
    ReleaseSpec,
    ROLLOUT_COMMAND_KEY,
    ROLLOUT_HISTORY_PREFIX,
    ROLLOUT_STATE_KEY,
    RolloutPhase,
    RolloutState,
    ServiceReleaseSpec,
    Weights,
} from "./contract";
import { mapLimit } from "../shared/concurrency";
import { formatWeights } from "../shared/weights";
import { CONSUL_MAX_SOCKETS } from "../consul/httpClient";
import type { AlarmStates } from "./alarms";
import type { RolloutConsulApi } from "./consulApi";
import { decide, Decision, Observations, startRollout, TickTrigger, writesToMatch } from "./decide";
import { AnalysisVerdict, gatedAlarms, PassingObservation } from "./gates";

/** The Step Functions loop's invocation; the state machine passes its execution input and name. */
interface TickEvent {
    readonly kind: "tick";
    readonly rolloutId: string;
    readonly specHash: string;
    readonly spec: ReleaseSpec;
    readonly requestedBy: string;
}

/** The state machine's Catch: `error` is what Step Functions caught ({ Error, Cause }). */
interface EngineErrorEvent {
    readonly kind: "engine-error";
    readonly rolloutId: string;
    readonly error: { readonly Error?: string; readonly Cause?: string };
}

/** EventBridge's "CloudWatch Alarm State Change" event, the fields the engine reads. */
interface AlarmStateChangeEvent {
    readonly source: "aws.cloudwatch";
    readonly "detail-type": "CloudWatch Alarm State Change";
    readonly detail: { readonly alarmName: string; readonly state: { readonly value: string } };
}

export type EngineEvent = TickEvent | EngineErrorEvent | AlarmStateChangeEvent;

/** What the state machine's Choice and Wait read. */
export interface TickResult {
    readonly rolloutId: string;
    readonly done: boolean;
    readonly phase: RolloutPhase;
    readonly waitSeconds: number;
    readonly reason?: string;
}

/**
 * Judges the services with `gate.analysis` (issue 12's metric comparison of green with blue) for
 * the split the rollout is judged at; absent, such a gate never passes ("no analysis verdict").
 */
type Analyse = (state: RolloutState, services: readonly ServiceReleaseSpec[]) => Promise<Record<string, AnalysisVerdict>>;

export interface EngineDeps {
    readonly consul: RolloutConsulApi;
    readonly alarms: AlarmStates;
    readonly analyse?: Analyse;
    readonly now: () => Date;
    readonly log?: (message: string) => void;
}

const CAS_ATTEMPTS = 5;

/** Services observed at a time: as many as the Consul client keeps connections (CONSUL_MAX_SOCKETS). */
export const OBSERVE_CONCURRENCY = CONSUL_MAX_SOCKETS;

export async function handleEvent(event: EngineEvent, deps: EngineDeps): Promise<TickResult> {
    if ("source" in event) {
        const trigger: TickTrigger = { kind: "alarm", alarm: event.detail.alarmName, state: event.detail.state.value };
        return runTick(undefined, trigger, deps);
    }
    if (event.kind === "engine-error") {
        const error = `${event.error.Error ?? "Error"}: ${event.error.Cause ?? "no cause given"}`;
        return runTick(event.rolloutId, { kind: "engine-error", error }, deps);
    }
    return runTick(event, { kind: "tick" }, deps);
}

/**
 * @param owner the rollout this invocation belongs to: a TickEvent (which may create its state), a
 *   rollout id (the Catch, which only ever acts on that rollout), or undefined (an alarm event,
 *   which acts on whatever rollout is running).
 */
async function runTick(owner: TickEvent | string | undefined, trigger: TickTrigger, deps: EngineDeps): Promise<TickResult> {
    const ownerId = typeof owner === "string" ? owner : owner?.rolloutId;
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const current = await deps.consul.getJson<RolloutState>(ROLLOUT_STATE_KEY);
        let state = current?.value;
        const index = current?.modifyIndex ?? 0;
        if (ownerId !== undefined && state?.rolloutId !== ownerId) {
            if (typeof owner !== "object" || (state && !isTerminal(state.phase))) {
                const reason = state ? `rollout ${state.rolloutId} is ${state.phase}; ${ownerId} did not start` : `rollout ${ownerId} has no state in Consul`;
                deps.log?.(reason);
                return { rolloutId: ownerId, done: true, phase: "failed", waitSeconds: 0, reason };
            }
            state = startRollout(owner.spec, owner.rolloutId, owner.specHash, owner.requestedBy, deps.now());
        }
        if (state === undefined || (trigger.kind === "alarm" && isTerminal(state.phase))) {
            return { rolloutId: state?.rolloutId ?? "", done: true, phase: state?.phase ?? "promoted", waitSeconds: 0, reason: "no rollout running" };
        }
        const command = (await deps.consul.getJson<ControlCommand>(ROLLOUT_COMMAND_KEY))?.value;
        const decision = decide(state, trigger, await observe(state, deps), command, deps.now());
        if (!(await deps.consul.casJson(ROLLOUT_STATE_KEY, decision.state, index))) {
            deps.log?.(`state changed under tick (attempt ${attempt}); deciding again`);
            continue;
        }
        await carryOut(decision, deps);
        return { rolloutId: decision.state.rolloutId, done: decision.done, phase: decision.state.phase, waitSeconds: decision.waitSeconds, reason: decision.state.reason ?? "" };
    }
    throw new Error(`the rollout state kept changing during ${CAS_ATTEMPTS} attempts to write it`);
}

async function observe(state: RolloutState, deps: EngineDeps): Promise<Observations> {
    const services = state.spec.services;
    // AWS's answers come from elsewhere: asked while Consul is.
    const alarmsAndAnalyses = observeAws(state, deps);
    // Services in parallel, OBSERVE_CONCURRENCY at a time: one after another, a tick of a few hundred
    // services would spend the function's timeout waiting on round trips (docs/performance.md).
    const seen = await mapLimit(services, OBSERVE_CONCURRENCY, (svc) =>
        Promise.all([
            deps.consul.getSplit(svc.service),
            svc.gate.skipHealth
                ? undefined
                : Promise.all([deps.consul.passingInstances(svc.service, "blue"), deps.consul.passingInstances(svc.service, "green")]).then(
                      ([blue, green]): PassingObservation => ({ blue, green }),
                      (err: unknown): PassingObservation => ({ error: (err as Error).message }),
                  ),
        ]),
    );
    const live: Record<string, Weights | undefined> = {};
    const passing: Record<string, PassingObservation> = {};
    services.forEach((svc, i) => {
        live[svc.service] = seen[i][0];
        if (seen[i][1] !== undefined) {
            passing[svc.service] = seen[i][1];
        }
    });
    return { live, passing, ...(await alarmsAndAnalyses) };
}

/** The alarms' states and the analyses' verdicts (AWS calls), each error a failed check of its gates. */
async function observeAws(state: RolloutState, deps: EngineDeps): Promise<Pick<Observations, "alarms" | "analyses">> {
    const names = gatedAlarms(state.spec);
    const analysed = state.spec.services.filter((svc) => svc.gate.analysis !== undefined);
    const [alarms, analyses] = await Promise.all([
        names.length === 0
            ? {}
            : deps.alarms(names).catch((err: unknown) => Object.fromEntries(names.map((name) => [name, { error: (err as Error).message }]))),
        analysed.length === 0
            ? undefined
            : (deps.analyse ? deps.analyse(state, analysed) : Promise.resolve({})).catch(
                  (err: unknown): Record<string, AnalysisVerdict | { error: string }> => Object.fromEntries(analysed.map((svc) => [svc.service, { error: (err as Error).message }])),
              ),
    ]);
    return analyses === undefined ? { alarms } : { alarms, analyses };
}

async function carryOut(decision: Decision, deps: EngineDeps): Promise<void> {
    for (const write of decision.writes) {
        await deps.consul.putSplit(write.service, write.weights);
        deps.log?.(`${write.service}: split written, ${formatWeights(write.weights)}`);
    }
    if (decision.history) {
        const key = `${ROLLOUT_HISTORY_PREFIX}${historyKeySuffix(decision.history.startedAt, decision.history.rolloutId)}`;
        await deps.consul.casJson(key, decision.history, 0);
    }
    // Another tick may have written a newer state while this one wrote splits: make the live
    // splits match the newest state, so that a late write of this tick never outlives it.
    const latest = await deps.consul.getJson<RolloutState>(ROLLOUT_STATE_KEY);
    if (latest && latest.value.updatedAt !== decision.state.updatedAt) {
        const live = Object.fromEntries(await Promise.all(latest.value.spec.services.map(async (s) => [s.service, await deps.consul.getSplit(s.service)] as const)));
        for (const write of writesToMatch(latest.value, live)) {
            await deps.consul.putSplit(write.service, write.weights);
        }
    }
    if (latest && latest.value.phase === "failed" && latest.value.restored === false && latest.value.rolloutId === decision.state.rolloutId) {
        await deps.consul.casJson(ROLLOUT_STATE_KEY, { ...latest.value, restored: true }, latest.modifyIndex);
    }
}
