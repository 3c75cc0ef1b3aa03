// A list value given twice: for CIDRs, two security group rules with one name (one URN, which Pulumi
// refuses, and a rule EC2 refuses as a duplicate); for subnets, one zone counted twice.
import type { Report } from "./types";

export function checkDuplicates(path: string, items: readonly string[], what: string, at: Report): void {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
        const earlier = first.get(item);
        if (earlier === undefined) {
            first.set(item, i);
        } else {
            at(`${path}[${i}]`, `${JSON.stringify(item)} is listed already at ${path}[${earlier}]; list each ${what} once`);
        }
    });
}
