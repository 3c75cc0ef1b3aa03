// The traffic split of one service, as stack config: Consul's rule for splitter weights
// (src/shared/weights.ts), and ours on top: no weight on a colour that runs no tasks.
import type { Report } from "./types";
import { weightProblem, weightSumProblem } from "../shared/weights";
import { Colour, ColourConfig, COLOURS } from "./types";

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
