// The human-readable plan: resources grouped under their components, a count by type, traffic.
import { OfflinePlan, RegisteredResource } from "../../src/offline/planRecords";
import { formatTraffic, renderTable, TrafficRow } from "../shared/trafficTable";

export function formatPlan(plan: OfflinePlan, traffic: readonly TrafficRow[]): string {
    const sections = [
        `Plan for stack "${plan.stack}" (offline, Pulumi mock runtime): ${plan.resources.length} resources would be registered.`,
        "",
        "Resources by component:",
        formatTree(plan.resources),
        "",
        "Count by type:",
        formatCounts(plan.resources),
        "",
        "Traffic:",
        formatTraffic(traffic),
    ];
    return sections.join("\n");
}

function formatTree(resources: readonly RegisteredResource[]): string {
    const children = new Map<string | undefined, RegisteredResource[]>();
    for (const r of resources) {
        const list = children.get(r.parent) ?? [];
        list.push(r);
        children.set(r.parent, list);
    }
    const known = new Set(resources.map((r) => r.urn));
    const roots = resources.filter((r) => r.parent === undefined || !known.has(r.parent));
    const lines: string[] = [];
    const visit = (r: RegisteredResource, depth: number) => {
        lines.push(`${"  ".repeat(depth + 1)}${r.custom ? "" : "+ "}${r.type}  ${r.name}`);
        const kids = [...(children.get(r.urn) ?? [])].sort(byTypeThenName);
        // Components first, then their resources, so each component reads as a block.
        for (const kid of kids.filter((k) => !k.custom)) {
            visit(kid, depth + 1);
        }
        for (const kid of kids.filter((k) => k.custom)) {
            visit(kid, depth + 1);
        }
    };
    for (const root of [...roots].sort((a, b) => Number(a.custom) - Number(b.custom) || byTypeThenName(a, b))) {
        visit(root, 0);
    }
    return lines.join("\n");
}

function byTypeThenName(a: RegisteredResource, b: RegisteredResource): number {
    return a.type.localeCompare(b.type) || a.name.localeCompare(b.name);
}

function formatCounts(resources: readonly RegisteredResource[]): string {
    const counts = new Map<string, number>();
    for (const r of resources) {
        counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    }
    const rows = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([type, n]) => [type, String(n)]);
    rows.push(["total", String(resources.length)]);
    return renderTable(["TYPE", "COUNT"], rows);
}
