// The rollout engine's analysis dependency (src/rollout/handler.ts `Analyse`): for each service with
// `gate.analysis`, the canary's and the baseline's figures from CloudWatch over the last window
// since the current step was written (src/metrics/analysisWindow.ts), judged by judgeCanary, as the verdict the engine's `analysis:<service>` gate counts (pass, fail;
// inconclusive holds the step). The figures go into the gate check, hence into the rollout's state,
// history and `flip status`.
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { RolloutState, ServiceReleaseSpec } from "./contract";
import type { AnalysisVerdict } from "./gates";
import { splitAt } from "./steps";
import { mapLimit } from "../shared/concurrency";
import type { Judgement } from "../metrics/analysis";
import type { AnalysisSpec } from "../metrics/analysisSpec";
import { analysisWindow } from "../metrics/analysisWindow";
import { canaryPair, checkCanary, comparable } from "../metrics/canaryVerdict";
import { readCanaryFigures } from "../metrics/reader";

/** Services whose figures are read at a time. */
const ANALYSIS_CONCURRENCY = 4;

/** A judgement's figures, flat, as the engine's GateCheck keeps them. */
function judgementFigures(judgement: Judgement): Record<string, number> {
    const figures: Record<string, number> = {};
    for (const side of [judgement.baseline, judgement.canary]) {
        figures[`${side.colour}Requests`] = side.requests;
        figures[`${side.colour}Errors`] = side.errors;
        if (side.errorRatePercent !== undefined) {
            figures[`${side.colour}ErrorRatePercent`] = Number(side.errorRatePercent.toFixed(4));
        }
        if (side.p99Ms !== undefined) {
            figures[`${side.colour}P99Ms`] = side.p99Ms;
        }
    }
    // The seconds judged: the configured window, or fewer while the step is younger than it.
    figures.windowSeconds = judgement.windowSeconds;
    return figures;
}

export function cloudWatchAnalyse(client: CloudWatchClient, now: () => Date) {
    return async (state: RolloutState, services: readonly ServiceReleaseSpec[]): Promise<Record<string, AnalysisVerdict>> => {
        // The split the mesh serves now: the figures describe it, not the next step's.
        const current = splitAt(state.steps, state.from, state.stepIndex);
        // A few services at a time: CloudWatch throttles its API per account and Region, and a
        // throttled call fails the analysis of every service of this check.
        const judged = await mapLimit(services, ANALYSIS_CONCURRENCY, async (svc): Promise<[string, AnalysisVerdict] | undefined> => {
            const spec = svc.gate.analysis as AnalysisSpec | undefined;
            const weights = current[svc.service];
            if (spec === undefined || weights === undefined) {
                return undefined;
            }
            const pair = canaryPair(state.from[svc.service] ?? weights, svc.to);
            // Before the first step the split is the one the rollout started from: judged since the start.
            const window = analysisWindow(now(), new Date(state.stepStartedAt ?? state.startedAt), spec.windowSeconds);
            let figures;
            if (pair && comparable(weights) && window) {
                figures = await readCanaryFigures(client, { stack: state.spec.stack, service: svc.service, protocol: spec.protocol, ...pair, start: window.start, end: window.end });
            }
            const check = checkCanary(svc.service, spec, weights, pair, figures, window);
            const verdict = check.outcome === "hold" ? "inconclusive" : check.outcome;
            return [svc.service, { verdict, message: check.message, ...(check.judgement ? { figures: judgementFigures(check.judgement) } : {}) }];
        });
        const verdicts: Record<string, AnalysisVerdict> = Object.fromEntries(judged.filter((v) => v !== undefined));
        return verdicts;
    };
}
