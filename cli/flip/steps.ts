// The weights a flip goes through: pure arithmetic on the current split.
import { COLOURS, Colour } from "../../src/config";

export type Weights = Readonly<Record<Colour, number>>;

export function otherColour(colour: Colour): Colour {
    return COLOURS.find((c) => c !== colour) as Colour;
}

/** Weights rounded to Consul's 0.01, the target's share first. */
export function weightsFor(target: Colour, share: number): Weights {
    const hundredths = Math.round(share * 100);
    return { [target]: hundredths / 100, [otherColour(target)]: (10000 - hundredths) / 100 } as Record<Colour, number>;
}

/**
 * The steps from `current` to all traffic on `target`: each given share of the target that is above
 * its current share (a canary already at 50% skips 10 and 50), or one step to 100 without `steps`.
 * Empty when the target already has everything.
 */
export function planSteps(current: Weights, target: Colour, steps: readonly number[] = [100]): Weights[] {
    return steps.filter((share) => share > current[target]).map((share) => weightsFor(target, share));
}

export function sameWeights(a: Weights, b: Weights): boolean {
    return COLOURS.every((c) => a[c] === b[c]);
}

export function formatWeights(w: Weights): string {
    return COLOURS.map((c) => `${c} ${w[c]}%`).join(" / ");
}
