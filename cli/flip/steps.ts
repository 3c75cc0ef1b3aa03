// The split a flip asks for: pure arithmetic on colours and shares (the rules of a split are in
// src/shared/weights.ts).
import { COLOURS, Colour, Weights } from "../../src/shared/weights";

function otherColour(colour: Colour): Colour {
    return COLOURS.find((c) => c !== colour) as Colour;
}

/** Weights rounded to Consul's 0.01, the target's share first. */
export function weightsFor(target: Colour, share: number): Weights {
    const hundredths = Math.round(share * 100);
    return { [target]: hundredths / 100, [otherColour(target)]: (10000 - hundredths) / 100 } as Record<Colour, number>;
}
