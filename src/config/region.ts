// aws:region: one of the regions the AWS provider knows. The list is @pulumi/aws's own Region enum,
// so it moves with the provider version the program already pins.
import { Region } from "@pulumi/aws/types/enums";
import { didYouMean } from "./suggest";

const REGIONS: readonly string[] = Object.values(Region);

/** What is wrong with `region`, or undefined when it is a region the AWS provider knows. */
export function regionProblem(region: unknown): string | undefined {
    if (typeof region !== "string" || region === "") {
        return "is required (for example eu-west-1)";
    }
    if (REGIONS.includes(region)) {
        return undefined;
    }
    const hint = didYouMean(region, REGIONS);
    return `${JSON.stringify(region)} is not an AWS region; ${hint}use a region code such as eu-west-1 or us-east-1 (one of the ${REGIONS.length} the AWS provider knows)`;
}
