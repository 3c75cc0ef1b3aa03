// bluegreen:services.<name>.gate.analysis: the canary analysis a rollout runs for the service
// (src/metrics/analysis.ts judges with it). Shapes and ranges are in schema.ts; here, what spans keys.
import type { Report } from "./types";
import type { CanaryAnalysisConfig } from "./types";

const ANALYSIS_DEFAULTS = { minRequests: 100, window: "5m" } as const;

/** GetMetricData periods are whole minutes; longer than an hour would make a canary step very slow to judge. */
const WINDOW_MINUTES = { min: 1, max: 60 };

export interface RawAnalysis {
    maxErrorRateIncrease?: number;
    maxLatencyRatio?: number;
    minRequests?: number;
    window?: string;
}

/** Whole minutes from "5m" or "1h"; undefined when the text is neither. */
function windowMinutes(text: string): number | undefined {
    const m = /^(\d+)(m|h)$/.exec(text);
    return m ? Number(m[1]) * (m[2] === "h" ? 60 : 1) : undefined;
}

export function normaliseAnalysis(path: string, raw: RawAnalysis | undefined, at: Report): CanaryAnalysisConfig | undefined {
    if (raw === undefined) {
        return undefined;
    }
    if (raw.maxErrorRateIncrease === undefined && raw.maxLatencyRatio === undefined) {
        at(path, "judges nothing; set maxErrorRateIncrease (percentage points), maxLatencyRatio (a factor of the baseline's p99) or both");
    }
    const window = raw.window ?? ANALYSIS_DEFAULTS.window;
    const minutes = windowMinutes(window);
    if (minutes === undefined || minutes < WINDOW_MINUTES.min || minutes > WINDOW_MINUTES.max) {
        at(`${path}.window`, `${JSON.stringify(window)} is not a window of whole minutes from 1m to 1h; write it like "5m" or "1h"`);
    }
    return {
        maxErrorRateIncrease: raw.maxErrorRateIncrease,
        maxLatencyRatio: raw.maxLatencyRatio,
        minRequests: raw.minRequests ?? ANALYSIS_DEFAULTS.minRequests,
        windowSeconds: (minutes ?? 5) * 60,
    };
}
