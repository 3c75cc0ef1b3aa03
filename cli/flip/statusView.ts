// What `status` and `history` print: the stack's health (its worst service's), each service's
// health, live split from Consul beside what its rollout says it should be, and the rollout it
// belongs to; every running rollout's phase, step, next check, gates and latest events; and the
// table of past rollouts. Pure formatting of what was read: each service's health is the one rule
// of src/rollout/serviceHealth.ts.
import { expectedSplit } from "../../src/rollout/decide";
import { healthOf, HistoryRecord, isSettled, isTerminal, RolloutHealth, RolloutState, ServiceClaims, Weights } from "../../src/rollout/contract";
import { ServiceHealth, serviceHealth, worstHealth } from "../../src/rollout/serviceHealth";
import { formatWeights, sameWeights } from "../../src/shared/weights";
import { renderTable } from "../shared/trafficTable";

export interface ServiceStatus extends ServiceHealth {
    /** Its live split as its service-splitter says (null: no splitter). */
    readonly live: Weights | null;
    /** What its rollout says it should run now. */
    readonly expected?: Weights;
    /** Its rollout's desired split (where a release goes, or what a rollback wrote). */
    readonly desired?: Weights;
    /** Its `traffic` in the stack file, when the client has the file. */
    readonly stackFile?: Weights;
    /** Its live split differs from what its ended rollout left (changed behind the engine). */
    readonly drifted?: boolean;
}

export interface StatusReport {
    readonly stack: string;
    /** The worst of the services' (worstHealth). */
    readonly health: RolloutHealth;
    /** Why, in one line. */
    readonly message: string;
    readonly services: readonly ServiceStatus[];
    /** The rollouts the services belong to (and the one asked for by id), running or ended. */
    readonly rollouts: readonly RolloutState[];
}

function split(w: Weights | null | undefined): string {
    return w ? formatWeights(w) : "none";
}

const time = (iso: string | undefined) => (iso ? iso.replace(/\.\d{3}Z$/, "Z") : "-");

/** How many reasons the stack's line gives before "and N more". */
const REASONS_SHOWN = 3;

/**
 * The report of `services`: each one's health from the rollout it belongs to (the claims), its live
 * split and, when the client has it, the stack file's traffic, at `nowMs`.
 */
export function statusReport(
    stack: string,
    services: readonly string[],
    claims: ServiceClaims,
    rollouts: ReadonlyMap<string, RolloutState>,
    live: Readonly<Record<string, Weights | null>>,
    stackFile: Readonly<Record<string, Weights>> | undefined,
    nowMs: number,
): StatusReport {
    const rows = services.map((service): ServiceStatus => {
        const rolloutId = claims.services[service]?.rolloutId;
        const state = rolloutId === undefined ? undefined : rollouts.get(rolloutId);
        const own = live[service] ?? null;
        const file = stackFile?.[service];
        const health = serviceHealth(service, state, own, file, nowMs);
        const expected = state ? expectedSplit(state)[service] : undefined;
        const drifted = state !== undefined && isTerminal(state.phase) && isSettled(state) && expected !== undefined && !sameWeights(own ?? undefined, expected);
        return {
            ...health,
            live: own,
            ...(expected ? { expected } : {}),
            ...(state ? { desired: state.spec.services.find((s) => s.service === service)?.to } : {}),
            ...(file ? { stackFile: file } : {}),
            ...(drifted ? { drifted } : {}),
        };
    });
    const health = worstHealth(rows.map((r) => r.health));
    // In the order of the services they hold, then any other (one asked for by id).
    const order = (r: RolloutState) => {
        const at = rows.findIndex((row) => row.rolloutId === r.rolloutId);
        return at < 0 ? rows.length : at;
    };
    const listed = [...rollouts.values()].sort((a, b) => order(a) - order(b));
    return { stack, health, message: stackMessage(health, rows, rollouts, stackFile), services: rows, rollouts: listed };
}

function stackMessage(health: RolloutHealth, rows: readonly ServiceStatus[], rollouts: ReadonlyMap<string, RolloutState>, stackFile: Readonly<Record<string, Weights>> | undefined): string {
    if (rollouts.size === 0) {
        const pending = rows.filter((r) => stackFile?.[r.service] && r.live && !sameWeights(r.live, stackFile[r.service])).map((r) => r.service);
        return pending.length > 0 ? `no rollout has run in this stack; the stack file asks for a new split of ${pending.join(", ")} (pulumi up starts it)` : "no rollout has run in this stack";
    }
    // The reasons of the services that make the stack's health, each said once.
    const reasons = [...new Set(rows.filter((r) => r.health === health).map((r) => r.message))];
    const more = reasons.length - REASONS_SHOWN;
    return reasons.slice(0, REASONS_SHOWN).join("; ") + (more > 0 ? `; and ${more} more` : "");
}

/** Who asked, and a break-glass rollback marked as one (said once: the engine may have said it in requestedBy already). */
function byWhom(requestedBy: string, breakGlass: boolean | undefined): string {
    return breakGlass && !requestedBy.includes("break-glass") ? `${requestedBy} (break-glass)` : requestedBy;
}

/** The few lines that say what a rollout is doing right now. */
export function describeRollout(state: RolloutState, nowMs: number): string {
    const what = `${state.kind === "rollback" ? "rollback" : "rollout"} ${state.rolloutId}`;
    const services = state.spec.services.map((s) => s.service).join(", ");
    // A rollback's own phase says only whether it wrote what it asked: its services' health is in their rows.
    const phase = state.kind === "rollback" ? state.phase : `${state.phase} (${healthOf(state)})`;
    const lines = [`${what} of ${services}: ${phase}, requested by ${byWhom(state.requestedBy, state.breakGlass)} at ${time(state.startedAt)}`];
    if (state.steps.length > 0 && state.kind !== "rollback") {
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
    const withFile = report.services.some((s) => s.stackFile !== undefined);
    out.push(
        renderTable(
            ["SERVICE", "HEALTH", "LIVE (CONSUL)", "ROLLOUT SAYS", "DESIRED", ...(withFile ? ["STACK FILE"] : []), "ROLLOUT"],
            report.services.map((s) => [
                s.service,
                s.health,
                split(s.live),
                s.expected ? split(s.expected) : "-",
                s.desired ? split(s.desired) : "-",
                ...(withFile ? [s.stackFile ? split(s.stackFile) : "-"] : []),
                s.rolloutId ?? "-",
            ]),
        ),
    );
    // Why each service that is not Healthy is what it is (a Healthy one's reason is in its row).
    const notHealthy = report.services.filter((s) => s.health !== "Healthy");
    out.push(...notHealthy.map((s) => `  ${s.service}: ${s.message}`));
    // Every running rollout in full; an ended one only when a service that belongs to it is not Healthy.
    const shown = report.rollouts.filter((r) => !isSettled(r) || notHealthy.some((s) => s.rolloutId === r.rolloutId));
    for (const state of shown) {
        out.push(describeRollout(state, nowMs));
        if (isSettled(state)) {
            continue;
        }
        if (state.gates.length > 0) {
            out.push("  Gates:");
            out.push(
                indent(
                    renderTable(
                        ["GATE", "LAST", "FAILURES", "DETAIL"],
                        state.gates.map((g) => [g.gate, g.last ? (g.last.ok ? "ok" : "FAILED") : "-", `${g.consecutiveFailures} of ${g.failureThreshold}`, g.last?.message ?? "not checked yet"]),
                    ),
                ),
            );
        }
        if (state.events.length > 0) {
            out.push("  Recent events:");
            out.push(...state.events.slice(-5).map((e) => `    ${time(e.at)} ${e.message}`));
        }
    }
    return out.join("\n");
}

const indent = (text: string) =>
    text
        .split("\n")
        .map((line) => `  ${line}`)
        .join("\n");

/** What a history record's result column says: an operator's rollback says who (and break-glass). */
function resultOf(r: HistoryRecord): string {
    if (r.kind === "rollback") {
        return `rolled back by ${byWhom(r.requestedBy, r.breakGlass)}${r.result === "promoted" ? "" : `, ${r.result}`}`;
    }
    return r.result;
}

/** @param services the services asked about (--service); empty: the whole stack */
export function formatHistory(records: readonly HistoryRecord[], services: readonly string[] = []): string {
    if (records.length === 0) {
        return services.length > 0 ? `No rollout of ${services.join(", ")} has ended yet.` : "No rollout has ended in this stack yet.";
    }
    const splits = (r: HistoryRecord, side: "from" | "to") =>
        Object.entries(r[side])
            .map(([service, w]) => `${service} ${w.blue}/${w.green}`)
            .join(", ");
    const rows = [...records]
        .reverse()
        .map((r) => [
            time(r.startedAt),
            byWhom(r.requestedBy, r.breakGlass),
            splits(r, "from"),
            splits(r, "to"),
            resultOf(r),
            time(r.endedAt),
            [r.reason, ...r.commands.map((c) => `${c.kind} by ${c.issuedBy}`)].filter(Boolean).join("; ") || "-",
        ]);
    return `${renderTable(["STARTED", "BY", "FROM (BLUE/GREEN)", "TO (BLUE/GREEN)", "RESULT", "ENDED", "REASON, COMMANDS"], rows)}\nNewest first; ${records.length} rollout${records.length === 1 ? "" : "s"}.`;
}
