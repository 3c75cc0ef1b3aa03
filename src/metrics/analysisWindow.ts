// Which minutes one canary judgement covers. The figures must describe the split the mesh serves
// now: a window that reached back before the step was written would mix in the previous split's
// requests, and a short bake could promote on them. So the window starts no earlier than the first
// whole minute after the step started, and ends at the last minute CloudWatch has published.
//
// While less than the configured window has passed since the step, the judgement covers only the
// minutes since the step (`full: false`). `minRequests` applies to those minutes all the same, so
// a verdict is never drawn from fewer requests than the stack asked for: a canary already worse
// than its baseline fails (the failure counts, and a bad step rolls back sooner), but a pass holds
// the step until a whole window of the new split has been judged (canaryVerdict.ts).

/**
 * Metric filters publish a minute a little after it ends: the window ends at the start of the
 * minute before the current one, so that its last minute is complete in CloudWatch.
 */
const PUBLISH_DELAY_MS = 60_000;

const MINUTE_MS = 60_000;

export interface AnalysisWindow {
    /** Start and end on minute boundaries, start < end. */
    readonly start: Date;
    readonly end: Date;
    /** end - start, in seconds: a whole number of minutes, at most the configured window. */
    readonly seconds: number;
    /** The window covers the configured length (a whole window of the current split). */
    readonly full: boolean;
}

/**
 * The window to judge at `now` for a split written at `stepStartedAt`, or undefined while no whole
 * minute since then has been published.
 * @param windowSeconds the configured window (`gate.analysis.window`), a whole number of minutes.
 */
export function analysisWindow(now: Date, stepStartedAt: Date, windowSeconds: number): AnalysisWindow | undefined {
    const end = Math.floor((now.getTime() - PUBLISH_DELAY_MS) / MINUTE_MS) * MINUTE_MS;
    // The minute the step was written in holds requests of the previous split: start after it.
    const earliest = Math.ceil(stepStartedAt.getTime() / MINUTE_MS) * MINUTE_MS;
    const start = Math.max(end - windowSeconds * 1000, earliest);
    if (!(start < end)) {
        return undefined;
    }
    const seconds = (end - start) / 1000;
    return { start: new Date(start), end: new Date(end), seconds, full: seconds >= windowSeconds };
}
