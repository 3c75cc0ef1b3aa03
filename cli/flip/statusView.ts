// What `status` and `history` print: the rollout's phase, health, step and next check, each
// service's live split from Consul beside what the rollout says it should be, the gates and the
// latest events; and the table of past rollouts. Pure formatting of what was read.
import { engineSilentSince, hasPendingWrites, healthOf, HistoryRecord, isTerminal, RolloutHealth, RolloutState, Weights } from "../../src/rollout/contract";
import { expectedSplit } from "../../src/rollout/decide";
import { formatWeights, sameWeights } from "../../src/shared/weights";
import { renderTable } from "../shared/trafficTable";

export interface StatusReport {
    readonly stack: string;
    readonly health: RolloutHealth;
    /** Why the health is what it is, in one line. */
    readonly message: string;
    readonly rollout?: RolloutState;
    /** Each service's live split as its service-splitter says (null: no splitter). */
    readonly live: Readonly<Record<string, Weights | null>>;
    /** What the state says each service should run now (absent without a rollout). */
    readonly expected?: Readonly<Record<string, Weights>>;
    /** Each service's `traffic` in the stack file, when the client has it. */
    readonly stackFile?: Readonly<Record<string, Weights>>;
    /** Services whose live split differs from what the ended rollout left (the reason it is Degraded). */
    readonly drifted?: readonly string[];
}

function split(w: Weights | null | undefined): string {
    return w ? formatWeights(w) : "none";
}

const time = (iso: string | undefined) => (iso ? iso.replace(/\.\d{3}Z$/, "Z") : "-");

/**
 * The health of a stack from its state and live splits: Degraded also when the live split drifted,
 * and when no engine works on a running rollout any more (engineSilentSince at `nowMs`).
 */
export function statusReport(
    stack: string,
    state: RolloutState | undefined,
    live: Readonly<Record<string, Weights | null>>,
    stackFile?: Readonly<Record<string, Weights>>,
    nowMs?: number,
): StatusReport {
    if (!state) {
        const pending = Object.keys(live).filter((s) => stackFile?.[s] && live[s] && !sameWeights(live[s] ?? undefined, stackFile[s]));
        const message = pending.length > 0 ? `no rollout has run in this stack; the stack file asks for a new split of ${pending.join(", ")} (pulumi up starts it)` : "no rollout has run in this stack";
        return { stack, health: healthOf(undefined), message, live, stackFile };
    }
    const expected = expectedSplit(state);
    const silent = nowMs === undefined ? undefined : engineSilentSince(state, nowMs);
    if (silent !== undefined) {
        const message =
            `rollout ${state.rolloutId} is ${state.phase}${hasPendingWrites(state) ? " with splitter writes pending" : ""}, but no engine has written its state since ${time(silent)}: ` +
            `its execution is gone; the watchdog ends it and restores the starting split within minutes (if it cannot reach Consul either, see the Lambda's log group)`;
        return { stack, health: "Degraded", message, rollout: state, live, expected, stackFile };
    }
    const drifted = Object.keys(expected).filter((service) => service in live && !sameWeights(live[service] ?? undefined, expected[service]));
    const health = healthOf(state);
    // While a rollout runs, the engine puts a drifted split back at its next tick.
    if (drifted.length > 0 && isTerminal(state.phase)) {
        const which = drifted.map((s) => `${s} runs ${split(live[s])}, the rollout left ${split(expected[s])}`).join("; ");
        return { stack, health: "Degraded", message: `live split differs from the last rollout's: ${which}`, rollout: state, live, expected, stackFile, drifted };
    }
    const message = hasPendingWrites(state)
        ? `rollout ${state.rolloutId} is ${state.phase}; the engine is writing its splits (not all live yet)`
        : state.phase === "promoted"
            ? `rollout ${state.rolloutId} promoted at ${time(state.endedAt)}`
            : isTerminal(state.phase)
              ? `rollout ${state.rolloutId} ${state.phase}: ${state.reason ?? "no reason recorded"}; ${degradedNote(state, stackFile)}`
              : `rollout ${state.rolloutId} is ${state.phase}`;
    return { stack, health, message, rollout: state, live, expected, stackFile };
}

/** After a rollback: what git says against what the platform runs. */
function degradedNote(state: RolloutState, stackFile: Readonly<Record<string, Weights>> | undefined): string {
    if (!stackFile) {
        return "the stack file may still ask for the new split (git says the new split, the platform runs the old one)";
    }
    const asking = state.spec.services.filter((s) => stackFile[s.service] && sameWeights(stackFile[s.service], s.to)).map((s) => s.service);
    return asking.length > 0
        ? `the stack file still asks for the new split of ${asking.join(", ")}, the platform runs the old one: fix and retry (BLUEGREEN_ROLLOUT_RETRY=1 pulumi up), or set the split back`
        : "the stack file no longer asks for this rollout's split";
}

/** The few lines that say what a rollout is doing right now. */
export function describeRollout(state: RolloutState, nowMs: number): string {
    const lines = [`rollout ${state.rolloutId}: ${state.phase} (${healthOf(state)}), requested by ${state.requestedBy} at ${time(state.startedAt)}`];
    if (state.steps.length > 0) {
        const step = state.stepIndex >= 0 ? state.steps[state.stepIndex] : undefined;
        lines.push(`  step ${state.stepIndex + 1} of ${state.steps.length}${step ? ` (${step.percent}%) since ${time(state.stepStartedAt)}` : " (none written yet)"}`);
    }
    if (state.phase === "baking" && state.bakeUntil) {
        const left = Math.max(0, Math.round((Date.parse(state.bakeUntil) - nowMs) / 1000));
        lines.push(`  baking until ${time(state.bakeUntil)} (${left}s left)`);
    }
    if (state.phase === "paused") {
        lines.push(`  paused by ${state.pausedBy ?? "?"} at ${time(state.pausedAt)}; resume, promote or abort it`);
    }
    if (state.nextCheckAt && !isTerminal(state.phase)) {
        lines.push(`  next check at ${time(state.nextCheckAt)}`);
    }
    if (isTerminal(state.phase)) {
        lines.push(`  ended ${time(state.endedAt)}${state.reason ? `: ${state.reason}` : ""}${state.phase === "failed" ? ` (starting split restored: ${state.restored ? "yes" : "NO"})` : ""}`);
    }
    return lines.join("\n");
}

export function formatStatus(report: StatusReport, nowMs: number): string {
    const out = [`Stack ${report.stack}: ${report.health}: ${report.message}`];
    const state = report.rollout;
    if (state) {
        out.push(describeRollout(state, nowMs));
    }
    const services = Object.keys(report.live);
    const rows = services.map((service) => {
        const desired = state?.spec.services.find((s) => s.service === service)?.to;
        return [service, split(report.live[service]), report.expected?.[service] ? split(report.expected[service]) : "-", desired ? split(desired) : "-"];
    });
    const withFile = report.stackFile !== undefined;
    out.push(
        renderTable(
            ["SERVICE", "LIVE (CONSUL)", "ROLLOUT SAYS", "DESIRED", ...(withFile ? ["STACK FILE"] : [])],
            rows.map((row, i) => (withFile ? [...row, split(report.stackFile?.[services[i]])] : row)),
        ),
    );
    if (state && state.gates.length > 0) {
        out.push("Gates:");
        out.push(
            renderTable(
                ["GATE", "LAST", "FAILURES", "DETAIL"],
                state.gates.map((g) => [g.gate, g.last ? (g.last.ok ? "ok" : "FAILED") : "-", `${g.consecutiveFailures} of ${g.failureThreshold}`, g.last?.message ?? "not checked yet"]),
            ),
        );
    }
    if (state && state.events.length > 0) {
        out.push("Recent events:");
        out.push(...state.events.slice(-5).map((e) => `  ${time(e.at)} ${e.message}`));
    }
    return out.join("\n");
}

export function formatHistory(records: readonly HistoryRecord[]): string {
    if (records.length === 0) {
        return "No rollout has ended in this stack yet.";
    }
    const services = (r: HistoryRecord, side: "from" | "to") =>
        Object.entries(r[side])
            .map(([service, w]) => `${service} ${w.blue}/${w.green}`)
            .join(", ");
    const rows = [...records]
        .reverse()
        .map((r) => [
            time(r.startedAt),
            r.requestedBy,
            services(r, "from"),
            services(r, "to"),
            r.result,
            time(r.endedAt),
            [r.reason, ...r.commands.map((c) => `${c.kind} by ${c.issuedBy}`)].filter(Boolean).join("; ") || "-",
        ]);
    return `${renderTable(["STARTED", "BY", "FROM (BLUE/GREEN)", "TO (BLUE/GREEN)", "RESULT", "ENDED", "REASON, COMMANDS"], rows)}\nNewest first; ${records.length} rollout${records.length === 1 ? "" : "s"}.`;
}
