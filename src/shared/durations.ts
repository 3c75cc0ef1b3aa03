// Durations as people and Go write them on command lines and in environment variables: one or more
// number-unit pairs, "30s", "1m30s", "1.5h", "250ms" (Go's units: ns, us, µs, ms, s, m, h). One
// reading for the flip client's flags, BLUEGREEN_ROLLOUT_FOLLOW and the AWS provider's durations.

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds (not rounded), or undefined when `text` is not a duration. */
export function durationMs(text: string): number | undefined {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
        return undefined;
    }
    return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0);
}
