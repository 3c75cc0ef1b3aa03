// What the client accepts from Consul KV before it trusts a document: the rollout's state (of a
// schema version this client knows: the contract's parseRolloutState), the command slot and the
// history records. Anything else is an UnreadableState with one line that names the key and what is
// wrong, never a TypeError later on.
import { COMMAND_KINDS, ControlCommand, HistoryRecord, parseRolloutState, ROLLOUT_PHASES, RolloutState } from "../../src/rollout/contract";
import { UnreadableState } from "./clientErrors";

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);
const isWeights = (v: unknown) => isObject(v) && typeof v.blue === "number" && typeof v.green === "number";
const isSplit = (v: unknown) => isObject(v) && Object.values(v).every(isWeights);

function unreadable(key: string, problems: readonly string[]): UnreadableState {
    const shown = problems.slice(0, 3).join("; ") + (problems.length > 3 ? `; and ${problems.length - 3} more` : "");
    return new UnreadableState(`${key} in Consul is not a rollout document this client can read: ${shown}`);
}

/** The rollout state, as the contract's parseRolloutState accepts it (one home for that rule). */
export function rolloutStateOf(value: unknown, key: string): RolloutState {
    const parsed = parseRolloutState(value);
    if (!parsed.ok) {
        throw new UnreadableState(`${key} in Consul ${parsed.error}`);
    }
    return parsed.state;
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
    if (value.kind !== undefined && value.kind !== "release" && value.kind !== "rollback") {
        problems.push(`kind is ${JSON.stringify(value.kind)}, not release or rollback`);
    }
    if (value.breakGlass !== undefined && typeof value.breakGlass !== "boolean") {
        problems.push("breakGlass is not true or false");
    }
    if (!Array.isArray(value.commands) || !value.commands.every((c: unknown) => isObject(c) && typeof c.kind === "string" && typeof c.issuedBy === "string")) {
        problems.push("commands is not a list of applied commands");
    }
    if (problems.length > 0) {
        throw unreadable(key, problems);
    }
    return value as unknown as HistoryRecord;
}
