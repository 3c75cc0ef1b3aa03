// The traffic table (service, colour, image, count, weight) read from a stack's config.
import { COLOURS, Colour } from "../../src/config";
import { parseStackValues, StackValues } from "../../src/offline/stackFile";

export interface TrafficRow {
    readonly service: string;
    readonly colour: Colour;
    readonly image: string;
    readonly count: number;
    readonly weight: number;
}

export function trafficRows(stack: string, config: StackValues): TrafficRow[] {
    return parseStackValues(stack, config).services.flatMap((service) =>
        COLOURS.map((colour) => ({
            service: service.name,
            colour,
            image: service[colour].image ?? "-",
            count: service[colour].count,
            weight: service.traffic[colour],
        })),
    );
}

/** Renders rows as an aligned text table with a header line. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: readonly string[]) =>
        cells
            .map((c, i) => c.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function formatTraffic(rows: readonly TrafficRow[]): string {
    return renderTable(
        ["SERVICE", "COLOUR", "IMAGE", "COUNT", "WEIGHT"],
        rows.map((r) => [r.service, r.colour, r.image, String(r.count), `${r.weight}%`]),
    );
}
