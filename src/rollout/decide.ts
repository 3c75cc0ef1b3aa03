// The rollout engine's decisions, as one pure function: (state, trigger, observations, command, now)
// in, (next state, splitter writes, history record, wait) out. The tick Lambda only reads, calls
// this, and carries out what it returns; every rule of a rollout lives here and is tested here.
//
// Rules, in the order a tick applies them:
// 1. An ended rollout changes no more; it only writes back a split that differs from its own.
// 2. The first tick records the live split as `from` and plans the steps from it.
// 3. The Catch of the state machine (engine error), the watchdog (no engine working on it) and an
//    alarm that went into ALARM roll back now.
// 4. A new control command for this rollout (an id it has not seen) is applied (abort rolls back now).
// 5. The gates are checked against the split being judged; a gate at its threshold rolls back.
// 6. Otherwise the rollout holds, bakes, writes the next step (only when every gate passed), or ends promoted.
// Every tick makes each service's live split equal the split the state says, callees first while
// moving forward and callers first when rolling back, so a lost write is repeated and a split
// changed by someone else is put back.
import {
    AppliedCommand,
    commandSeen,
    ControlCommand,
    HistoryRecord,
    isTerminal,
    MAX_EVENTS,
    MAX_SEEN_COMMANDS,
    ReleaseSpec,
    ROLLOUT_SCHEMA_VERSION,
    RolloutEvent,
    RolloutPhase,
    RolloutState,
    SplitWrite,
    Weights,
} from "./contract";
import { checkGates, GateObservations, gatedAlarms, releaseGates } from "./gates";
import { rolloutSteps, splitAt } from "./steps";
import { formatWeights, sameWeights } from "../shared/weights";
import type { ConfigEntryBody } from "./consulApi";
import { stickyEntriesAsWanted } from "./traffic";

const DEFAULT_READY_TIMEOUT_SECONDS = 300;

export type TickTrigger =
    | { readonly kind: "tick" }
    /** From the EventBridge rule on a CloudWatch alarm's state change. */
    | { readonly kind: "alarm"; readonly alarm: string; readonly state: string; readonly changedAt?: string }
    /** From the state machine's Catch: the tick failed past its retries. */
    | { readonly kind: "engine-error"; readonly error: string }
    /** From the watchdog schedule: no engine has written this unsettled rollout's state for longer than a working one would. */
    | { readonly kind: "watchdog"; readonly silentSince: string; readonly limitSeconds: number };

export interface Observations extends GateObservations {
    /** Each service's live split as its service-splitter says now; undefined when it has none. */
    readonly live: Readonly<Record<string, Weights | undefined>>;
    /**
     * Each sticky service's splitters as Consul answers them, by entry name (its two virtual
     * services' and its own; undefined when absent). A sticky service without it is written.
     */
    readonly sticky?: Readonly<Record<string, Readonly<Record<string, ConfigEntryBody | undefined>>>>;
}


export interface Decision {
    readonly state: RolloutState;
    /** In the order they must be written. */
    readonly writes: readonly SplitWrite[];
    /** Set on the tick that ends the rollout. */
    readonly history?: HistoryRecord;
    readonly waitSeconds: number;
    readonly done: boolean;
}

/** The state a new rollout starts in, before its first tick. */
export function startRollout(
    spec: ReleaseSpec,
    rolloutId: string,
    hash: string,
    requestedBy: string,
    now: Date,
    extra: Pick<RolloutState, "kind" | "startAfter" | "breakGlass" | "reason"> = {},
): RolloutState {
    const at = now.toISOString();
    return {
        ...extra,
        schemaVersion: ROLLOUT_SCHEMA_VERSION,
        rolloutId,
        specHash: hash,
        spec,
        phase: "pending",
        requestedBy,
        startedAt: at,
        updatedAt: at,
        from: {},
        steps: [],
        stepIndex: -1,
        gates: [],
        events: [{ at, message: `${extra.kind === "rollback" ? "rollback" : "rollout"} ${rolloutId} requested by ${requestedBy}` }],
        commandLog: [],
    };
}


/** The split the state says every service has now. */
export function expectedSplit(state: RolloutState): Readonly<Record<string, Weights>> {
    const restored = isTerminal(state.phase) && state.phase !== "promoted";
    return restored ? state.from : splitAt(state.steps, state.from, state.stepIndex);
}

export function decide(state: RolloutState, trigger: TickTrigger, observed: Observations, command: ControlCommand | undefined, now: Date): Decision {
    const at = now.toISOString();
    const events: RolloutEvent[] = [];
    const say = (message: string) => events.push({ at, message });
    let s: RolloutState = state;
    const set = (patch: Partial<RolloutState>) => (s = { ...s, ...patch });
    const end = (phase: RolloutPhase, reason: string | undefined) => {
        set({ phase, reason, endedAt: at, bakeUntil: undefined, nextCheckAt: undefined, pausedAt: undefined, pausedBy: undefined });
        if (phase === "failed") {
            // The handler sets it once the starting split is written back.
            set({ restored: false });
        }
        if (phase === "promoted" && s.kind === "rollback") {
            say(`rolled back by ${s.requestedBy}: ${describeAll(s.spec, expectedSplit(s))}`);
        } else if (phase === "promoted") {
            say(`promoted: ${describeAll(s.spec, expectedSplit(s))}`);
        } else if (Object.keys(s.from).length === 0) {
            say(`${phase}: ${reason}`);
        } else {
            say(`${phase}: ${reason}; restoring ${describeAll(s.spec, s.from)}`);
        }
    };
    const rollBack = (phase: "rolled-back" | "aborted" | "failed", reason: string) => end(phase, reason);

    if (!isTerminal(s.phase)) {
        if (s.phase === "pending") {
            initialise();
        }
        if (!isTerminal(s.phase)) {
            if (trigger.kind === "engine-error") {
                rollBack("failed", `the engine failed: ${trigger.error}`);
            } else if (trigger.kind === "watchdog") {
                rollBack("failed", `no engine has worked on this rollout since ${trigger.silentSince} (a working one writes its state at least every ${trigger.limitSeconds}s); ended by the watchdog`);
            } else if (trigger.kind === "alarm") {
                onAlarm(trigger.alarm, trigger.state, trigger.changedAt);
            } else {
                // A command is applied once: a duplicate, stale or replayed write of the slot is ignored.
                if (command && command.rolloutId === s.rolloutId && !commandSeen(s, command.id)) {
                    applyCommand(command);
                }
                if (!isTerminal(s.phase)) {
                    checkAndStep();
                }
            }
        }
    }

    const writes = reconcile(state, s, observed, say);
    const done = isTerminal(s.phase);
    const waitSeconds = done ? 0 : waitFor(s, now);
    set({
        updatedAt: at,
        nextCheckAt: done ? undefined : new Date(now.getTime() + waitSeconds * 1000).toISOString(),
        events: [...s.events, ...events].slice(-MAX_EVENTS),
    });
    const history = done && !isTerminal(state.phase) ? historyOf(s) : undefined;
    return { state: s, writes, history, waitSeconds, done };

    function initialise() {
        const missing = s.spec.services.filter((svc) => observed.live[svc.service] === undefined).map((svc) => svc.service);
        if (missing.length > 0) {
            set({ from: {}, steps: [] });
            end("failed", `no service-splitter in Consul for ${missing.join(", ")}; run pulumi up --refresh`);
            return;
        }
        const from = Object.fromEntries(s.spec.services.map((svc) => [svc.service, observed.live[svc.service]!]));
        if (s.kind === "rollback") {
            // An operator's rollback: the split asked for in one write, no steps, no bake, no gates.
            const to = Object.fromEntries(s.spec.services.map((svc) => [svc.service, svc.to]));
            set({ from, steps: [{ percent: 100, weights: to, bakeSeconds: 0 }], stepIndex: 0, stepStartedAt: now.toISOString(), gates: [], phase: "progressing" });
            say(`rollback by ${s.requestedBy}${s.reason ? ` (${s.reason})` : ""}: ${describeAll(s.spec, from)} -> ${describeAll(s.spec, to)}, one write`);
            // Its reason is the operator's: end() keeps what it is given.
            end("promoted", s.reason);
            return;
        }
        const steps = rolloutSteps(s.spec, from);
        set({ from, steps, gates: releaseGates(s.spec), phase: "progressing" });
        say(`started: ${describeAll(s.spec, from)} -> ${describeAll(s.spec, Object.fromEntries(s.spec.services.map((svc) => [svc.service, svc.to])))} in ${steps.length} step${steps.length === 1 ? "" : "s"}`);
        if (steps.length === 0) {
            end("promoted", undefined);
        }
    }

    function onAlarm(alarm: string, alarmState: string, changedAt: string | undefined) {
        // Lambda retries a failed asynchronous event (a minute, then two minutes later) and keeps a
        // throttled one for hours, so a change from before this rollout started can arrive during
        // it; an alarm still in ALARM fails the next check anyway.
        if (changedAt !== undefined && Date.parse(changedAt) < Date.parse(s.startedAt)) {
            say(`alarm ${alarm} went ${alarmState} at ${changedAt}, before this rollout started: judged at the next check`);
        } else if (alarmState === "ALARM" && gatedAlarms(s.spec).includes(alarm)) {
            rollBack("rolled-back", `alarm ${alarm} went into ALARM`);
        } else {
            say(`alarm ${alarm} is ${alarmState}: not a gate of this rollout in ALARM, ignored`);
        }
    }

    function applyCommand(c: ControlCommand) {
        const log = (applied: boolean, message: string) => {
            say(`${c.kind} from ${c.issuedBy}: ${message}`);
            const entry: AppliedCommand = { kind: c.kind, issuedBy: c.issuedBy, at };
            set({ lastCommandId: c.id, seenCommandIds: [...(s.seenCommandIds ?? []), c.id].slice(-MAX_SEEN_COMMANDS), commandLog: applied ? [...(s.commandLog ?? []), entry] : s.commandLog });
        };
        switch (c.kind) {
            case "abort":
                log(true, "rolling back");
                rollBack("aborted", `aborted by ${c.issuedBy}${c.reason ? ` (${c.reason})` : ""}`);
                return;
            case "pause":
                if (s.phase === "paused") {
                    return log(false, "already paused");
                }
                log(true, `paused at step ${s.stepIndex + 1} of ${s.steps.length}`);
                set({ phase: "paused", pausedBy: c.issuedBy, pausedAt: at, bakeUntil: undefined });
                return;
            case "resume":
                if (s.phase !== "paused") {
                    return log(false, `not paused (${s.phase})`);
                }
                log(true, "resumed");
                resumeAt(now.getTime() + (s.stepIndex >= 0 ? s.steps[s.stepIndex].bakeSeconds * 1000 : 0));
                return;
            case "promote":
                if (s.phase === "progressing") {
                    return log(false, "already moving to the next step once the gates pass");
                }
                log(true, "skipping the rest of this bake");
                resumeAt(now.getTime());
                return;
            case "promote-full": {
                log(true, "moving to the desired split now, skipping the remaining steps and bakes");
                // Keep the steps already written; the final split becomes the next step, with no bake.
                const final = { ...s.steps[s.steps.length - 1], bakeSeconds: 0 };
                const kept = s.steps.slice(0, s.stepIndex + 1);
                set({ steps: s.stepIndex === s.steps.length - 1 ? [...kept.slice(0, -1), final] : [...kept, final] });
                resumeAt(now.getTime());
                return;
            }
        }
    }

    /** Leaves paused (if it was) and ends the current bake at `untilMs`. */
    function resumeAt(untilMs: number) {
        set({ pausedAt: undefined, pausedBy: undefined });
        if (s.stepIndex < 0) {
            set({ phase: "progressing", bakeUntil: undefined });
        } else {
            set({ phase: "baking", bakeUntil: new Date(untilMs).toISOString() });
        }
    }

    function checkAndStep() {
        const last = s.stepIndex === s.steps.length - 1;
        const bakeOver = s.phase === "baking" && s.bakeUntil !== undefined && now.getTime() >= Date.parse(s.bakeUntil);
        const advancing = s.phase === "progressing" || (bakeOver && !last);
        const judged = advancing ? s.steps[s.stepIndex + 1].weights : splitAt(s.steps, s.from, s.stepIndex);
        const readyTimeout = (s.spec.strategy.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS) * 1000;
        const holdHealth = s.stepIndex < 0 && now.getTime() - Date.parse(s.startedAt) < readyTimeout;
        const round = checkGates(s.spec, s.gates, judged, observed, at, holdHealth);
        set({ gates: round.gates });
        if (round.failed) {
            rollBack("rolled-back", `gate ${round.failed.gate} failed ${round.failed.consecutiveFailures} checks in a row: ${round.failed.last?.message}`);
            return;
        }
        if (!round.allPassed) {
            say(`${advancing ? `holding before step ${s.stepIndex + 2}` : "check failed"}: ${round.problems.join("; ")}`);
            return;
        }
        if (s.phase === "paused" || !(advancing || bakeOver)) {
            return;
        }
        if (!advancing) {
            end("promoted", undefined);
            return;
        }
        const index = s.stepIndex + 1;
        const step = s.steps[index];
        set({ stepIndex: index, stepStartedAt: at, phase: "baking", bakeUntil: new Date(now.getTime() + step.bakeSeconds * 1000).toISOString() });
        say(`step ${index + 1} of ${s.steps.length} (${step.percent}%): ${describeAll(s.spec, step.weights)}${step.bakeSeconds > 0 ? `, baking ${step.bakeSeconds}s` : ""}`);
    }
}

function describeAll(spec: ReleaseSpec, split: Readonly<Record<string, Weights>>): string {
    return spec.services.map((svc) => `${svc.service} ${formatWeights(split[svc.service])}`).join(", ");
}

/**
 * Writes that make every live split equal what `state` says, in dependency order for its
 * direction. A sticky service is also written when its entries are not what the state wants
 * (pinned while the rollout runs, at rest once it ended), even at the same weights.
 */
function writesToMatch(state: RolloutState, observed: Observations): SplitWrite[] {
    if (state.steps.length === 0 && Object.keys(state.from).length === 0) {
        return [];
    }
    const expected = expectedSplit(state);
    const rollingBack = isTerminal(state.phase) && state.phase !== "promoted";
    const services = rollingBack ? [...state.spec.services].reverse() : state.spec.services;
    const asWanted = ({ service, sticky }: (typeof services)[number]) =>
        sameWeights(observed.live[service], expected[service]) && (!sticky || stickyEntriesAsWanted(observed.sticky?.[service] ?? {}, service, expected[service], !isTerminal(state.phase)));
    return services.filter((svc) => !asWanted(svc)).map(({ service }) => ({ service, weights: expected[service] }));
}

/** writesToMatch, saying which live splits someone else changed since the previous state. */
function reconcile(previous: RolloutState, next: RolloutState, observed: Observations, say: (m: string) => void): SplitWrite[] {
    const writes = writesToMatch(next, observed);
    const before = previous.phase === "pending" ? next.from : expectedSplit(previous);
    for (const { service } of writes) {
        const live = observed.live[service];
        if (!sameWeights(live, before[service])) {
            say(`${service}: live split is ${live ? formatWeights(live) : "missing"}, not ${formatWeights(before[service])} as the rollout left it; writing it again`);
        }
    }
    return writes;
}

function waitFor(state: RolloutState, now: Date): number {
    const interval = state.spec.strategy.checkIntervalSeconds;
    if (state.phase === "baking" && state.bakeUntil !== undefined) {
        // A bake that is over (or a step without one) is judged again at the usual interval, so that
        // health has had time to reflect the step before the next one.
        const left = Math.ceil((Date.parse(state.bakeUntil) - now.getTime()) / 1000);
        return left > 0 ? Math.min(interval, left) : interval;
    }
    return interval;
}

/** The history record of an ended rollout. */
export function historyOf(state: RolloutState): HistoryRecord {
    return {
        rolloutId: state.rolloutId,
        ...(state.kind ? { kind: state.kind } : {}),
        ...(state.breakGlass ? { breakGlass: true } : {}),
        requestedBy: state.requestedBy,
        startedAt: state.startedAt,
        endedAt: state.endedAt ?? state.updatedAt,
        from: state.from,
        to: Object.fromEntries(state.spec.services.map((svc) => [svc.service, svc.to])),
        result: state.phase,
        reason: state.reason,
        commands: state.commandLog ?? [],
        gates: state.gates,
    };
}
