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
// - A service is moved only by the rollout it belongs to (the claims document): a rollout starts by
//   creating its state and then claiming its services with check-and-set, only from the rollouts
//   the client saw and only once those are settled. Rollouts of disjoint services run side by side;
//   an alarm event acts on each running rollout that gates on the alarm.
// - An ended rollout is never started again: a state is created only by the first execution
//   (startAfter in its input) or a rollback invocation, and a tick of an ended rollout ends.
// - A rollback (`flip rollback`) is one invocation: it aborts the running rollouts of its services,
//   then starts and ends a rollback rollout that writes each split once.
// - No unsettled state stays without an engine: the watchdog event (every minute) ends a rollout
//   whose execution has not written its state for longer than a working one would.
// Every result passes through JSON before the state machine reads it: no field is ever undefined
// (a ResultSelector path that is missing fails with States.Runtime, which no Catch catches), and
// the wait is a non-negative whole number of seconds.
import {
    CLAIMS_KEY,
    ControlCommand,
    engineSilentSince,
    hasPendingWrites,
    historyKeySuffix,
    isSettled,
    isTerminal,
    LEGACY_STATE_KEY,
    ReleaseSpec,
    RollbackRequest,
    rollbackIdFor,
    rolloutCommandKey,
    ROLLOUT_HISTORY_PREFIX,
    ROLLOUT_SCHEMA_VERSION,
    RolloutKind,
    RolloutPhase,
    ROLLOUTS_PREFIX,
    RolloutState,
    rolloutStateKey,
    ServiceClaims,
    ServiceReleaseSpec,
    Weights,
} from "./contract";
import { mapLimit } from "../shared/concurrency";
import { formatWeights, sameWeights } from "../shared/weights";
import { CONSUL_MAX_SOCKETS } from "../consul/httpClient";
import type { AlarmStates } from "./alarms";
import { ConfigEntryBody, KvDocument, readClaimedRollouts, readClaims, readLegacyState, readRollout, RolloutConsulApi, weightsOfEntry } from "./consulApi";
import { sameEntry, SPLITTER_KIND, stickyEntryNames, stickyWriteSequence } from "./traffic";
import { decide, Decision, historyOf, Observations, startRollout, TickTrigger } from "./decide";
import { specHash } from "./steps";
import { AnalysisVerdict, gatedAlarms, PassingObservation } from "./gates";
import { engineSilenceLimitSeconds, NEVER_STARTS, wholeSeconds } from "./render/stateMachine";

/** The Step Functions loop's invocation; the state machine passes its execution input and name. */
export interface TickEvent {
    readonly kind: "tick";
    readonly rolloutId: string;
    readonly specHash: string;
    readonly spec: ReleaseSpec;
    readonly requestedBy: string;
    /**
     * The execution input's startAfter: for each service, the rollout it belonged to when the
     * client read the claims ("" for none). The rollout starts only from those; NEVER_STARTS or
     * absent (a successor, or an execution of an older definition), a tick never starts one.
     */
    readonly startAfter?: Readonly<Record<string, string>> | typeof NEVER_STARTS;
}

/** `flip rollback`, invoked on the function synchronously (or run by the client itself with --break-glass). */
export interface RollbackEvent {
    readonly kind: "rollback";
    readonly request: RollbackRequest;
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

export type EngineEvent = TickEvent | EngineErrorEvent | WatchdogEvent | AlarmStateChangeEvent | RollbackEvent;

/** What a tick may start: a release (an execution's first tick) or a rollback (its invocation). */
interface RolloutStart {
    readonly rolloutId: string;
    readonly specHash: string;
    readonly spec: ReleaseSpec;
    readonly requestedBy: string;
    readonly startAfter: Readonly<Record<string, string>>;
    readonly kind?: RolloutKind;
    /** A rollback's reason (and, when forced, the risk the operator accepted). */
    readonly reason?: string;
}

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
    /** The client runs a rollback itself with an operator's token (`flip rollback --break-glass`): recorded in its state. */
    readonly breakGlass?: boolean;
}

const CAS_ATTEMPTS = 5;

/** Services observed at a time: as many as the Consul client keeps connections (CONSUL_MAX_SOCKETS). */
export const OBSERVE_CONCURRENCY = CONSUL_MAX_SOCKETS;

function result(rolloutId: string, done: boolean, phase: RolloutPhase, waitSeconds: number, reason: string | undefined): TickResult {
    return { rolloutId, done, phase, waitSeconds: done ? 0 : wholeSeconds(waitSeconds), reason: reason ?? "" };
}

export async function handleEvent(event: EngineEvent, deps: EngineDeps): Promise<TickResult> {
    // A stack upgraded from schema 2 may still have its one rollout at the old key: every
    // invocation moves it first, so a rollout running across the upgrade goes on.
    await migrateLegacy(deps);
    if ("source" in event) {
        const trigger: TickTrigger = { kind: "alarm", alarm: event.detail.alarmName, state: event.detail.state.value, ...(event.time ? { changedAt: event.time } : {}) };
        return runAlarm(trigger, deps);
    }
    if (event.kind === "watchdog") {
        return runWatchdog(deps);
    }
    if (event.kind === "rollback") {
        return runRollback(event.request, deps);
    }
    if (event.kind === "engine-error") {
        const error = `${event.error?.Error ?? "Error"}: ${event.error?.Cause ?? "no cause given"}`;
        return runTick(event.rolloutId, { kind: "engine-error", error }, deps);
    }
    const start: RolloutStart | undefined =
        typeof event.startAfter === "object" && event.startAfter !== null
            ? { rolloutId: event.rolloutId, specHash: event.specHash, spec: event.spec, requestedBy: event.requestedBy, startAfter: event.startAfter }
            : undefined;
    return runTick(start ?? event.rolloutId, { kind: "tick" }, deps);
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
 * One decision for one rollout.
 * @param owner the rollout: a RolloutStart (an execution's first tick, or a rollback, which may
 *   create it) or its id (every other invocation, which only ever acts on an existing rollout)
 * @param direct a command applied in this tick instead of the rollout's slot (a rollback's abort)
 */
async function runTick(owner: RolloutStart | string, trigger: TickTrigger, deps: EngineDeps, direct?: ControlCommand): Promise<TickResult> {
    const ownerId = typeof owner === "string" ? owner : owner.rolloutId;
    const key = rolloutStateKey(ownerId);
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const current = await readRollout(deps.consul, ownerId);
        if (current && hasPendingWrites(current.value)) {
            // Before anything else: the last decision's writes, so that what it claims is live.
            await finishPendingWrites(current, deps);
            continue;
        }
        if (current === undefined) {
            if (typeof owner === "string") {
                return endedElsewhere(ownerId, deps);
            }
            // Every tick of a first execution carries its start: one whose rollout ended and was
            // replaced (its state removed) must not create it again.
            const ended = await recordedEnd(ownerId, deps);
            if (ended) {
                return ended;
            }
            const created = startRollout(owner.spec, owner.rolloutId, owner.specHash, owner.requestedBy, deps.now(), {
                startAfter: owner.startAfter,
                ...(owner.kind === "rollback" ? { kind: "rollback" as const } : {}),
                ...(deps.breakGlass ? { breakGlass: true } : {}),
                ...(owner.reason ? { reason: owner.reason } : {}),
            });
            const limit = engineSilenceLimitSeconds(owner.spec.strategy.checkIntervalSeconds);
            await deps.consul.casJson(key, { ...created, engineWroteAt: created.startedAt, engineSilenceLimitSeconds: limit } satisfies RolloutState, 0);
            continue;
        }
        const state = current.value;
        if (state.phase === "pending") {
            const refused = await claimServices(state, deps);
            if (refused !== undefined) {
                // It never claimed a service, so it never moved one: it ends having changed nothing.
                const ended = unstarted(state, refused, `not started: ${refused}`, deps.now());
                if (!(await deps.consul.casJson(key, ended, current.modifyIndex))) {
                    continue;
                }
                deps.log?.(`rollout ${ownerId} not started: ${refused}`);
                await recordHistory(ended, deps);
                return result(ownerId, true, "failed", 0, refused);
            }
        }
        if (isTerminal(state.phase)) {
            // An ended rollout changes no more, and is never started again by the engine.
            return result(state.rolloutId, true, state.phase, 0, state.reason);
        }
        const command = direct ?? (await deps.consul.getJson<ControlCommand>(rolloutCommandKey(ownerId)))?.value;
        const now = deps.now();
        const decision = decide(state, trigger, await observe(state, deps), command, now);
        const written = engineState(decision, state, trigger.kind === "tick" || trigger.kind === "engine-error", now);
        if (!(await deps.consul.casJson(key, written, current.modifyIndex))) {
            deps.log?.(`state of ${ownerId} changed under tick (attempt ${attempt}); deciding again`);
            continue;
        }
        await settle(ownerId, deps);
        return result(written.rolloutId, decision.done, written.phase, decision.waitSeconds, written.reason);
    }
    throw new Error(`the state of rollout ${ownerId} kept changing during ${CAS_ATTEMPTS} attempts to write it`);
}

/** A pending rollout ended `failed` before it moved anything: nothing to restore, so `restored`. */
function unstarted(state: RolloutState, reason: string, event: string, now: Date): RolloutState {
    const at = now.toISOString();
    return { ...state, phase: "failed", reason, restored: true, endedAt: at, updatedAt: at, nextCheckAt: undefined, events: [...state.events, { at, message: event }] };
}

/**
 * Claims a pending rollout's services (contract.ts, how a rollout starts): each must still belong
 * to the rollout its startAfter names, and that rollout must be settled. Returns why not, or
 * undefined once the claims document says every service belongs to this rollout. A rollout whose
 * services another rollout took since it was asked for never starts, so no service is ever moved
 * by two rollouts. The states of the rollouts it displaced that no claim names any more are removed
 * (their history records are written first).
 */
async function claimServices(state: RolloutState, deps: EngineDeps): Promise<string | undefined> {
    const mine = state.spec.services.map((s) => s.service);
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const claims = await readClaims(deps.consul);
        const holderOf = (service: string) => claims.value.services[service]?.rolloutId ?? "";
        if (mine.every((service) => holderOf(service) === state.rolloutId)) {
            return undefined;
        }
        const holders = await readClaimedRollouts(deps.consul, claims.value, mine);
        for (const service of mine) {
            const holder = holderOf(service);
            if (holder === state.rolloutId) {
                continue;
            }
            const expected = state.startAfter?.[service] ?? "";
            if (holder !== expected) {
                return `${service} belongs to rollout ${holder || "(none)"} now, not ${expected || "(none)"} as when this rollout was asked for: run pulumi up again`;
            }
            const running = holders.get(holder)?.value;
            if (running && !isSettled(running)) {
                return `${service} belongs to rollout ${holder}, which is ${running.phase}${hasPendingWrites(running) ? " with splitter writes pending" : ""}`;
            }
        }
        const claimedAt = deps.now().toISOString();
        const next: ServiceClaims = {
            schemaVersion: ROLLOUT_SCHEMA_VERSION,
            services: { ...claims.value.services, ...Object.fromEntries(mine.map((service) => [service, { rolloutId: state.rolloutId, claimedAt }])) },
        };
        if (await deps.consul.casJson(CLAIMS_KEY, next, claims.modifyIndex)) {
            deps.log?.(`rollout ${state.rolloutId} claimed ${mine.join(", ")}`);
            await removeDisplaced(holders, next, deps);
            return undefined;
        }
    }
    throw new Error(`the claims document kept changing during ${CAS_ATTEMPTS} attempts to claim ${mine.join(", ")}`);
}

/** Removes the states (and command slots) of settled rollouts that no claim names any more: best effort, history first. */
async function removeDisplaced(holders: ReadonlyMap<string, StateDoc>, claims: ServiceClaims, deps: EngineDeps): Promise<void> {
    const named = new Set(Object.values(claims.services).map((c) => c.rolloutId));
    for (const [id, doc] of holders) {
        if (named.has(id) || !isSettled(doc.value)) {
            continue;
        }
        try {
            await recordHistory(doc.value, deps);
            await deps.consul.deleteJson(rolloutStateKey(id), doc.modifyIndex);
            const slot = await deps.consul.getJson<unknown>(rolloutCommandKey(id));
            if (slot) {
                await deps.consul.deleteJson(rolloutCommandKey(id), slot.modifyIndex);
            }
        } catch (err) {
            deps.log?.(`state of ended rollout ${id} not removed: ${(err as Error).message}`);
        }
    }
}

/** The rollouts that gate on the alarm each roll back now; the others are not touched. */
async function runAlarm(trigger: Extract<TickTrigger, { kind: "alarm" }>, deps: EngineDeps): Promise<TickResult> {
    const claims = await readClaims(deps.consul);
    const rollouts = await readClaimedRollouts(deps.consul, claims.value);
    const gated = [...rollouts.values()].filter((doc) => !isSettled(doc.value) && gatedAlarms(doc.value.spec).includes(trigger.alarm));
    if (gated.length === 0) {
        return result("", true, "promoted", 0, `alarm ${trigger.alarm} is ${trigger.state}: no running rollout gates on it`);
    }
    const results = await Promise.all(gated.map((doc) => runTick(doc.value.rolloutId, trigger, deps)));
    return result(results.map((r) => r.rolloutId).join(","), true, results[0].phase, 0, results.map((r) => `${r.rolloutId}: ${r.phase}${r.reason ? ` (${r.reason})` : ""}`).join("; "));
}

/**
 * The spec of an operator's rollback: one write per service, no steps, no bake, no gates. A service
 * its last rollout ran sticky stays sticky, so that its virtual splitters are checked at rest too.
 */
function rollbackSpec(request: RollbackRequest, sticky: ReadonlySet<string>): ReleaseSpec {
    return {
        stack: request.stack,
        services: request.services.map(({ service, to }) => ({
            service,
            to,
            upstreams: [],
            gate: { required: { blue: 0, green: 0 }, alarms: [], failureThreshold: 1, skipHealth: true },
            ...(sticky.has(service) ? { sticky: true } : {}),
        })),
        strategy: { steps: [], bakeSeconds: 0, bakeEachStep: false, checkIntervalSeconds: 15 },
    };
}

/**
 * `flip rollback`: aborts the running rollouts its services belong to (a release of several
 * services rolls back as a whole, to the split it started from), then starts a rollback rollout
 * that claims the services and writes each one's split once, and ends. A retried invocation with
 * the same request continues the same rollback (its id is the request's).
 */
async function runRollback(request: RollbackRequest, deps: EngineDeps): Promise<TickResult> {
    const rolloutId = rollbackIdFor(request.stack, request.id);
    const services = request.services.map((s) => s.service);
    // The rollback records break-glass in its own field (breakGlass); an aborted rollout has no such
    // field, so its abort names it.
    const by = request.issuedBy;
    const aborter = `${request.issuedBy}${deps.breakGlass ? " (break-glass)" : ""}`;
    let startAfter: Record<string, string> = {};
    const sticky = new Set<string>();
    const existing = await readRollout(deps.consul, rolloutId);
    if (existing === undefined) {
        // The same request again after its rollback ended (and a later rollout took its services):
        // it changes nothing, above all it aborts nothing.
        const ended = await recordedEnd(rolloutId, deps);
        if (ended) {
            return ended;
        }
        for (let attempt = 1; ; attempt++) {
            const claims = await readClaims(deps.consul);
            const holders = await readClaimedRollouts(deps.consul, claims.value, services);
            const running = [...holders.values()].filter((doc) => !isSettled(doc.value));
            startAfter = Object.fromEntries(services.map((s) => [s, claims.value.services[s]?.rolloutId ?? ""]));
            if (running.length === 0) {
                for (const doc of holders.values()) {
                    doc.value.spec.services.filter((svc) => svc.sticky && services.includes(svc.service)).forEach((svc) => sticky.add(svc.service));
                }
                break;
            }
            if (attempt > CAS_ATTEMPTS) {
                throw new Error(`rollouts ${running.map((d) => d.value.rolloutId).join(", ")} of ${services.join(", ")} did not end during ${CAS_ATTEMPTS} attempts to abort them`);
            }
            await Promise.all(
                running.map((doc) =>
                    runTick(doc.value.rolloutId, { kind: "tick" }, deps, {
                        id: `${request.id}-abort-${attempt}`,
                        rolloutId: doc.value.rolloutId,
                        kind: "abort",
                        issuedBy: aborter,
                        issuedAt: request.issuedAt,
                        reason: `rollback of ${services.filter((s) => doc.value.spec.services.some((x) => x.service === s)).join(", ")}${request.reason ? `: ${request.reason}` : ""}`,
                    }),
                ),
            );
        }
    }
    // A retried invocation goes on with the spec it started with.
    const spec = existing?.value.spec ?? rollbackSpec(request, sticky);
    const reason = [request.reason ?? "no reason given", ...(request.forced ? [`forced: ${request.forced}`] : [])].join("; ");
    return runTick({ rolloutId, specHash: specHash(spec), spec, requestedBy: by, startAfter, kind: "rollback", reason }, { kind: "tick" }, deps);
}

/**
 * How a rollout ended, from its history record, when it has one: a rollout with a record has ended
 * and is never started again, even once its state is removed (a late tick of its execution, or
 * its rollback request invoked again, still carries what would start it).
 */
async function recordedEnd(rolloutId: string, deps: EngineDeps): Promise<TickResult | undefined> {
    const records = await deps.consul.listJson<{ rolloutId?: string; result?: RolloutPhase; reason?: string }>(ROLLOUT_HISTORY_PREFIX);
    const record = Object.values(records).find((r) => r.rolloutId === rolloutId);
    return record?.result ? result(rolloutId, true, record.result, 0, `rollout ${rolloutId} ended ${record.result}${record.reason ? `: ${record.reason}` : ""}`) : undefined;
}

/**
 * A tick of a rollout that has no state: it ended and a later rollout of its services replaced it
 * (its history record says how it ended), or it never started. Either way its execution ends.
 */
async function endedElsewhere(rolloutId: string, deps: EngineDeps): Promise<TickResult> {
    const ended = await recordedEnd(rolloutId, deps);
    if (ended) {
        return ended;
    }
    const reason = `rollout ${rolloutId} has no state in Consul and was not asked to start one; it did not start`;
    deps.log?.(reason);
    return result(rolloutId, true, "failed", 0, reason);
}

/** Finishes the pending writes of the rollout's state as it is now (this invocation's, or a newer one's). */
async function settle(rolloutId: string, deps: EngineDeps): Promise<void> {
    const current = await readRollout(deps.consul, rolloutId);
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
        const now = await deps.consul.getJson<unknown>(rolloutStateKey(doc.value.rolloutId));
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
        if (!(await deps.consul.casJson(rolloutStateKey(doc.value.rolloutId), settled, doc.modifyIndex))) {
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

/**
 * A sticky service's splitters (its virtual services' and its own) with their ModifyIndex, by name,
 * as one consistent snapshot: read until two reads in a row agree on every ModifyIndex (a double
 * collect; indexes only rise, so two equal collects saw the entries as they all were between
 * them). Three entries read one by one could otherwise mix a splitter from before another
 * invocation's writes with a virtual splitter from after them, and a write sequence worked out
 * from that mix could unpin a colour the newer split weights.
 */
async function readStickyEntries(service: string, deps: EngineDeps): Promise<StickyEntries> {
    const names = stickyEntryNames(service);
    const collect = () => Promise.all(names.map((name) => deps.consul.getEntry(SPLITTER_KIND, name)));
    let before = await collect();
    for (let attempt = 1; attempt <= SPLIT_CAS_ATTEMPTS; attempt++) {
        const after = await collect();
        if (after.every((doc, i) => doc?.modifyIndex === before[i]?.modifyIndex)) {
            return Object.fromEntries(names.map((name, i) => [name, after[i]]));
        }
        before = after;
    }
    throw new Error(`the splitters of ${service} kept changing during ${SPLIT_CAS_ATTEMPTS} attempts to read them together`);
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
 * The watchdog (an EventBridge schedule, every minute): each rollout whose state is not settled and
 * that its execution has not written for longer than a working one would (engineSilentSince) has
 * no engine working on it. It finishes the writes that state has pending, then, if the rollout is
 * still running, ends it `failed` and restores its starting split, with the same pending-writes
 * rule as a tick. A rollout whose execution is alive is left alone: the check-and-set makes a
 * late execution and the watchdog agree on one outcome.
 */
async function runWatchdog(deps: EngineDeps): Promise<TickResult> {
    const documents = await deps.consul.listJson<{ rolloutId?: unknown; phase?: unknown; pendingWrites?: unknown }>(ROLLOUTS_PREFIX);
    const candidates = Object.values(documents)
        .filter((doc) => typeof doc.rolloutId === "string" && !(isTerminal(doc.phase as RolloutPhase) && !(Array.isArray(doc.pendingWrites) && doc.pendingWrites.length > 0)))
        .map((doc) => doc.rolloutId as string);
    if (candidates.length === 0) {
        return result("", true, "promoted", 0, "nothing to watch");
    }
    const results = await Promise.all(candidates.map((id) => watchRollout(id, deps)));
    return result(candidates.join(","), true, results[0].phase, 0, results.map((r) => `${r.rolloutId}: ${r.reason}`).join("; "));
}

async function watchRollout(rolloutId: string, deps: EngineDeps): Promise<TickResult> {
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const current = await readRollout(deps.consul, rolloutId);
        if (current === undefined || isSettled(current.value)) {
            return result(rolloutId, true, current?.value.phase ?? "promoted", 0, "nothing to watch");
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
        if (state.phase === "pending") {
            // Its start never finished (the invocation that created it died): it has written
            // nothing, and the watchdog never starts it (a rollback's first decision writes).
            const reason = `its start did not finish (no engine has written it since ${silentSince}); ended by the watchdog before it moved anything`;
            const ended = unstarted(state, reason, `failed: ${reason}`, now);
            if (await deps.consul.casJson(rolloutStateKey(rolloutId), ended, current.modifyIndex)) {
                await recordHistory(ended, deps);
                return result(rolloutId, true, "failed", 0, reason);
            }
            continue;
        }
        const decision = decide(state, { kind: "watchdog", silentSince, limitSeconds }, await observe(state, deps), undefined, now);
        const written = engineState(decision, state, false, now);
        if (!(await deps.consul.casJson(rolloutStateKey(rolloutId), written, current.modifyIndex))) {
            continue;
        }
        deps.log?.(`watchdog: ${rolloutId}: ${written.reason}`);
        await settle(rolloutId, deps);
        return result(written.rolloutId, true, written.phase, 0, written.reason);
    }
    throw new Error(`the state of rollout ${rolloutId} kept changing during ${CAS_ATTEMPTS} attempts of the watchdog`);
}

/**
 * Moves schema 2's one state (bluegreen/rollout/current) to its own key and claims its services
 * for it, then removes the old key: each step a check-and-set, so invocations that race agree,
 * and a step that already happened is skipped. The old command slot is not moved (a command
 * pending across the upgrade is sent again).
 */
async function migrateLegacy(deps: EngineDeps): Promise<void> {
    const legacy = await readLegacyState(deps.consul);
    if (legacy === undefined) {
        return;
    }
    const state = legacy.value;
    if ((await readRollout(deps.consul, state.rolloutId)) === undefined) {
        await deps.consul.casJson(rolloutStateKey(state.rolloutId), state, 0);
    }
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const claims = await readClaims(deps.consul);
        const unclaimed = state.spec.services.map((s) => s.service).filter((service) => claims.value.services[service] === undefined);
        if (unclaimed.length === 0) {
            break;
        }
        const next: ServiceClaims = {
            schemaVersion: ROLLOUT_SCHEMA_VERSION,
            services: { ...claims.value.services, ...Object.fromEntries(unclaimed.map((service) => [service, { rolloutId: state.rolloutId, claimedAt: state.startedAt }])) },
        };
        if (await deps.consul.casJson(CLAIMS_KEY, next, claims.modifyIndex)) {
            break;
        }
    }
    if (await deps.consul.deleteJson(LEGACY_STATE_KEY, legacy.modifyIndex)) {
        deps.log?.(`moved rollout ${state.rolloutId} from ${LEGACY_STATE_KEY} to its own key (schema ${ROLLOUT_SCHEMA_VERSION})`);
    }
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
