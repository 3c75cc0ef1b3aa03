// The health of one service, from the rollout it belongs to (the claims document), its live split
// and, when the reader has it, the stack file's `traffic`: what `flip status` shows per service and
// what `pulumi up` warns about. One rule for every row of the consistency table in docs/rollouts.md:
// - Progressing / Paused while its rollout runs (or has splitter writes pending);
// - Degraded when the live split is not what its rollout left (drift), when no engine works on its
//   running rollout, or when its last rollout did not promote (rolled back by a gate or an alarm,
//   aborted, failed, or an operator's rollback) and the stack file is not known to ask for what runs;
// - Healthy otherwise: its last rollout promoted, or the stack file asks for exactly what runs.
import { engineSilentSince, hasPendingWrites, isTerminal, RolloutHealth, RolloutState, Weights } from "./contract";
import { expectedSplit } from "./decide";
import { formatWeights, sameWeights } from "../shared/weights";

export interface ServiceHealth {
    readonly service: string;
    readonly health: RolloutHealth;
    /** One line: why. */
    readonly message: string;
    /** The rollout the service belongs to, when any. */
    readonly rolloutId?: string;
}

const split = (w: Weights | null | undefined) => (w ? formatWeights(w) : "none");
const time = (iso: string | undefined) => (iso ? iso.replace(/\.\d{3}Z$/, "Z") : "-");

/** How a rollout that ended without promoting is told (an operator's rollback says who and why). */
function endedAs(state: RolloutState): string {
    if (state.kind === "rollback") {
        return `rolled back by ${state.requestedBy}${state.breakGlass ? " (break-glass)" : ""} at ${time(state.endedAt)}${state.reason ? `: ${state.reason}` : ""}`;
    }
    return `rollout ${state.rolloutId} ${state.phase}${state.reason ? `: ${state.reason}` : ""}`;
}

/**
 * @param state the rollout the service belongs to (undefined: none ever ran on it)
 * @param live its live split (null: no splitter)
 * @param stackFile its `traffic` in the stack file, when the reader has the file
 */
export function serviceHealth(service: string, state: RolloutState | undefined, live: Weights | null, stackFile: Weights | undefined, nowMs: number): ServiceHealth {
    const asksForLive = stackFile !== undefined && live !== null && sameWeights(stackFile, live);
    if (state === undefined) {
        const note = stackFile && live && !asksForLive ? `; the stack file asks for ${split(stackFile)} (pulumi up starts it)` : "";
        return { service, health: "Healthy", message: `no rollout has run on ${service}; it runs ${split(live)}${note}` };
    }
    const rolloutId = state.rolloutId;
    const silent = engineSilentSince(state, nowMs);
    if (silent !== undefined) {
        return { service, rolloutId, health: "Degraded", message: `rollout ${rolloutId} is ${state.phase}, but no engine has written its state since ${time(silent)}; the watchdog ends it and restores its starting split` };
    }
    if (!isTerminal(state.phase) || hasPendingWrites(state)) {
        const health: RolloutHealth = state.phase === "paused" ? "Paused" : "Progressing";
        const doing = isTerminal(state.phase) ? `ended ${state.phase}; its splits are being written` : state.phase;
        return { service, rolloutId, health, message: `rollout ${rolloutId} is ${doing}` };
    }
    const expected = expectedSplit(state)[service];
    if (expected !== undefined && !sameWeights(live ?? undefined, expected)) {
        return { service, rolloutId, health: "Degraded", message: `${service} runs ${split(live)}, but its last rollout ${rolloutId} left ${split(expected)} (changed behind the engine)` };
    }
    if (state.phase === "promoted" && state.kind !== "rollback") {
        const note = stackFile && !asksForLive ? `; the stack file asks for ${split(stackFile)} (pulumi up starts it)` : "";
        return { service, rolloutId, health: "Healthy", message: `rollout ${rolloutId} promoted at ${time(state.endedAt)}${note}` };
    }
    if (asksForLive) {
        return { service, rolloutId, health: "Healthy", message: `${endedAs(state)}; the stack file asks for what runs (${split(live)})` };
    }
    const asked = stackFile ? `the stack file asks for ${split(stackFile)}` : "the stack file (not read here) may still ask for another split";
    const advice =
        state.kind === "rollback"
            ? "commit the stack file flip rollback wrote, so that git says what runs"
            : "fix the cause and retry (BLUEGREEN_ROLLOUT_RETRY=1 pulumi up), or set the stack file back to what runs";
    return { service, rolloutId, health: "Degraded", message: `${endedAs(state)}; ${service} runs ${split(live)}, ${asked}: ${advice}` };
}

const ORDER: readonly RolloutHealth[] = ["Healthy", "Progressing", "Paused", "Degraded"];

/** A stack's health: its worst service's (Degraded over Paused over Progressing over Healthy). */
export function worstHealth(healths: readonly RolloutHealth[]): RolloutHealth {
    return healths.reduce<RolloutHealth>((worst, h) => (ORDER.indexOf(h) > ORDER.indexOf(worst) ? h : worst), "Healthy");
}
