// `npm run bench`: how planning scales with the number of services. Generated stacks of 10, 50,
// 100 and 200 services (src/offline/syntheticStack.ts) are planned offline, each program in one process
// after a warm-up; for each size: wall time, peak memory (peak RSS, heap at the end), resources
// registered, and the blast radius of flipping one service (resources whose inputs change).
//
// Two programs are measured: the traffic side on its own (createMeshTraffic over stand-ins for the
// server cluster, src/offline/trafficOnlyProgram.ts) and the whole program (index.ts).
import { spawnSync } from "child_process";
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { runMain } from "../shared/run";
import { planStack, Program } from "../../src/offline/runtime";
import { UsageError } from "../../src/offline/errors";
import { checkReleaseChanges, diffOfflinePlans } from "../../src/offline/planDiff";
import { syntheticServiceName, syntheticStack } from "../../src/offline/syntheticStack";
import { renderTable } from "../shared/trafficTable";
import { trafficProgram } from "../../src/offline/trafficOnlyProgram";

export const SIZES = [10, 50, 100, 200] as const;

export interface BenchRow {
    readonly services: number;
    readonly resources: number;
    readonly wallMs: number;
    readonly peakRssMiB: number;
    readonly heapAtEndMiB: number;
    /** Resources whose inputs change when one service's traffic changes. */
    readonly flipChanges: number;
    /** True when that is exactly the stack's Release (the splitters keep their weights after creation). */
    readonly flipIsOneRelease: boolean;
}

const MiB = 1024 * 1024;

/**
 * Wall time of `work`, the process's peak RSS after it (the kernel's high-water mark: each program
 * runs in its own process and sizes grow, so this is the peak of the largest plan so far) and the
 * heap in use when it ends (before any collection).
 */
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; wallMs: number; peakRss: number; heapAtEnd: number }> {
    (global as { gc?: () => void }).gc?.();
    const start = performance.now();
    const result = await work();
    const wallMs = performance.now() - start;
    return { result, wallMs, peakRss: process.resourceUsage().maxRSS * 1024, heapAtEnd: process.memoryUsage().heapUsed };
}

export async function benchProgram(program: Program | undefined, sizes: readonly number[]): Promise<BenchRow[]> {
    // Warm-up: module loading, the dynamic provider's one-time serialization, JIT.
    await planStack({ stack: "bench", config: syntheticStack(10), program });
    const rows: BenchRow[] = [];
    for (const size of sizes) {
        const config = syntheticStack(size);
        const { result: plan, wallMs, peakRss, heapAtEnd } = await measure(() => planStack({ stack: "bench", config, program }));
        const target = syntheticServiceName(Math.floor(size / 2));
        const flipped = structuredClone(config);
        (flipped["bluegreen:services"] as Record<string, { traffic: unknown }>)[target].traffic = { blue: 90, green: 10 };
        const changes = diffOfflinePlans(plan, await planStack({ stack: "bench", config: flipped, program }));
        const verdict = checkReleaseChanges(changes);
        rows.push({
            services: size,
            resources: plan.resources.length,
            wallMs,
            peakRssMiB: peakRss / MiB,
            heapAtEndMiB: heapAtEnd / MiB,
            flipChanges: changes.length,
            flipIsOneRelease: verdict.ok && changes.length === 1,
        });
    }
    return rows;
}

export function formatBench(title: string, rows: readonly BenchRow[]): string {
    const table = renderTable(
        ["SERVICES", "RESOURCES", "WALL", "PER SERVICE", "PEAK RSS", "HEAP AT END", "FLIP CHANGES"],
        rows.map((r) => [
            String(r.services),
            String(r.resources),
            `${(r.wallMs / 1000).toFixed(2)} s`,
            `${(r.wallMs / r.services).toFixed(1)} ms`,
            `${r.peakRssMiB.toFixed(0)} MiB`,
            `${r.heapAtEndMiB.toFixed(0)} MiB`,
            `${r.flipChanges}${r.flipIsOneRelease ? " (the Release)" : ""}`,
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
    if (values.only === undefined) {
        // Each program in a process of its own, so that one's memory does not show in the other's.
        for (const only of ["traffic", "program"]) {
            const child = spawnSync(process.execPath, [...process.execArgv, __filename, "--only", only, ...(values.sizes ? ["--sizes", values.sizes] : [])], {
                encoding: "utf8",
                stdio: ["ignore", "pipe", "inherit"],
            });
            write(`${child.stdout.trimEnd()}\n`);
            if (child.status !== 0) {
                return child.status ?? 1;
            }
        }
        return 0;
    }
    write(`Node ${process.version}, ${process.platform}/${process.arch}; offline plans under Pulumi's mock runtime, one process per program, after a warm-up.`);
    if (values.only === "traffic") {
        write(formatBench("The traffic side alone (createMeshTraffic over stand-ins for the server cluster):", await benchProgram(trafficProgram, sizes)));
    } else {
        write(formatBench("The whole program (index.ts):", await benchProgram(undefined, sizes)));
    }
    return 0;
}

if (require.main === module) {
    runMain(() => bench(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)));
}
