// The traffic split of one service. Consul's own rule for splitter weights (each rounded to 0.01,
// all summing to exactly 100) lives here once; config validation, the flip and the policy pack all
// judge weights with it. Ours comes on top: no weight on a colour that runs no tasks.
import { Report } from "./problems";
import { show } from "./show";
import { Colour, ColourConfig, COLOURS } from "./types";

/** What is wrong with one splitter weight as Consul sees it, or undefined when it is valid. */
export function weightProblem(value: unknown): string | undefined {
    if (typeof value !== "number" || !Number.isFinite(value)) {
        return `${show(value)} is not a number; weights are numbers from 0 to 100`;
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

export function checkTraffic(path: string, raw: Record<string, unknown>, colours: Record<Colour, ColourConfig>, at: Report): Record<Colour, number> {
    const weights = { blue: 0, green: 0 };
    let allValid = true;
    for (const colour of COLOURS) {
        const value = raw[colour];
        const problem = weightProblem(value);
        if (problem) {
            at(`${path}.${colour}`, problem);
            allValid = false;
            if (typeof value !== "number" || !Number.isFinite(value)) {
                continue;
            }
        }
        weights[colour] = value as number;
        const c = colours[colour];
        if ((value as number) > 0 && (c.count === 0 || !c.image)) {
            at(`${path}.${colour}`, `${value} sends traffic to ${colour}, which has ${!c.image ? "no image" : "count 0"}; give ${colour} an image and a count above 0, or set its weight to 0`);
        }
    }
    if (allValid) {
        const problem = weightSumProblem(COLOURS.map((c) => weights[c]));
        if (problem) {
            at(path, problem);
        }
    }
    return weights;
}
