// Canary analysis: does the canary colour serve requests as well as the baseline colour, over one
// window? Pure: figures and thresholds in, a verdict with the figures it used out. The rollout
// engine calls it at every check and counts consecutive failures itself; an inconclusive verdict
// holds the step (neither passes it nor counts towards a rollback).
import type { CanaryAnalysisConfig, Colour } from "../config";

/** A service's `gate.analysis`, validated by src/config. */
export type AnalysisThresholds = CanaryAnalysisConfig;

/**
 * One colour's figures over the window, as CloudWatch has them. `undefined` means CloudWatch has no
 * data point: for a count that is zero matching log lines (metric filters with dimensions publish
 * nothing for a minute without a match), for the p99 it is unknown.
 */
export interface ColourWindow {
    readonly requests?: number;
    readonly errors?: number;
    readonly p99Ms?: number;
}

export interface CanaryFigures {
    readonly baseline: { readonly colour: Colour } & ColourWindow;
    readonly canary: { readonly colour: Colour } & ColourWindow;
}

type Verdict = "pass" | "fail" | "inconclusive";

interface JudgedColour {
    readonly colour: Colour;
    readonly requests: number;
    readonly errors: number;
    /** Percent of requests that failed, or undefined without requests. */
    readonly errorRatePercent?: number;
    readonly p99Ms?: number;
}

export interface Judgement {
    readonly verdict: Verdict;
    /** One sentence a person reads in `flip status` and the rollout history. */
    readonly reason: string;
    readonly baseline: JudgedColour;
    readonly canary: JudgedColour;
    readonly thresholds: AnalysisThresholds;
    /** The seconds the figures cover: the configured window, or less since the step (analysisWindow.ts). */
    readonly windowSeconds: number;
}

/**
 * Envoy prints %DURATION% in whole milliseconds, so a p99 of 0 means "under a millisecond"; the
 * ratio is taken against at least 1 ms so that a baseline that fast does not fail every canary.
 */
const LATENCY_FLOOR_MS = 1;

function judged(side: { colour: Colour } & ColourWindow): JudgedColour {
    const requests = side.requests ?? 0;
    const errors = side.errors ?? 0;
    return { colour: side.colour, requests, errors, errorRatePercent: requests > 0 ? (100 * errors) / requests : undefined, p99Ms: side.p99Ms };
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** @param windowSeconds the seconds the figures cover; default the configured window. */
export function judgeCanary(figures: CanaryFigures, thresholds: AnalysisThresholds, windowSeconds = thresholds.windowSeconds): Judgement {
    const baseline = judged(figures.baseline);
    const canary = judged(figures.canary);
    const verdict = (v: Verdict, reason: string): Judgement => ({ verdict: v, reason, baseline, canary, thresholds, windowSeconds });

    const short = [baseline, canary].filter((c) => c.requests < thresholds.minRequests);
    if (short.length > 0) {
        const which = short.map((c) => `${c.colour} served ${c.requests}`).join(", ");
        return verdict("inconclusive", `too little traffic: ${which} of the ${thresholds.minRequests} requests each colour needs in ${windowSeconds / 60} min`);
    }
    if (thresholds.maxLatencyRatio !== undefined) {
        const missing = [baseline, canary].filter((c) => c.p99Ms === undefined || !Number.isFinite(c.p99Ms));
        if (missing.length > 0) {
            return verdict("inconclusive", `missing data: no p99 latency for ${missing.map((c) => c.colour).join(" and ")} although it served requests`);
        }
    }
    const failures: string[] = [];
    const checks: string[] = [];
    if (thresholds.maxErrorRateIncrease !== undefined) {
        const increase = (canary.errorRatePercent ?? 0) - (baseline.errorRatePercent ?? 0);
        const text = `error share ${canary.colour} ${round(canary.errorRatePercent ?? 0)}% vs ${baseline.colour} ${round(baseline.errorRatePercent ?? 0)}% (+${round(Math.max(0, increase))} points, at most +${thresholds.maxErrorRateIncrease})`;
        (increase > thresholds.maxErrorRateIncrease ? failures : checks).push(text);
    }
    if (thresholds.maxLatencyRatio !== undefined) {
        const ratio = (canary.p99Ms as number) / Math.max(baseline.p99Ms as number, LATENCY_FLOOR_MS);
        const text = `p99 ${canary.colour} ${canary.p99Ms} ms vs ${baseline.colour} ${baseline.p99Ms} ms (x${round(ratio)}, at most x${thresholds.maxLatencyRatio})`;
        (ratio > thresholds.maxLatencyRatio ? failures : checks).push(text);
    }
    if (failures.length > 0) {
        return verdict("fail", `${canary.colour} is worse than ${baseline.colour}: ${failures.join("; ")}`);
    }
    return verdict("pass", `${canary.colour} is within bounds of ${baseline.colour}: ${checks.join("; ")}`);
}
