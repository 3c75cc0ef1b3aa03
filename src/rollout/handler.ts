// The tick: what the Lambda does on each invocation, with its I/O injected (tests pass a loopback
// Consul and a virtual clock; src/rollout/lambda.ts passes the real ones). Thin on purpose: read the
// state (with its ModifyIndex) and the pending command, observe, decide (decide.ts), write the new
// state with check-and-set carrying the splitter writes it decided as `pendingWrites`, then make
// those writes and clear them with check-and-set. The rules it keeps (docs/rollouts.md, "What the
// engine guarantees"):
// - A state claims only splits Consul acknowledged: its writes are recorded as pending before they
//   are made, and whoever reads a state with pending writes (a tick, an alarm event, the Catch, the
//   watchdog) finishes them before anything else. Each splitter write is a check-and-set on the
//   entry's ModifyIndex read after the state was confirmed current, so a slower invocation's late
//   write never lands over a newer one.
// - Which write is newer is Consul's ModifyIndex, never a clock: two invocations that race (the
//   Step Functions loop and an alarm event) cannot both act; the loser's CAS fails, and it decides
//   again from the winner's state.
// - An ended rollout is never started again: only an execution whose input's startAfterIndex is the
//   state's current ModifyIndex starts its rollout, and a tick of any other ends.
// - No unsettled state stays without an engine: the watchdog event (every minute) ends a rollout
//   whose execution has not written its state for longer than a working one would.
// Every result passes through JSON before the state machine reads it: no field is ever undefined
// (a ResultSelector path that is missing fails with States.Runtime, which no Catch catches), and
// the wait is a non-negative whole number of seconds.
import {
    ControlCommand,
    engineSilentSince,
    hasPendingWrites,
    historyKeySuffix,
    isSettled,
    isTerminal,
    ReleaseSpec,
    ROLLOUT_COMMAND_KEY,
    ROLLOUT_HISTORY_PREFIX,
    ROLLOUT_SCHEMA_VERSION,
    ROLLOUT_STATE_KEY,
    RolloutPhase,
    RolloutState,
    ServiceReleaseSpec,
    Weights,
} from "./contract";
import { mapLimit } from "../shared/concurrency";
import { formatWeights, sameWeights } from "../shared/weights";
import { CONSUL_MAX_SOCKETS } from "../consul/httpClient";
import type { AlarmStates } from "./alarms";
import { ConfigEntryBody, KvDocument, readRolloutState, RolloutConsulApi, weightsOfEntry } from "./consulApi";
import { sameEntry, SPLITTER_KIND, stickyEntryNames, stickyWriteSequence } from "./traffic";
import { decide, Decision, historyOf, Observations, startRollout, TickTrigger } from "./decide";
import { AnalysisVerdict, gatedAlarms, PassingObservation } from "./gates";
import { engineSilenceLimitSeconds, wholeSeconds } from "./render/stateMachine";

/** The Step Functions loop's invocation; the state machine passes its execution input and name. */
export interface TickEvent {
    readonly kind: "tick";
    readonly rolloutId: string;
    readonly specHash: string;
    readonly spec: ReleaseSpec;
    readonly requestedBy: string;
    /**
     * The execution input's startAfterIndex: the ModifyIndex of the state the client saw before it
     * started this rollout (0: none). The rollout starts only over that very state; absent, a tick
     * never starts one.
     */
    readonly startAfterIndex?: number;
}

/** The state machine's Catch: `error` is what Step Functions caught ({ Error, Cause }). */
interface EngineErrorEvent {
    readonly kind: "engine-error";
    readonly rolloutId: string;
    readonly error: { readonly Error?: string; readonly Cause?: string };
}

/** The EventBridge schedule's invocation, every minute: resolve a rollout no engine works on. */
export interface WatchdogEvent {
    readonly kind: "watchdog";
}

/** EventBridge's "CloudWatch Alarm State Change" event, the fields the engine reads. */
interface AlarmStateChangeEvent {
    readonly source: "aws.cloudwatch";
    readonly "detail-type": "CloudWatch Alarm State Change";
    /** When the alarm changed state (EventBridge's event time, ISO 8601). */
    readonly time?: string;
    readonly detail: { readonly alarmName: string; readonly state: { readonly value: string } };
}

export type EngineEvent = TickEvent | EngineErrorEvent | WatchdogEvent | AlarmStateChangeEvent;

/** What the state machine's Choice and Wait read: every field always present, JSON-safe. */
export interface TickResult {
    readonly rolloutId: string;
    readonly done: boolean;
    readonly phase: RolloutPhase;
    /** A non-negative whole number (the Wait's SecondsPath). */
    readonly waitSeconds: number;
    /** "" when there is nothing to say (never absent: the ResultSelector reads it). */
    readonly reason: string;
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

function result(rolloutId: string, done: boolean, phase: RolloutPhase, waitSeconds: number, reason: string | undefined): TickResult {
    return { rolloutId, done, phase, waitSeconds: done ? 0 : wholeSeconds(waitSeconds), reason: reason ?? "" };
}

export async function handleEvent(event: EngineEvent, deps: EngineDeps): Promise<TickResult> {
    if ("source" in event) {
        const trigger: TickTrigger = { kind: "alarm", alarm: event.detail.alarmName, state: event.detail.state.value, ...(event.time ? { changedAt: event.time } : {}) };
        return runTick(undefined, trigger, deps);
    }
    if (event.kind === "watchdog") {
        return runWatchdog(deps);
    }
    if (event.kind === "engine-error") {
        const error = `${event.error?.Error ?? "Error"}: ${event.error?.Cause ?? "no cause given"}`;
        return runTick(event.rolloutId, { kind: "engine-error", error }, deps);
    }
    return runTick(event, { kind: "tick" }, deps);
}

type StateDoc = KvDocument<RolloutState>;

/**
 * The state as the engine writes it after a decision: the decided splitter writes pending, the
 * bound a working engine keeps, and, from the rollout's own execution (a tick or its Catch), when
 * it wrote. An alarm event or the watchdog is not the execution: they keep the previous time, so
 * that a rollout whose execution is gone stays visibly silent.
 */
function engineState(decision: Decision, previous: RolloutState, byExecution: boolean, now: Date): RolloutState {
    const s = decision.state;
    const wroteAt = byExecution ? now.toISOString() : (previous.engineWroteAt ?? previous.updatedAt);
    return {
        ...s,
        schemaVersion: ROLLOUT_SCHEMA_VERSION,
        pendingWrites: decision.writes,
        engineWroteAt: wroteAt,
        engineSilenceLimitSeconds: engineSilenceLimitSeconds(s.spec.strategy.checkIntervalSeconds),
        // failed: restored once the starting split is live (at once when nothing needs writing).
        ...(s.phase === "failed" && !isTerminal(previous.phase) ? { restored: decision.writes.length === 0 } : {}),
    };
}

/**
 * @param owner the rollout this invocation belongs to: a TickEvent (which may start it), a rollout
 *   id (the Catch, which only ever acts on that rollout), or undefined (an alarm event, which acts
 *   on whatever rollout is running).
 */
async function runTick(owner: TickEvent | string | undefined, trigger: TickTrigger, deps: EngineDeps): Promise<TickResult> {
    const ownerId = typeof owner === "string" ? owner : owner?.rolloutId;
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const current = await readRolloutState(deps.consul);
        if (current && hasPendingWrites(current.value)) {
            // Before anything else: the last decision's writes, so that what it claims is live.
            await finishPendingWrites(current, deps);
            continue;
        }
        let state = current?.value;
        const index = current?.modifyIndex ?? 0;
        if (ownerId !== undefined && state?.rolloutId !== ownerId) {
            const mayStart = typeof owner === "object" && owner.startAfterIndex !== undefined && owner.startAfterIndex === index && (state === undefined || isTerminal(state.phase));
            if (!mayStart) {
                const reason = notStarted(ownerId, state);
                deps.log?.(reason);
                return result(ownerId, true, "failed", 0, reason);
            }
            state = startRollout(owner.spec, owner.rolloutId, owner.specHash, owner.requestedBy, deps.now());
        }
        if (state === undefined) {
            return result("", true, "promoted", 0, "no rollout running");
        }
        if (isTerminal(state.phase)) {
            // An ended rollout changes no more, and is never started again by the engine.
            return result(state.rolloutId, true, state.phase, 0, trigger.kind === "alarm" ? "no rollout running" : state.reason);
        }
        const command = (await deps.consul.getJson<ControlCommand>(ROLLOUT_COMMAND_KEY))?.value;
        const now = deps.now();
        const decision = decide(state, trigger, await observe(state, deps), command, now);
        const written = engineState(decision, state, trigger.kind === "tick" || trigger.kind === "engine-error", now);
        if (!(await deps.consul.casJson(ROLLOUT_STATE_KEY, written, index))) {
            deps.log?.(`state changed under tick (attempt ${attempt}); deciding again`);
            continue;
        }
        await settleCurrent(deps);
        return result(written.rolloutId, decision.done, written.phase, decision.waitSeconds, written.reason);
    }
    throw new Error(`the rollout state kept changing during ${CAS_ATTEMPTS} attempts to write it`);
}

function notStarted(ownerId: string, state: RolloutState | undefined): string {
    if (state === undefined) {
        return `rollout ${ownerId} has no state in Consul and was not asked to start one; it did not start`;
    }
    if (!isTerminal(state.phase)) {
        return `rollout ${state.rolloutId} is ${state.phase}; ${ownerId} did not start`;
    }
    return (
        `rollout ${ownerId} is not the current rollout (${state.rolloutId} is, ${state.phase}); this execution ends without starting or changing anything ` +
        `(an ended rollout is never started again: run pulumi up to ask for the change again)`
    );
}

/** Finishes the pending writes of whatever state is current (this invocation's, or a newer one's). */
async function settleCurrent(deps: EngineDeps): Promise<void> {
    const current = await readRolloutState(deps.consul);
    if (current && hasPendingWrites(current.value)) {
        await finishPendingWrites(current, deps);
    } else if (current && isSettled(current.value)) {
        await recordHistory(current.value, deps);
    }
}

const SPLIT_CAS_ATTEMPTS = 5;

/**
 * Makes the splitter writes `doc` has pending, in their order, then clears them with CAS on the
 * state's ModifyIndex: from then on the state is live. Each round reads the splitters with their
 * ModifyIndex, confirms the state is still `doc` (a newer state exists only if its writer finished
 * these writes first, so there is nothing left to do here), then writes each that differs with a
 * check-and-set on the index read: a write that loses means someone wrote the splitter since, and
 * the round starts again. Returns whether this invocation cleared them.
 */
async function finishPendingWrites(doc: StateDoc, deps: EngineDeps): Promise<boolean> {
    const pending = doc.value.pendingWrites ?? [];
    const sticky = new Set(doc.value.spec.services.filter((svc) => svc.sticky).map((svc) => svc.service));
    const running = !isTerminal(doc.value.phase);
    // A round that pinned a colour after moving its weight (stickyWriteSequence) reads again before
    // it may clear: that round alone does not count against the attempts.
    for (let round = 1, lostRounds = 0; lostRounds < SPLIT_CAS_ATTEMPTS && round <= 2 * SPLIT_CAS_ATTEMPTS; round++) {
        const entries = await mapLimit(pending, OBSERVE_CONCURRENCY, (write): Promise<PendingRead> =>
            sticky.has(write.service)
                ? readStickyEntries(write.service, deps).then((entries) => ({ sticky: true as const, entries }))
                : deps.consul.getSplitEntry(write.service).then((splitter) => ({ sticky: false as const, splitter })),
        );
        const now = await deps.consul.getJson<unknown>(ROLLOUT_STATE_KEY);
        if (now?.modifyIndex !== doc.modifyIndex) {
            return false;
        }
        let lost = false;
        let again = false;
        for (const [i, write] of pending.entries()) {
            const read = entries[i];
            if (read.sticky) {
                const outcome = await writeStickyEntries(write.service, read.entries, write.weights, running, deps);
                lost = outcome === "lost";
                again ||= outcome === "again";
                if (lost) {
                    break;
                }
                continue;
            }
            const entry = read.splitter;
            if (entry && sameWeights(entry.value, write.weights)) {
                continue;
            }
            if (!(await deps.consul.putSplit(write.service, write.weights, entry?.modifyIndex ?? 0))) {
                deps.log?.(`${write.service}: splitter changed since it was read; reading it again`);
                lost = true;
                break;
            }
            deps.log?.(`${write.service}: split written, ${formatWeights(write.weights)}`);
        }
        if (lost) {
            lostRounds++;
            continue;
        }
        if (again) {
            continue;
        }
        const settled: RolloutState = { ...doc.value, pendingWrites: [], ...(doc.value.phase === "failed" ? { restored: true } : {}) };
        if (!(await deps.consul.casJson(ROLLOUT_STATE_KEY, settled, doc.modifyIndex))) {
            return false;
        }
        if (isTerminal(settled.phase)) {
            await recordHistory(settled, deps);
        }
        return true;
    }
    throw new Error(`the splitters of ${pending.map((w) => w.service).join(", ")} kept changing during ${SPLIT_CAS_ATTEMPTS} attempts to write them`);
}

type StickyEntries = Readonly<Record<string, KvDocument<ConfigEntryBody> | undefined>>;

/** What a round of finishPendingWrites reads for one write: the splitter, or a sticky service's entries. */
type PendingRead = { readonly sticky: false; readonly splitter: KvDocument<Weights> | undefined } | { readonly sticky: true; readonly entries: StickyEntries };

/** A sticky service's splitters (its virtual services' and its own) with their ModifyIndex, by name. */
async function readStickyEntries(service: string, deps: EngineDeps): Promise<StickyEntries> {
    const names = stickyEntryNames(service);
    const read = await Promise.all(names.map((name) => deps.consul.getEntry(SPLITTER_KIND, name)));
    return Object.fromEntries(names.map((name, i) => [name, read[i]]));
}

/**
 * Writes a sticky service's entries toward `weights` (stickyWriteSequence), each that differs with
 * a check-and-set on the ModifyIndex read this round. "lost": an entry changed since it was read;
 * "again": an entry is written twice in the sequence (pinned after the weight moved), which needs
 * its new index, so the caller reads again before it may clear; "done": every entry is as wanted.
 */
async function writeStickyEntries(service: string, read: StickyEntries, weights: Weights, running: boolean, deps: EngineDeps): Promise<"done" | "again" | "lost"> {
    const live = read[service] ? weightsOfEntry(read[service]!.value) : undefined;
    const written = new Set<string>();
    for (const body of stickyWriteSequence(service, live, weights, running)) {
        const name = String(body.Name);
        const entry = read[name];
        if (written.has(name)) {
            return "again";
        }
        if (sameEntry(entry?.value, body)) {
            continue;
        }
        if (!(await deps.consul.putEntry(body, entry?.modifyIndex ?? 0))) {
            deps.log?.(`${name}: splitter changed since it was read; reading it again`);
            return "lost";
        }
        written.add(name);
        deps.log?.(`${name}: splitter written, ${name === service ? formatWeights(weights) : "sticky"} (${running ? "rollout running" : "at rest"})`);
    }
    return "done";
}

/** The history record of an ended, settled rollout: written once (cas=0), best effort (a record for people, not a claim). */
async function recordHistory(state: RolloutState, deps: EngineDeps): Promise<void> {
    const key = `${ROLLOUT_HISTORY_PREFIX}${historyKeySuffix(state.startedAt, state.rolloutId)}`;
    try {
        await deps.consul.casJson(key, historyOf(state), 0);
    } catch (err) {
        deps.log?.(`history record ${key} not written: ${(err as Error).message}`);
    }
}

/**
 * The watchdog (an EventBridge schedule, every minute): a rollout whose state is not settled and
 * that its execution has not written for longer than a working one would (engineSilentSince) has
 * no engine working on it. It finishes the writes that state has pending, then, if the rollout is
 * still running, ends it `failed` and restores its starting split, with the same pending-writes
 * rule as a tick. A rollout whose execution is alive is left alone: the check-and-set makes a
 * late execution and the watchdog agree on one outcome.
 */
async function runWatchdog(deps: EngineDeps): Promise<TickResult> {
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const current = await readRolloutState(deps.consul);
        if (current === undefined || isSettled(current.value)) {
            return result(current?.value.rolloutId ?? "", true, current?.value.phase ?? "promoted", 0, "nothing to watch");
        }
        const state = current.value;
        const limitSeconds = state.engineSilenceLimitSeconds ?? engineSilenceLimitSeconds(state.spec.strategy.checkIntervalSeconds);
        const now = deps.now();
        const silentSince = engineSilentSince({ ...state, engineSilenceLimitSeconds: limitSeconds }, now.getTime());
        if (silentSince === undefined) {
            return result(state.rolloutId, true, state.phase, 0, "its engine is working");
        }
        if (hasPendingWrites(state)) {
            await finishPendingWrites(current, deps);
            continue;
        }
        const decision = decide(state, { kind: "watchdog", silentSince, limitSeconds }, await observe(state, deps), undefined, now);
        const written = engineState(decision, state, false, now);
        if (!(await deps.consul.casJson(ROLLOUT_STATE_KEY, written, current.modifyIndex))) {
            continue;
        }
        deps.log?.(`watchdog: ${written.reason}`);
        await settleCurrent(deps);
        return result(written.rolloutId, true, written.phase, 0, written.reason);
    }
    throw new Error(`the rollout state kept changing during ${CAS_ATTEMPTS} attempts of the watchdog`);
}

async function observe(state: RolloutState, deps: EngineDeps): Promise<Observations> {
    const services = state.spec.services;
    // AWS's answers come from elsewhere: asked while Consul is.
    const alarmsAndAnalyses = observeAws(state, deps);
    // Services in parallel, OBSERVE_CONCURRENCY at a time: one after another, a tick of a few hundred
    // services would spend the function's timeout waiting on round trips (docs/performance.md).
    const seen = await mapLimit(services, OBSERVE_CONCURRENCY, (svc) =>
        Promise.all([
            // A sticky service's splitter is read with its virtual services' (the whole bodies decide).
            svc.sticky ? readStickyEntries(svc.service, deps).then((entries) => ({ entries })) : deps.consul.getSplit(svc.service).then((weights) => ({ weights })),
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
    const sticky: Record<string, Record<string, ConfigEntryBody | undefined>> = {};
    services.forEach((svc, i) => {
        const [split, seenPassing] = seen[i];
        if ("entries" in split) {
            const own = split.entries[svc.service];
            live[svc.service] = own ? weightsOfEntry(own.value) : undefined;
            sticky[svc.service] = Object.fromEntries(Object.entries(split.entries).map(([name, doc]) => [name, doc?.value]));
        } else {
            live[svc.service] = split.weights;
        }
        if (seenPassing !== undefined) {
            passing[svc.service] = seenPassing;
        }
    });
    return { live, passing, ...(Object.keys(sticky).length > 0 ? { sticky } : {}), ...(await alarmsAndAnalyses) };
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
