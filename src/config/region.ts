// aws:region: one of the regions the AWS provider knows. The list is @pulumi/aws's own Region enum,
// so it moves with the provider version the program already pins.
import { Region } from "@pulumi/aws/types/enums";

const REGIONS: readonly string[] = Object.values(Region);

/** What is wrong with `region`, or undefined when it is a region the AWS provider knows. */
export function regionProblem(region: unknown): string | undefined {
    if (typeof region !== "string" || region === "") {
        return "is required (for example eu-west-1)";
    }
    if (REGIONS.includes(region)) {
        return undefined;
    }
    const distances = REGIONS.map((known) => ({ known, distance: editDistance(known, region.toLowerCase()) }));
    const nearest = Math.min(...distances.map((d) => d.distance));
    const near = nearest <= 2 ? distances.filter((d) => d.distance === nearest).map((d) => JSON.stringify(d.known)) : [];
    const hint = near.length > 0 ? `did you mean ${near.join(" or ")}? ` : "";
    return `${JSON.stringify(region)} is not an AWS region; ${hint}use a region code such as eu-west-1 or us-east-1 (one of the ${REGIONS.length} the AWS provider knows)`;
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}
