// The rules of a traffic split, one home for all: the colours, Consul's rule for splitter weights
// (each rounded to 0.01, all summing to exactly 100), when two splits are the same, and how a split
// is written for people. Stack config validation, the rollout engine, the flip client and the
// policy pack all judge and print weights with these.

export const COLOURS = ["blue", "green"] as const;
export type Colour = (typeof COLOURS)[number];

/** One service's split: a weight per colour, summing to 100. */
export type Weights = Readonly<Record<Colour, number>>;

/** What is wrong with one splitter weight as Consul sees it, or undefined when it is valid. */
export function weightProblem(value: unknown): string | undefined {
    if (typeof value !== "number" || !Number.isFinite(value)) {
        return `${JSON.stringify(value)} is not a number; weights are numbers from 0 to 100`;
    }
    if (value < 0 || value > 100) {
        return `${value} is outside 0..100`;
    }
    if (Math.round(value * 100) !== value * 100 && Math.abs(Math.round(value * 100) - value * 100) > 1e-6) {
        return `${value} has more than 2 decimals; Consul keeps weights to 0.01`;
    }
    return undefined;
}

/** What is wrong with the sum of valid weights, or undefined when they sum to exactly 100. */
export function weightSumProblem(weights: readonly number[]): string | undefined {
    const sumHundredths = weights.reduce((sum, w) => sum + Math.round(w * 100), 0);
    return sumHundredths === 10000 ? undefined : `weights sum to ${sumHundredths / 100}; blue + green must be exactly 100`;
}

/** True when both splits exist and give every colour the same weight. */
export function sameWeights(a: Weights | undefined, b: Weights | undefined): boolean {
    return a !== undefined && b !== undefined && COLOURS.every((c) => a[c] === b[c]);
}

/** A split as people read it everywhere (logs, events, the client): `blue 90% / green 10%`. */
export function formatWeights(w: Weights): string {
    return COLOURS.map((c) => `${c} ${w[c]}%`).join(" / ");
}
