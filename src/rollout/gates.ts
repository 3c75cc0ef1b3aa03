// Pure judgement of the server-side gates from what one tick observed: each service's passing
// instances per colour (judged by the same rule as the mesh's health gate) and each alarm's state.
// A failed check raises the gate's count of consecutive failures, a passing one resets it; a gate
// fails once the count reaches its threshold. An error while observing is a failed check, never a
// pass and never an instant rollback.
import type { Colour, GateCheck, GateState, ReleaseSpec, Weights } from "./contract";
import { judge } from "../mesh/colourHealth";

export type PassingObservation = Readonly<Partial<Record<Colour, number>>> | { readonly error: string };

/** `MISSING`: DescribeAlarms did not return the alarm (deleted or misspelt): a failed check. */
export type AlarmObservation = "OK" | "ALARM" | "INSUFFICIENT_DATA" | "MISSING" | { readonly error: string };

/** What an analysis (issue 12's metric comparison) concluded for one service. */
export interface AnalysisVerdict {
    readonly verdict: "pass" | "fail" | "inconclusive";
    readonly message: string;
    readonly figures?: Readonly<Record<string, number>>;
}

export interface GateObservations {
    /** Passing instances of each colour, per service whose health is gated. */
    readonly passing: Readonly<Record<string, PassingObservation>>;
    readonly alarms: Readonly<Record<string, AlarmObservation>>;
    /** Analysis verdicts, per service with `gate.analysis`; absent when none is. */
    readonly analyses?: Readonly<Record<string, AnalysisVerdict | { readonly error: string }>>;
}

function healthGateId(service: string): string {
    return `health:${service}`;
}

function alarmGateId(alarm: string): string {
    return `alarm:${alarm}`;
}

function analysisGateId(service: string): string {
    return `analysis:${service}`;
}

/** Every gate of a release, with its threshold (an alarm named by several services takes the lowest). */
export function releaseGates(spec: ReleaseSpec): GateState[] {
    const gates = new Map<string, GateState>();
    for (const service of spec.services) {
        if (!service.gate.skipHealth) {
            gates.set(healthGateId(service.service), { gate: healthGateId(service.service), consecutiveFailures: 0, failureThreshold: service.gate.failureThreshold });
        }
        if (service.gate.analysis !== undefined) {
            gates.set(analysisGateId(service.service), { gate: analysisGateId(service.service), consecutiveFailures: 0, failureThreshold: service.gate.failureThreshold });
        }
        for (const alarm of service.gate.alarms) {
            const id = alarmGateId(alarm);
            const threshold = Math.min(gates.get(id)?.failureThreshold ?? Infinity, service.gate.failureThreshold);
            gates.set(id, { gate: id, consecutiveFailures: 0, failureThreshold: threshold });
        }
    }
    return [...gates.values()];
}

/** The alarms the engine must read each tick. */
export function gatedAlarms(spec: ReleaseSpec): string[] {
    return [...new Set(spec.services.flatMap((s) => s.gate.alarms))].sort();
}

function checkHealth(spec: ReleaseSpec, service: string, weights: Weights, observed: PassingObservation | undefined, at: string): GateCheck {
    if (observed === undefined) {
        return { at, ok: false, message: `${service}: no health observation` };
    }
    if ("error" in observed) {
        return { at, ok: false, message: `${service}: could not ask Consul: ${observed.error}` };
    }
    const gate = spec.services.find((s) => s.service === service)!.gate;
    const colours = (["blue", "green"] as const)
        .filter((c) => weights[c] > 0)
        .map((colour) => ({ colour, weight: weights[colour], required: gate.required[colour], passing: observed[colour] ?? 0 }));
    const verdict = judge(service, colours);
    return { at, ok: verdict.ok, message: verdict.message };
}

function checkAnalysis(service: string, observed: AnalysisVerdict | { readonly error: string } | undefined, at: string): GateCheck {
    if (observed === undefined) {
        return { at, ok: false, message: `${service}: no analysis verdict` };
    }
    if ("error" in observed) {
        return { at, ok: false, message: `${service}: analysis could not run: ${observed.error}` };
    }
    return { at, ok: observed.verdict === "pass", inconclusive: observed.verdict === "inconclusive" || undefined, message: observed.message, figures: observed.figures };
}

function checkAlarm(alarm: string, observed: AlarmObservation | undefined, at: string): GateCheck {
    if (observed === undefined) {
        return { at, ok: false, message: `alarm ${alarm}: not observed` };
    }
    if (typeof observed === "object") {
        return { at, ok: false, message: `alarm ${alarm}: could not read it: ${observed.error}` };
    }
    if (observed === "MISSING") {
        return { at, ok: false, message: `alarm ${alarm} does not exist` };
    }
    return { at, ok: observed === "OK", message: `alarm ${alarm} is ${observed}` };
}

export interface GateRound {
    readonly gates: GateState[];
    /** Every gate passed this check. */
    readonly allPassed: boolean;
    /** The first gate that reached its threshold, with its last message. */
    readonly failed?: GateState;
    /** The messages of the checks that did not pass. */
    readonly problems: string[];
}

/**
 * One round of checks against `weights` (the split being judged: the current one while baking, the
 * next step's before it is written). `holdHealth`: health failures hold without counting (the
 * ready timeout before the first step).
 */
export function checkGates(
    spec: ReleaseSpec,
    previous: readonly GateState[],
    weights: Readonly<Record<string, Weights>>,
    observed: GateObservations,
    at: string,
    holdHealth = false,
): GateRound {
    const gates: GateState[] = [];
    const problems: string[] = [];
    let failed: GateState | undefined;
    for (const gate of previous) {
        const kind = gate.gate.slice(0, gate.gate.indexOf(":"));
        const name = gate.gate.slice(gate.gate.indexOf(":") + 1);
        const check =
            kind === "health"
                ? checkHealth(spec, name, weights[name], observed.passing[name], at)
                : kind === "analysis"
                  ? checkAnalysis(name, observed.analyses?.[name], at)
                  : checkAlarm(name, observed.alarms[name], at);
        const counts = !(kind === "health" && holdHealth) && !check.inconclusive;
        const consecutiveFailures = check.ok ? 0 : counts ? gate.consecutiveFailures + 1 : gate.consecutiveFailures;
        const next: GateState = { ...gate, consecutiveFailures, last: check };
        if (!check.ok) {
            problems.push(check.inconclusive ? `${check.message} (inconclusive: holding)` : `${check.message} (${consecutiveFailures}/${gate.failureThreshold} consecutive failed checks)`);
        }
        if (!failed && consecutiveFailures >= gate.failureThreshold) {
            failed = next;
        }
        gates.push(next);
    }
    return { gates, allPassed: problems.length === 0, failed, problems };
}
