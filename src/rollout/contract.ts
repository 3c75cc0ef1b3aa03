// The contract between the rollout engine (Step Functions + the tick Lambda) and every client of it
// (`npm run flip`, the stack's Release resource, an operator with curl). It is the durable state in
// Consul KV, the control commands, the key layout and how each side writes, and how a state maps
// to a health and an exit code. Plain types and pure helpers only: no I/O, no Pulumi, no AWS SDK,
// so the client can import it without pulling in the engine.
//
// STABILITY: the client CLI is built against this file. Changes are additive only (new optional
// fields, new helpers); a field is never renamed or removed and a meaning never changes.
// `ROLLOUT_SCHEMA_VERSION` rises when something is added that a reader may want to detect.
// Version 2 added `pendingWrites` (a state is claimed live only once they are done: isSettled),
// `engineWroteAt` and `engineSilenceLimitSeconds` (engineSilentSince), and `seenCommandIds`
// (commandDone). A version 1 document reads as a version 2 one without pending writes.
// Added within version 2, optional (a reader that ignores it reads the state as before):
// `spec.services[].sticky` (`rollout.sticky`: the engine also writes the service's two sticky
// virtual splitters, and its splitter hands out the sticky cookie while the rollout runs; a
// pending write of such a service stands for all three entries, docs/resilience.md).
// Version 3 (issue 17) runs rollouts of disjoint services at the same time: each rollout has its
// own state and command keys, and the claims document says which rollout each service belongs
// to (the key layout below). It added `kind` ("rollback": an operator's one-write rollback,
// RollbackRequest), `startAfter` and `breakGlass` to the state, and `kind`, `breakGlass` to the
// history record. A reader of version 3 reads 1 and 2 documents (the engine moves a version 2
// stack's one state to its own key, migrateLegacy); a version 2 reader refuses a version 3 one
// (parseRolloutState says to update), so an old client never misreads a newer stack.

export const ROLLOUT_SCHEMA_VERSION = 3;

// Colours, weights and exit codes are the shared ones (src/shared/, which imports nothing), so a
// client that reads this file needs nothing else of the program.
import { EXIT_CODES } from "../shared/exitCodes";
import type { Colour, Weights } from "../shared/weights";

export type { Colour, Weights };

// ---------------------------------------------------------------------------------------------
// Consul KV layout. One Consul cluster per stack, so the prefix needs no stack name.
//
//   bluegreen/rollout/claims                ServiceClaims: for each service, the rollout it belongs to
//                                           (its latest, running or ended). Written only by the
//                                           engine with ?cas=<ModifyIndex>, when a rollout starts.
//   bluegreen/rollout/rollouts/<rolloutId>  RolloutState of one rollout, running or ended. Written
//                                           only by the engine, always with ?cas=<ModifyIndex>
//                                           (?cas=0 to create it). Removed once no claim names it
//                                           and its history record is written.
//   bluegreen/rollout/commands/<rolloutId>  ControlCommand: the rollout's one pending command slot.
//                                           Written by clients with CAS (rules below); the engine
//                                           records the ids it applied in state.seenCommandIds.
//   bluegreen/rollout/history/<key>         HistoryRecord of each ended rollout, written once by the
//                                           engine with ?cas=0. <key> = historyKeySuffix(): sorts by time.
//   bluegreen/rollout/current, .../command  Schema 1-2's one state and command slot: the engine moves
//                                           a state found there to its own key (migrateLegacy).
//
// How a rollout starts (only the engine starts one, at its first tick or a rollback invocation):
// it creates its state (phase pending) with ?cas=0, then claims its services by writing the claims
// document with ?cas=<the claims' ModifyIndex>, only if each of its services still belongs to the
// rollout the client saw (`startAfter`) and that rollout is settled. A rollout that cannot claim
// ends `failed` without writing any split. So a service is only ever moved by the one rollout it
// belongs to, and rollouts of disjoint services run at the same time.
//
// Reading (documented Consul KV API): GET /v1/kv/<key> answers 200 with a JSON list of one entry
// { Key, Value (base64 of the JSON document), ModifyIndex, CreateIndex, Flags, LockIndex }, or 404
// when the key does not exist. GET /v1/kv/<prefix>?recurse answers every entry under the prefix.
// Writing: PUT /v1/kv/<key>?cas=<index> with the raw JSON document as body answers `true` or
// `false`; DELETE /v1/kv/<key>?cas=<index> likewise.
// Every request carries the token as X-Consul-Token, over HTTPS (8501) with the stack's CA.
// A service's live split (what `status` shows): GET /v1/config/service-splitter/<service> answers
// { Kind, Name, Splits: [{ Weight, Service, ServiceSubset: "blue" | "green" }], ModifyIndex, ... }
// or 404 while the service has no splitter (src/rollout/consulApi.ts weightsOfEntry reads it).
// The engine writes a splitter with PUT /v1/config?cas=<the entry's ModifyIndex> (documented
// check-and-set of config entries), so a slower invocation's late write never lands over a newer one.
// ---------------------------------------------------------------------------------------------

export const ROLLOUT_KV_PREFIX = "bluegreen/rollout/";
export const CLAIMS_KEY = `${ROLLOUT_KV_PREFIX}claims`;
export const ROLLOUTS_PREFIX = `${ROLLOUT_KV_PREFIX}rollouts/`;
const COMMANDS_PREFIX = `${ROLLOUT_KV_PREFIX}commands/`;
export const ROLLOUT_HISTORY_PREFIX = `${ROLLOUT_KV_PREFIX}history/`;
/** Schema 1-2's one rollout state of the stack: read only to move it to its own key. */
export const LEGACY_STATE_KEY = `${ROLLOUT_KV_PREFIX}current`;

export function rolloutStateKey(rolloutId: string): string {
    return `${ROLLOUTS_PREFIX}${rolloutId}`;
}

export function rolloutCommandKey(rolloutId: string): string {
    return `${COMMANDS_PREFIX}${rolloutId}`;
}

/** The rollout a service belongs to: its latest, running or ended. */
interface ServiceClaim {
    readonly rolloutId: string;
    readonly claimedAt: string;
}

/** The document at CLAIMS_KEY. */
export interface ServiceClaims {
    readonly schemaVersion: number;
    readonly services: Readonly<Record<string, ServiceClaim>>;
}

/** Checks a claims document; `error` completes "bluegreen/rollout/claims in Consul ...". */
export function parseServiceClaims(value: unknown): { readonly ok: true; readonly claims: ServiceClaims } | { readonly ok: false; readonly error: string } {
    if (!isObject(value) || typeof value.schemaVersion !== "number" || !isObject(value.services)) {
        return { ok: false, error: "is not a claims document ({ schemaVersion, services })" };
    }
    if (value.schemaVersion > ROLLOUT_SCHEMA_VERSION) {
        return { ok: false, error: `has schema version ${value.schemaVersion}, newer than this client knows (up to ${ROLLOUT_SCHEMA_VERSION}): update this checkout (git pull, npm ci)` };
    }
    const bad = Object.entries(value.services).filter(([, c]) => !isObject(c) || typeof c.rolloutId !== "string" || typeof c.claimedAt !== "string");
    if (bad.length > 0) {
        return { ok: false, error: `holds a claim that is not { rolloutId, claimedAt }: ${bad.map(([s]) => s).join(", ")}` };
    }
    return { ok: true, claims: value as unknown as ServiceClaims };
}

/** One entry of GET /v1/kv/<key> as Consul documents it. */
export interface ConsulKvEntry {
    readonly Key: string;
    /** Base64 of the stored bytes; null for a key stored with an empty body. */
    readonly Value: string | null;
    readonly CreateIndex: number;
    readonly ModifyIndex: number;
    readonly LockIndex: number;
    readonly Flags: number;
}

/** The history key of a rollout: its start time in sortable form, then its id. */
export function historyKeySuffix(startedAt: string, rolloutId: string): string {
    return `${startedAt.replace(/[-:.]/g, "")}-${rolloutId}`;
}

// ---------------------------------------------------------------------------------------------
// What a rollout is asked to do (the Release resource's StartExecution input, kept in the state).
// ---------------------------------------------------------------------------------------------

/** The gates of one service, judged by the engine before each step and during each bake. */
interface ServiceGateSpec {
    /** Passing instances each colour needs while it has weight above 0 (from `gate.minHealthy` or the colour's count). */
    readonly required: Readonly<Record<Colour, number>>;
    /** CloudWatch alarms that must not be in ALARM. */
    readonly alarms: readonly string[];
    /** Consecutive failed checks after which the gate fails and the release rolls back. */
    readonly failureThreshold: number;
    /** `gate.skip`: health is not judged for this service (alarms still are). */
    readonly skipHealth: boolean;
    /**
     * Metric analysis settings (issue 12: green compared with blue), when the service asks for it.
     * The engine judges it through its analysis dependency as gate `analysis:<service>`; a verdict
     * of "inconclusive" holds the step without counting as a failed check.
     */
    readonly analysis?: Readonly<Record<string, unknown>>;
}

export interface ServiceReleaseSpec {
    readonly service: string;
    /** The desired split: the service's `traffic` in the stack file. */
    readonly to: Weights;
    /** Services this one calls that are also in the release (promote: callees first). */
    readonly upstreams: readonly string[];
    readonly gate: ServiceGateSpec;
    /**
     * `rollout.sticky`: the engine writes the service's sticky entries with its splitter (the two
     * virtual services' splitters, pinned to a weighted colour while the rollout runs, and the
     * cookie on the splitter's splits while it runs; at rest once it ended). Absent: false.
     */
    readonly sticky?: boolean;
}

export interface RolloutStrategy {
    /**
     * Percent of the way from the live split to the desired one, rising, each 1..100; 100 is
     * implied as the last step. [] = one step straight to the desired split.
     */
    readonly steps: readonly number[];
    /** Bake after a step, in seconds (0 = none). */
    readonly bakeSeconds: number;
    /** true: bake after every step; false: one bake, after the last step only. */
    readonly bakeEachStep: boolean;
    /** Seconds between two checks of the gates (the Wait between ticks). */
    readonly checkIntervalSeconds: number;
    /**
     * Before the first step only: how long (from the start) failing health checks hold the rollout
     * instead of counting as failures, so that a `pulumi up` that starts a colour's tasks and moves
     * weight to it in one go waits for them. Alarm checks always count. Absent = 300.
     */
    readonly readyTimeoutSeconds?: number;
}

/** The desired state of a release of one or more services, as the stack file says. */
export interface ReleaseSpec {
    readonly stack: string;
    /** In dependency order, callees first (the order steps are written when promoting). */
    readonly services: readonly ServiceReleaseSpec[];
    readonly strategy: RolloutStrategy;
}

// ---------------------------------------------------------------------------------------------
// Durable state (bluegreen/rollout/rollouts/<rolloutId>).
// ---------------------------------------------------------------------------------------------

/**
 * - pending: the execution started; the engine has not read the live split yet.
 * - progressing: checking gates before the next step, or writing it.
 * - baking: at a step, waiting its bake time while the gates are checked.
 * - paused: held by an operator (`pause`) until `resume`, `promote` or `abort`; gates still checked.
 * - promoted: every service reached its desired split. Terminal, healthy.
 * - rolled-back: a gate failed; the engine restored the split the rollout started from. Terminal, degraded.
 * - aborted: an operator aborted; the engine restored the starting split. Terminal, degraded.
 * - failed: the engine itself failed (the state machine's Catch); it tried to restore the starting
 *   split, `restored` says whether that worked. Terminal, degraded.
 */
export const ROLLOUT_PHASES = ["pending", "progressing", "baking", "paused", "promoted", "rolled-back", "aborted", "failed"] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];
const TERMINAL_PHASES: readonly RolloutPhase[] = ["promoted", "rolled-back", "aborted", "failed"];

export function isTerminal(phase: RolloutPhase): boolean {
    return TERMINAL_PHASES.includes(phase);
}

/** The state still has splitter writes Consul has not acknowledged: what it says is not all live. */
export function hasPendingWrites(state: RolloutState): boolean {
    return (state.pendingWrites ?? []).length > 0;
}

/**
 * The rollout has ended AND every split its state claims is live. Only then may a client report
 * its result (`promoted`, `rolled-back`, ...) as what Consul runs, or start another rollout.
 */
export function isSettled(state: RolloutState): boolean {
    return isTerminal(state.phase) && !hasPendingWrites(state);
}

/**
 * How long past engineSilenceLimitSeconds a client waits before it says no engine works on a
 * rollout: the watchdog runs every minute and one run lasts at most the function's 60 s timeout,
 * so by then it has ended the rollout unless it cannot reach Consul either.
 */
export const ENGINE_SILENCE_GRACE_SECONDS = 180;

/**
 * When the engine went silent on an unsettled rollout, if it has been silent for longer than the
 * bound a working engine keeps (state.engineSilenceLimitSeconds): the ISO time of its last write,
 * else undefined. A silent rollout has no engine working on it: the watchdog ends it within a
 * minute or two of this; a client says so instead of waiting for it.
 */
export function engineSilentSince(state: RolloutState, nowMs: number, graceSeconds = 0): string | undefined {
    const wrote = state.engineWroteAt ?? state.updatedAt;
    const limit = state.engineSilenceLimitSeconds;
    if (isSettled(state) || limit === undefined || !Number.isFinite(Date.parse(wrote))) {
        return undefined;
    }
    return nowMs - Date.parse(wrote) > (limit + graceSeconds) * 1000 ? wrote : undefined;
}

/** One planned step: the split of every service of the release once the step is written. */
export interface RolloutStep {
    /** Percent of the way (100 = the desired split). */
    readonly percent: number;
    readonly weights: Readonly<Record<string, Weights>>;
    /** Bake after this step, seconds. */
    readonly bakeSeconds: number;
}

/** The outcome of one gate check, with the figures it used. */
export interface GateCheck {
    readonly at: string;
    readonly ok: boolean;
    /** One line, for example "orders/green has 1 passing instance of 2 required (weight 10%)". */
    readonly message: string;
    /** Not ok, but not a failure either (too little traffic to judge): the step holds, nothing counts. */
    readonly inconclusive?: boolean;
    /** The figures the check used (analysis gates), for history and status. */
    readonly figures?: Readonly<Record<string, number>>;
}

/** A gate: `health:<service>`, `alarm:<alarm name>` or `analysis:<service>`. */
export interface GateState {
    readonly gate: string;
    readonly consecutiveFailures: number;
    readonly failureThreshold: number;
    readonly last?: GateCheck;
}

export interface RolloutEvent {
    readonly at: string;
    readonly message: string;
}

/**
 * One splitter write the engine decided, recorded in the state before it is made. For a sticky
 * service (spec.services[].sticky) it stands for every entry of the service's traffic: the two
 * virtual splitters and the splitter, at rest when the state's phase is terminal, else pinned.
 */
export interface SplitWrite {
    readonly service: string;
    readonly weights: Weights;
}

/**
 * - release: a change of the stack file, carried out step by step with its gates (started by `pulumi up`).
 * - rollback: an operator's rollback (`flip rollback`): one write to the split asked for, no steps,
 *   no bake, no gates; started and ended within one engine invocation (RollbackRequest).
 */
export type RolloutKind = "release" | "rollback";

export interface RolloutState {
    readonly schemaVersion: number;
    /** The Step Functions execution's name for a release; `<stack>-rollback-<request id>` for a rollback. */
    readonly rolloutId: string;
    /** Absent: release. */
    readonly kind?: RolloutKind;
    /**
     * For each service, the rollout it belonged to when the client asked for this one ("" when
     * none): the rollout claims its services only if each still belongs to that one, and it is settled.
     */
    readonly startAfter?: Readonly<Record<string, string>>;
    /** A rollback written by `flip rollback --break-glass` with an operator's token, not by the engine's function. */
    readonly breakGlass?: boolean;
    /** sha256 of the canonical ReleaseSpec: the same desired state gives the same hash. */
    readonly specHash: string;
    readonly spec: ReleaseSpec;
    readonly phase: RolloutPhase;
    /** Who started it (the `pulumi up` user and host), and how. */
    readonly requestedBy: string;
    readonly startedAt: string;
    readonly updatedAt: string;
    readonly endedAt?: string;
    /** The live split of each service when the rollout started (what a rollback restores). */
    readonly from: Readonly<Record<string, Weights>>;
    readonly steps: readonly RolloutStep[];
    /** Index of the last step written; -1 before the first. */
    readonly stepIndex: number;
    /** When the current step was written (ISO). */
    readonly stepStartedAt?: string;
    /** End of the current bake (ISO), while baking. */
    readonly bakeUntil?: string;
    /** When the engine will look again (ISO); absent once terminal. */
    readonly nextCheckAt?: string;
    readonly gates: readonly GateState[];
    /** Who paused and when, while paused. */
    readonly pausedBy?: string;
    readonly pausedAt?: string;
    /** The id of the last ControlCommand applied (or refused). */
    readonly lastCommandId?: string;
    /**
     * The ids of the last MAX_SEEN_COMMANDS commands applied or refused, oldest first: a command
     * whose id is here is never applied again (a duplicate, stale or replayed write of the slot).
     * Use commandDone() to know whether a command took effect.
     */
    readonly seenCommandIds?: readonly string[];
    /**
     * Splitter writes this state needs that Consul has not acknowledged yet, in the order they are
     * made. While any is pending, the state's phase, step, `promoted`, `rolled-back` or `restored`
     * is NOT live: the writer finishes them, and any engine invocation that reads this state
     * finishes them before it does anything else. Absent or empty: every split the state says is
     * live (isSettled).
     */
    readonly pendingWrites?: readonly SplitWrite[];
    /** When an engine invocation last wrote this state (ISO; the engine's clock, for display and the watchdog only). */
    readonly engineWroteAt?: string;
    /**
     * How long a working engine may go without writing this state (its Wait plus a tick and the
     * Catch past all their retries, src/rollout/render/stateMachine.ts): silent longer, no engine is
     * working on it (engineSilentSince), and the watchdog ends it.
     */
    readonly engineSilenceLimitSeconds?: number;
    /** Why it ended, for any terminal phase but promoted; the gate's message for rolled-back. */
    readonly reason?: string;
    /** failed only: whether the starting split was written back. */
    readonly restored?: boolean;
    /** The latest events, oldest first, at most MAX_EVENTS. */
    readonly events: readonly RolloutEvent[];
    /** Every command applied, in order (what history records). */
    readonly commandLog?: readonly AppliedCommand[];
}

// ---------------------------------------------------------------------------------------------
// Reading a state document: what every reader (the engine, `pulumi up`, the flip client) accepts
// before it trusts one, so a malformed or newer document is said plainly, never a TypeError later.
// ---------------------------------------------------------------------------------------------

export type ParsedRolloutState = { readonly ok: true; readonly state: RolloutState } | { readonly ok: false; readonly error: string };

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);
const isWeights = (v: unknown) => isObject(v) && typeof v.blue === "number" && typeof v.green === "number";
const isSplit = (v: unknown) => isObject(v) && Object.values(v).every(isWeights);

/**
 * Checks a state document field by field for what readers use. `error` completes a sentence that
 * starts with where the document is ("bluegreen/rollout/rollouts/<id> in Consul ..."): a newer schema
 * version says so (update the reader) whatever else the document holds.
 */
export function parseRolloutState(value: unknown): ParsedRolloutState {
    const unreadable = (problems: readonly string[]): ParsedRolloutState => ({
        ok: false,
        error: `is not a rollout document this client can read: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? `; and ${problems.length - 3} more` : ""}`,
    });
    if (!isObject(value)) {
        return unreadable(["it is not a JSON object"]);
    }
    const version = value.schemaVersion;
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
        return unreadable([`schemaVersion is ${JSON.stringify(version)}, not a schema version (1..${ROLLOUT_SCHEMA_VERSION})`]);
    }
    if (version > ROLLOUT_SCHEMA_VERSION) {
        return {
            ok: false,
            error: `has schema version ${version}, newer than this client knows (up to ${ROLLOUT_SCHEMA_VERSION}): a newer engine wrote it; update this checkout (git pull, npm ci) and run the command again`,
        };
    }
    const problems: string[] = [];
    for (const field of ["rolloutId", "specHash", "requestedBy", "startedAt", "updatedAt"]) {
        if (typeof value[field] !== "string") {
            problems.push(`${field} is not a string`);
        }
    }
    for (const field of ["endedAt", "stepStartedAt", "bakeUntil", "nextCheckAt", "pausedBy", "pausedAt", "lastCommandId", "reason", "engineWroteAt"]) {
        if (value[field] !== undefined && typeof value[field] !== "string") {
            problems.push(`${field} is not a string`);
        }
    }
    if (!ROLLOUT_PHASES.includes(value.phase as RolloutPhase)) {
        problems.push(`phase is ${JSON.stringify(value.phase)}, not one of ${ROLLOUT_PHASES.join(", ")}`);
    }
    const spec = value.spec;
    if (!isObject(spec) || typeof spec.stack !== "string" || !Array.isArray(spec.services) || !isObject(spec.strategy) || typeof spec.strategy.checkIntervalSeconds !== "number") {
        problems.push("spec is not a release spec (stack, services, strategy)");
    } else if (!spec.services.every((s: unknown) => isObject(s) && typeof s.service === "string" && isWeights(s.to))) {
        problems.push("spec.services holds an entry without a service name and its { blue, green } split");
    } else if (!spec.services.every((s: unknown) => isObject(s) && (s.sticky === undefined || typeof s.sticky === "boolean"))) {
        problems.push("spec.services holds a sticky that is not true or false");
    }
    if (!isSplit(value.from)) {
        problems.push("from is not a split per service");
    }
    if (!Array.isArray(value.steps) || !value.steps.every((s: unknown) => isObject(s) && typeof s.percent === "number" && isSplit(s.weights))) {
        problems.push("steps is not a list of steps");
    }
    if (typeof value.stepIndex !== "number" || !Number.isInteger(value.stepIndex) || value.stepIndex < -1 || (Array.isArray(value.steps) && value.stepIndex >= value.steps.length)) {
        problems.push(`stepIndex is ${JSON.stringify(value.stepIndex)}, not -1 or the index of a step`);
    }
    if (!Array.isArray(value.gates) || !value.gates.every((g: unknown) => isObject(g) && typeof g.gate === "string" && typeof g.consecutiveFailures === "number")) {
        problems.push("gates is not a list of gates");
    }
    if (!Array.isArray(value.events) || !value.events.every((e: unknown) => isObject(e) && typeof e.at === "string" && typeof e.message === "string")) {
        problems.push("events is not a list of { at, message }");
    }
    if (value.commandLog !== undefined && (!Array.isArray(value.commandLog) || !value.commandLog.every((c: unknown) => isObject(c) && typeof c.kind === "string" && typeof c.issuedBy === "string"))) {
        problems.push("commandLog is not a list of applied commands");
    }
    if (value.pendingWrites !== undefined && (!Array.isArray(value.pendingWrites) || !value.pendingWrites.every((w: unknown) => isObject(w) && typeof w.service === "string" && isWeights(w.weights)))) {
        problems.push("pendingWrites is not a list of { service, weights }");
    }
    if (value.seenCommandIds !== undefined && (!Array.isArray(value.seenCommandIds) || !value.seenCommandIds.every((id: unknown) => typeof id === "string"))) {
        problems.push("seenCommandIds is not a list of command ids");
    }
    if (value.engineSilenceLimitSeconds !== undefined && (typeof value.engineSilenceLimitSeconds !== "number" || !(value.engineSilenceLimitSeconds > 0))) {
        problems.push("engineSilenceLimitSeconds is not a positive number");
    }
    if (value.restored !== undefined && typeof value.restored !== "boolean") {
        problems.push("restored is not true or false");
    }
    if (value.kind !== undefined && value.kind !== "release" && value.kind !== "rollback") {
        problems.push(`kind is ${JSON.stringify(value.kind)}, not release or rollback`);
    }
    if (value.startAfter !== undefined && (!isObject(value.startAfter) || !Object.values(value.startAfter).every((v) => typeof v === "string"))) {
        problems.push("startAfter is not a rollout id per service");
    }
    if (value.breakGlass !== undefined && typeof value.breakGlass !== "boolean") {
        problems.push("breakGlass is not true or false");
    }
    return problems.length > 0 ? unreadable(problems) : { ok: true, state: value as unknown as RolloutState };
}

export interface AppliedCommand {
    readonly kind: CommandKind;
    readonly issuedBy: string;
    readonly at: string;
}

export const MAX_EVENTS = 50;

// ---------------------------------------------------------------------------------------------
// Control commands (bluegreen/rollout/commands/<rolloutId>).
//
// A client writes a command like this:
//   1. Find the rollout: the one the service belongs to (CLAIMS_KEY), or the rollout id asked for;
//      GET its state; refuse if its phase is terminal (a command applies to a running rollout only).
//   2. GET its command slot. If it exists and commandSlotFree() says no, another command is
//      pending: refuse ("a <kind> from <issuedBy> is pending") or wait one check interval.
//   3. PUT the slot ?cas=<its ModifyIndex> (cas=0 when it did not exist) with the new ControlCommand
//      (a fresh random id, the rolloutId from step 1). `false` means another client wrote first:
//      start again at 1.
//   4. Watch the rollout's state until commandDone(state, id): it was applied then (or refused:
//      the last event says why), and any split it changed is live. The engine applies it at its
//      next tick, at most one check interval later.
// The engine ignores a command whose rolloutId is not its rollout's (a stale command), and one
// whose id it has seen before (a duplicate or a replayed old write of the slot).
// A rollback (RollbackRequest) is not a command: the client invokes the engine's function with it,
// which aborts the running rollouts of its services and writes the split at once.
// ---------------------------------------------------------------------------------------------

/**
 * - pause: hold at the current step (no further step; gates still checked and still roll back).
 * - resume: continue a paused rollout (its bake restarts from the resume).
 * - promote: skip the rest of the current bake and write the next step now (at the last step:
 *   end promoted now).
 * - promote-full: make the desired split the next step, with no bake, skipping every remaining
 *   step and bake; it ends promoted at the check after it is written.
 *   Neither skips the gates: a step is written only when every gate passes for it (the weighted
 *   colours have their passing instances, no gated alarm is in ALARM); until then it holds.
 * - abort: restore the starting split now; the rollout ends `aborted`.
 */
export const COMMAND_KINDS = ["pause", "resume", "promote", "promote-full", "abort"] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

export interface ControlCommand {
    /** Random, unique (for example crypto.randomUUID()). */
    readonly id: string;
    readonly rolloutId: string;
    readonly kind: CommandKind;
    /** `user@host` of the client. */
    readonly issuedBy: string;
    readonly issuedAt: string;
    readonly reason?: string;
}

/** How many command ids the state remembers (seenCommandIds). */
export const MAX_SEEN_COMMANDS = 20;

/** The engine has taken command `id` (applied or refused it), and what it changed is live. */
export function commandSeen(state: RolloutState, id: string): boolean {
    return state.lastCommandId === id || (state.seenCommandIds ?? []).includes(id);
}

/** Step 4 of the rule above: the command took effect (or was refused), and its splits are live. */
export function commandDone(state: RolloutState, id: string): boolean {
    return commandSeen(state, id) && !hasPendingWrites(state);
}

/** The client's rule of step 2: may a new command be written over `existing`? */
export function commandSlotFree(existing: ControlCommand | undefined, state: RolloutState): boolean {
    return existing === undefined || commandSeen(state, existing.id) || existing.rolloutId !== state.rolloutId;
}

// ---------------------------------------------------------------------------------------------
// Rollback (`npm run flip -- rollback`): invoked on the engine's function, synchronously.
// ---------------------------------------------------------------------------------------------

/** What `flip rollback` asks the engine: move these services to these splits, in one write each. */
export interface RollbackRequest {
    /** Random, unique; the rollback's rolloutId is rollbackIdFor(stack, id), so a retried invocation continues it. */
    readonly id: string;
    readonly stack: string;
    /** In the order they are written (callers first). */
    readonly services: readonly { readonly service: string; readonly to: Weights }[];
    /** `user@host` of the client. */
    readonly issuedBy: string;
    readonly issuedAt: string;
    readonly reason?: string;
    /** Set when `--force` overrode the check of the destination's passing instances: the risk, as the client stated it. */
    readonly forced?: string;
}

/** The rolloutId of a rollback: a valid execution-style name (at most 80 letters, digits, `-`, `_`), like a release's. */
export function rollbackIdFor(stack: string, requestId: string): string {
    const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "_");
    return `${safe(stack).slice(0, 34)}-rollback-${safe(requestId).slice(0, 36)}`;
}

// ---------------------------------------------------------------------------------------------
// History (bluegreen/rollout/history/<key>).
// ---------------------------------------------------------------------------------------------

export interface HistoryRecord {
    readonly rolloutId: string;
    /** Absent: release. */
    readonly kind?: RolloutKind;
    /** A rollback written with an operator's token by `flip rollback --break-glass`. */
    readonly breakGlass?: boolean;
    readonly requestedBy: string;
    readonly startedAt: string;
    readonly endedAt: string;
    readonly from: Readonly<Record<string, Weights>>;
    readonly to: Readonly<Record<string, Weights>>;
    readonly result: RolloutPhase;
    readonly reason?: string;
    /** The commands applied during the rollout, in order. */
    readonly commands: readonly AppliedCommand[];
    /** Each gate as it stood at the end: its last check, with the figures it used. */
    readonly gates?: readonly GateState[];
}

// ---------------------------------------------------------------------------------------------
// Health and exit codes, after `kubectl argo rollouts status` (0 when healthy, an error otherwise).
// ---------------------------------------------------------------------------------------------

/**
 * - Healthy: no rollout ran, or the last one promoted and the live split equals its desired split.
 * - Progressing: a rollout is running (pending, progressing, baking).
 * - Paused: a rollout is held by an operator.
 * - Degraded: the last rollout was rolled back, aborted or failed (git says the new split, the
 *   platform runs the old one and says so), or the live split differs from what the state says.
 */
export type RolloutHealth = "Healthy" | "Progressing" | "Paused" | "Degraded";

export function healthOf(state: RolloutState | undefined): RolloutHealth {
    if (state === undefined) {
        return "Healthy";
    }
    if (isTerminal(state.phase) && hasPendingWrites(state)) {
        // Ended, but its last splits are still being written: not yet what Consul runs.
        return "Progressing";
    }
    switch (state.phase) {
        case "promoted":
            return "Healthy";
        case "paused":
            return "Paused";
        case "pending":
        case "progressing":
        case "baking":
            return "Progressing";
        default:
            return "Degraded";
    }
}

/** The exit code of a client that reports a rollout of this health (src/shared/exitCodes.ts). */
export function exitCodeOf(health: RolloutHealth): number {
    switch (health) {
        case "Healthy":
            return EXIT_CODES.OK;
        case "Degraded":
            return EXIT_CODES.DEGRADED;
        default:
            return EXIT_CODES.NOT_DONE;
    }
}

// ---------------------------------------------------------------------------------------------
// A rollout's id.
// ---------------------------------------------------------------------------------------------

/**
 * A rollout's id, also its Step Functions execution name (at most 80 letters, digits, `-`, `_`):
 * `<stack>-<first 16 hex of specHash>-<attempt>`. The same desired state gives the same id, so a
 * retried `pulumi up` attaches to the running execution instead of starting a second; `attempt`
 * rises only when an earlier attempt of the same desired state has ended.
 */
export function rolloutIdFor(stack: string, specHash: string, attempt: number): string {
    const safeStack = stack.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 50);
    return `${safeStack}-${specHash.slice(0, 16)}-${attempt}`;
}
