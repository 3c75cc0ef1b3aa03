// The canary analysis as one of the rollout engine's gates: which colour is the canary, and what one
// check of the analysis means for the gate (pass, fail, or hold the step). Pure; the engine reads
// the figures (reader.ts) and keeps the count of consecutive failures like for its other gates.
import type { CanaryAnalysisConfig, Colour } from "../config";
import { formatWeights, type Weights } from "../shared/weights";
import { CanaryFigures, judgeCanary, Judgement } from "./analysis";
import type { AnalysisWindow } from "./analysisWindow";

/** `hold`: neither passes nor counts as a failure; the step waits for a conclusive window. */
type AnalysisOutcome = "pass" | "fail" | "hold";

export interface AnalysisCheck {
    readonly outcome: AnalysisOutcome;
    /** One line for the rollout's history and `flip status`, with the figures used. */
    readonly message: string;
    /** The judgement with every figure it used, when one was made. */
    readonly judgement?: Judgement;
}

export interface CanaryPair {
    readonly baseline: Colour;
    readonly canary: Colour;
}

/** The canary is the colour a rollout moves weight to; undefined when the rollout moves none. */
export function canaryPair(from: Weights, to: Weights): CanaryPair | undefined {
    if (to.green > from.green) {
        return { baseline: "blue", canary: "green" };
    }
    if (to.blue > from.blue) {
        return { baseline: "green", canary: "blue" };
    }
    return undefined;
}

/**
 * Whether the split being judged lets the analysis compare: both colours must serve. Before the
 * first step the canary serves nothing, and at 100% the baseline serves nothing: there is nothing to
 * compare, so the analysis does not hold those steps (the health and alarm gates still judge them).
 */
export function comparable(weights: Weights): boolean {
    return weights.blue > 0 && weights.green > 0;
}

/**
 * @param window the minutes the figures cover (analysisWindow.ts); undefined while no whole minute
 *   since the step has been published, which holds the step without reading any figure.
 */
export function checkCanary(
    service: string,
    thresholds: CanaryAnalysisConfig,
    weights: Weights,
    pair: CanaryPair | undefined,
    observed: CanaryFigures | { readonly error: string } | undefined,
    window: AnalysisWindow | undefined,
): AnalysisCheck {
    if (pair === undefined || !comparable(weights)) {
        return { outcome: "pass", message: `${service}: canary analysis not applicable at ${formatWeights(weights)} (one colour serves all)` };
    }
    if (window === undefined) {
        return { outcome: "hold", message: `${service}: inconclusive: no whole minute of figures since this split was written yet` };
    }
    if (observed === undefined) {
        return { outcome: "fail", message: `${service}: no canary figures observed` };
    }
    if ("error" in observed) {
        // Like every other observation error: a failed check, counted, never a pass.
        return { outcome: "fail", message: `${service}: could not read the canary figures from CloudWatch: ${observed.error}` };
    }
    const judgement = judgeCanary(observed, thresholds, window.seconds);
    if (judgement.verdict === "pass" && !window.full) {
        // A failure over the minutes since the step counts at once; a pass waits for the whole window.
        const minutes = `${window.seconds / 60} of ${thresholds.windowSeconds / 60} min since this split was written`;
        return { outcome: "hold", message: `${service}: inconclusive: passing so far over ${minutes}; a pass needs the whole window: ${judgement.reason}`, judgement };
    }
    const outcome: AnalysisOutcome = judgement.verdict === "inconclusive" ? "hold" : judgement.verdict;
    return { outcome, message: `${service}: ${judgement.verdict}: ${judgement.reason}`, judgement };
}
