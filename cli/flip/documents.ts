// What the client accepts from Consul KV before it trusts a document: the rollout's state (of a
// schema version this client knows), the command slot and the history records. Anything else is an
// UnreadableState with one line that names the key and what is wrong, never a TypeError later on.
import { COMMAND_KINDS, ControlCommand, HistoryRecord, ROLLOUT_PHASES, ROLLOUT_SCHEMA_VERSION, RolloutState } from "../../src/rollout/contract";
import { UnreadableState } from "./clientErrors";

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);
const isWeights = (v: unknown) => isObject(v) && typeof v.blue === "number" && typeof v.green === "number";
const isSplit = (v: unknown) => isObject(v) && Object.values(v).every(isWeights);

function unreadable(key: string, problems: readonly string[]): UnreadableState {
    const shown = problems.slice(0, 3).join("; ") + (problems.length > 3 ? `; and ${problems.length - 3} more` : "");
    return new UnreadableState(`${key} in Consul is not a rollout document this client can read: ${shown}`);
}

/**
 * The rollout state, checked field by field for what clients read. A newer schema version is said
 * as such (update the client), whatever else the document holds.
 */
export function rolloutStateOf(value: unknown, key: string): RolloutState {
    if (!isObject(value)) {
        throw unreadable(key, ["it is not a JSON object"]);
    }
    const version = value.schemaVersion;
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
        throw unreadable(key, [`schemaVersion is ${JSON.stringify(version)}, not a schema version (1..${ROLLOUT_SCHEMA_VERSION})`]);
    }
    if (version > ROLLOUT_SCHEMA_VERSION) {
        throw new UnreadableState(
            `${key} in Consul has schema version ${version}, newer than this client knows (up to ${ROLLOUT_SCHEMA_VERSION}): a newer engine wrote it; update this checkout (git pull, npm ci) and run the command again`,
        );
    }
    const problems: string[] = [];
    for (const field of ["rolloutId", "specHash", "requestedBy", "startedAt", "updatedAt"]) {
        if (typeof value[field] !== "string") {
            problems.push(`${field} is not a string`);
        }
    }
    for (const field of ["endedAt", "stepStartedAt", "bakeUntil", "nextCheckAt", "pausedBy", "pausedAt", "lastCommandId", "reason"]) {
        if (value[field] !== undefined && typeof value[field] !== "string") {
            problems.push(`${field} is not a string`);
        }
    }
    if (!ROLLOUT_PHASES.includes(value.phase as RolloutState["phase"])) {
        problems.push(`phase is ${JSON.stringify(value.phase)}, not one of ${ROLLOUT_PHASES.join(", ")}`);
    }
    const spec = value.spec;
    if (!isObject(spec) || typeof spec.stack !== "string" || !Array.isArray(spec.services) || !isObject(spec.strategy) || typeof spec.strategy.checkIntervalSeconds !== "number") {
        problems.push("spec is not a release spec (stack, services, strategy)");
    } else if (!spec.services.every((s: unknown) => isObject(s) && typeof s.service === "string" && isWeights(s.to))) {
        problems.push("spec.services holds an entry without a service name and its { blue, green } split");
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
    if (problems.length > 0) {
        throw unreadable(key, problems);
    }
    return value as unknown as RolloutState;
}

/** The pending command slot. */
export function commandOf(value: unknown, key: string): ControlCommand {
    const problems: string[] = [];
    if (!isObject(value)) {
        throw unreadable(key, ["it is not a JSON object"]);
    }
    for (const field of ["id", "rolloutId", "issuedBy", "issuedAt"]) {
        if (typeof value[field] !== "string") {
            problems.push(`${field} is not a string`);
        }
    }
    if (!COMMAND_KINDS.includes(value.kind as ControlCommand["kind"])) {
        problems.push(`kind is ${JSON.stringify(value.kind)}, not one of ${COMMAND_KINDS.join(", ")}`);
    }
    if (problems.length > 0) {
        throw unreadable(key, problems);
    }
    return value as unknown as ControlCommand;
}

/** One history record. */
export function historyRecordOf(value: unknown, key: string): HistoryRecord {
    const problems: string[] = [];
    if (!isObject(value)) {
        throw unreadable(key, ["it is not a JSON object"]);
    }
    for (const field of ["rolloutId", "requestedBy", "startedAt", "endedAt"]) {
        if (typeof value[field] !== "string") {
            problems.push(`${field} is not a string`);
        }
    }
    if (!ROLLOUT_PHASES.includes(value.result as HistoryRecord["result"])) {
        problems.push(`result is ${JSON.stringify(value.result)}, not a phase`);
    }
    if (!isSplit(value.from) || !isSplit(value.to)) {
        problems.push("from or to is not a split per service");
    }
    if (value.reason !== undefined && typeof value.reason !== "string") {
        problems.push("reason is not a string");
    }
    if (!Array.isArray(value.commands) || !value.commands.every((c: unknown) => isObject(c) && typeof c.kind === "string" && typeof c.issuedBy === "string")) {
        problems.push("commands is not a list of applied commands");
    }
    if (problems.length > 0) {
        throw unreadable(key, problems);
    }
    return value as unknown as HistoryRecord;
}
