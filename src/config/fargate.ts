// The task sizes Fargate offers, and the check every task size in config goes through.
import type { Report } from "./types";

/** Task sizes Fargate offers (Linux): CPU units -> allowed memory in MiB. */
const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
    [256, [512, 1024, 2048]],
    [512, range(1024, 4096, 1024)],
    [1024, range(2048, 8192, 1024)],
    [2048, range(4096, 16384, 1024)],
    [4096, range(8192, 30720, 1024)],
    [8192, range(16384, 61440, 4096)],
    [16384, range(32768, 122880, 8192)],
]);

function range(from: number, to: number, step: number): number[] {
    const values: number[] = [];
    for (let v = from; v <= to; v += step) {
        values.push(v);
    }
    return values;
}

export function checkFargateSize(path: string, cpu: number, memory: number, at: Report): void {
    const allowed = FARGATE_SIZES.get(cpu);
    if (!allowed) {
        at(`${path}.cpu`, `${cpu} is not a Fargate CPU size; allowed: ${[...FARGATE_SIZES.keys()].join(", ")}`);
    } else if (!allowed.includes(memory)) {
        at(`${path}.memory`, `${memory} MiB is not offered by Fargate with cpu ${cpu}; allowed: ${describeSizes(allowed)}`);
    }
}

function describeSizes(sizes: readonly number[]): string {
    return sizes.length <= 4 ? sizes.join(", ") : `${sizes[0]} to ${sizes[sizes.length - 1]} in steps of ${sizes[1] - sizes[0]}`;
}
