// Which resources a config change touches: two offline plans compared input by input. Used by the
// flip's dry run, its apply check, the benchmark and the blast-radius tests.
import { OfflinePlan, RegisteredResource } from "./planRecords";
import { RELEASE_RESOURCE_NAME } from "../rollout/names";

export interface ResourceChange {
    readonly kind: "changed" | "added" | "removed";
    readonly urn: string;
    readonly type: string;
    readonly name: string;
}

/**
 * Resources whose inputs differ, and resources present in only one of the plans. Inputs a resource
 * lists in `ignoreChanges` are left out, as Pulumi leaves them out of an update.
 */
export function diffOfflinePlans(before: OfflinePlan, after: OfflinePlan): ResourceChange[] {
    const compared = (r: RegisteredResource) => Object.fromEntries(Object.entries(r.inputs).filter(([key]) => !(r.ignoreChanges ?? []).includes(key)));
    const inputs = (plan: OfflinePlan) => new Map(plan.resources.map((r) => [r.urn, { resource: r, json: JSON.stringify(compared(r)) }]));
    const a = inputs(before);
    const b = inputs(after);
    const change = (kind: ResourceChange["kind"], r: RegisteredResource): ResourceChange => ({ kind, urn: r.urn, type: r.type, name: r.name });
    const changes: ResourceChange[] = [];
    for (const [urn, { resource, json }] of a) {
        const other = b.get(urn);
        if (!other) {
            changes.push(change("removed", resource));
        } else if (other.json !== json) {
            changes.push(change("changed", resource));
        }
    }
    for (const [urn, { resource }] of b) {
        if (!a.has(urn)) {
            changes.push(change("added", resource));
        }
    }
    return changes;
}

/**
 * The verdict on a traffic change under the rollout engine: `ok` when exactly one resource changes,
 * the stack's Release (its inputs carry the desired weights; the splitters ignore theirs after
 * creation), and nothing else. No change at all is not ok: the desired weights did not reach it.
 */
export function checkReleaseChanges(changes: readonly { urn: string; kind: string }[]): { ok: boolean; unexpected: string[]; releaseChanged: boolean } {
    const isRelease = (c: { urn: string; kind: string }) => c.kind === "changed" && c.urn.endsWith(`::${RELEASE_RESOURCE_NAME}`);
    const unexpected = changes.filter((c) => !isRelease(c)).map((c) => `${c.kind} ${c.urn}`);
    const releaseChanged = changes.some(isRelease);
    return { ok: unexpected.length === 0 && releaseChanged, unexpected, releaseChanged };
}

export function formatChanges(changes: readonly ResourceChange[]): string {
    if (changes.length === 0) {
        return "  (no resource's inputs change)";
    }
    return changes.map((c) => `  ${c.kind === "changed" ? "~" : c.kind === "added" ? "+" : "-"} ${c.type}  ${c.name}`).join("\n");
}
