// `npm run bench`: how planning scales with the number of services. Generated stacks of 10, 50,
// 100 and 200 services (cli/syntheticStack.ts) are planned offline in one process after a warm-up;
// for each size: wall time, peak memory (RSS and heap, sampled while planning), resources
// registered, and the blast radius of flipping one service (resources whose inputs change).
//
// Two programs are measured: the real program (index.ts, whatever it wires today) and the traffic
// side on its own (createMeshTraffic over stand-ins for the server cluster, cli/trafficProgram.ts).
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { runMain } from "./main";
import { planStack, Program, UsageError } from "./offline";
import { checkFlipChanges, diffOfflinePlans } from "./planDiff";
import { syntheticServiceName, syntheticStack } from "./syntheticStack";
import { renderTable } from "./traffic";
import { trafficProgram } from "./trafficProgram";

export const SIZES = [10, 50, 100, 200] as const;

export interface BenchRow {
    readonly services: number;
    readonly resources: number;
    readonly wallMs: number;
    readonly peakRssMiB: number;
    readonly peakHeapMiB: number;
    /** Resources whose inputs change when one service's traffic changes. */
    readonly flipChanges: number;
    /** True when those are exactly that service's splitter and health gate. */
    readonly flipIsSplitterAndGate: boolean;
}

const MiB = 1024 * 1024;

async function measure<T>(work: () => Promise<T>): Promise<{ result: T; wallMs: number; peakRss: number; peakHeap: number }> {
    (global as { gc?: () => void }).gc?.();
    let peakRss = process.memoryUsage.rss();
    let peakHeap = process.memoryUsage().heapUsed;
    const sample = () => {
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakHeap = Math.max(peakHeap, m.heapUsed);
    };
    const timer = setInterval(sample, 5);
    const start = performance.now();
    try {
        const result = await work();
        const wallMs = performance.now() - start;
        sample();
        return { result, wallMs, peakRss, peakHeap };
    } finally {
        clearInterval(timer);
    }
}

export async function benchProgram(program: Program | undefined, sizes: readonly number[]): Promise<BenchRow[]> {
    // Warm-up: module loading, the dynamic provider's one-time serialization, JIT.
    await planStack({ stack: "bench", config: syntheticStack(10), program });
    const rows: BenchRow[] = [];
    for (const size of sizes) {
        const config = syntheticStack(size);
        const { result: plan, wallMs, peakRss, peakHeap } = await measure(() => planStack({ stack: "bench", config, program }));
        const target = syntheticServiceName(Math.floor(size / 2));
        const flipped = structuredClone(config);
        (flipped["bluegreen:services"] as Record<string, { traffic: unknown }>)[target].traffic = { blue: 90, green: 10 };
        const changes = diffOfflinePlans(plan, await planStack({ stack: "bench", config: flipped, program }));
        const verdict = checkFlipChanges(changes, target);
        rows.push({
            services: size,
            resources: plan.resources.length,
            wallMs,
            peakRssMiB: peakRss / MiB,
            peakHeapMiB: peakHeap / MiB,
            flipChanges: changes.length,
            flipIsSplitterAndGate: verdict.ok && verdict.splitterChanged && changes.length === 2,
        });
    }
    return rows;
}

export function formatBench(title: string, rows: readonly BenchRow[]): string {
    const table = renderTable(
        ["SERVICES", "RESOURCES", "WALL", "PER SERVICE", "PEAK RSS", "PEAK HEAP", "FLIP CHANGES"],
        rows.map((r) => [
            String(r.services),
            String(r.resources),
            `${(r.wallMs / 1000).toFixed(2)} s`,
            `${(r.wallMs / r.services).toFixed(1)} ms`,
            `${r.peakRssMiB.toFixed(0)} MiB`,
            `${r.peakHeapMiB.toFixed(0)} MiB`,
            `${r.flipChanges}${r.flipIsSplitterAndGate ? " (splitter + gate)" : ""}`,
        ]),
    );
    const first = rows.find((r) => r.services === 10);
    const last = rows.find((r) => r.services === 200);
    const ratio = first && last ? `per-service time, 200 vs 10 services: ${(last.wallMs / last.services / (first.wallMs / first.services)).toFixed(2)}x` : "";
    return [title, table, ratio].filter((s) => s !== "").join("\n");
}

const USAGE = "usage: npm run bench [-- --only program|traffic] [--sizes 10,50,100,200]";

export async function bench(argv: readonly string[], write: (text: string) => void): Promise<number> {
    const { values } = parseArgs({ args: [...argv], options: { only: { type: "string" }, sizes: { type: "string" } }, strict: true });
    if (values.only !== undefined && values.only !== "program" && values.only !== "traffic") {
        throw new UsageError(`--only ${JSON.stringify(values.only)}: use program or traffic\n${USAGE}`);
    }
    const sizes = values.sizes === undefined ? [...SIZES] : values.sizes.split(",").map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 999)) {
        throw new UsageError(`--sizes ${values.sizes}: whole numbers from 1 to 999\n${USAGE}`);
    }
    write(`Node ${process.version}, ${process.platform}/${process.arch}; offline plans under Pulumi's mock runtime, one process, after a warm-up.`);
    if (values.only !== "traffic") {
        write("");
        write(formatBench("The program (index.ts as wired today):", await benchProgram(undefined, sizes)));
    }
    if (values.only !== "program") {
        write("");
        write(formatBench("The traffic side alone (createMeshTraffic over stand-ins for the server cluster):", await benchProgram(trafficProgram, sizes)));
    }
    return 0;
}

if (require.main === module) {
    runMain(() => bench(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)));
}
