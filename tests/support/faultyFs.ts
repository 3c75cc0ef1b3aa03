// A filesystem for the stack-file lock and edit (cli/flip/stackLock.ts FileSystem) that is the real
// `fs` with faults injected on chosen calls: an errno error (ENOSPC, EIO, ...) thrown instead of
// the call, as the kernel would, or a "kill": from that call on, every call throws Killed and
// changes nothing, as if the process had died between two system calls (its cleanup never runs).
// existsSync never throws for real (it answers false), so it only takes kills.
import * as fs from "fs";
import type { FileSystem } from "../../cli/flip/stackLock";

/** The process "died" here. */
export class Killed extends Error {
    constructor(readonly at: string) {
        super(`killed at ${at}`);
        this.name = "Killed";
    }
}

type FaultDecision = { readonly kind: "errno"; readonly code: string } | { readonly kind: "kill" } | undefined;

/** Decides, for the n-th call (0-based) of `name` on `target`, whether it fails. */
export type FaultPlan = (call: { readonly n: number; readonly name: string; readonly target: string }) => FaultDecision;

function errnoError(code: string, syscall: string, target: string): NodeJS.ErrnoException {
    const err = new Error(`${code}: injected fault, ${syscall} '${target}'`) as NodeJS.ErrnoException;
    err.code = code;
    err.syscall = syscall;
    err.path = target;
    return err;
}

const METHODS = [
    "openSync",
    "writeSync",
    "closeSync",
    "fsyncSync",
    "fchmodSync",
    "fstatSync",
    "fchownSync",
    "readFileSync",
    "writeFileSync",
    "statSync",
    "lstatSync",
    "renameSync",
    "linkSync",
    "rmSync",
    "readdirSync",
    "realpathSync",
    "accessSync",
    "existsSync",
] as const;

export interface FaultyFs {
    readonly fs: FileSystem;
    /** Every call made, as "name target". */
    readonly calls: string[];
    killed(): boolean;
}

export function faultyFs(plan: FaultPlan): FaultyFs {
    const calls: string[] = [];
    let dead = false;
    const fds = new Map<number, string>();
    const wrapped: Record<string, unknown> = {};
    for (const name of METHODS) {
        const real = (fs[name] as (...args: unknown[]) => unknown).bind(fs);
        wrapped[name] = (...args: unknown[]) => {
            const target = typeof args[0] === "number" ? (fds.get(args[0]) ?? `fd ${args[0]}`) : String(args[0]);
            const n = calls.length;
            calls.push(`${name} ${target}`);
            if (dead) {
                throw new Killed(`${name} ${target} (after the kill)`);
            }
            const decision = plan({ n, name, target });
            if (decision?.kind === "kill") {
                dead = true;
                // The kernel closes a dead process's files.
                for (const fd of fds.keys()) {
                    fs.closeSync(fd);
                }
                fds.clear();
                throw new Killed(`${name} ${target}`);
            }
            // existsSync reports any failure as false, never as an error.
            if (decision?.kind === "errno" && name !== "existsSync") {
                if (name === "closeSync") {
                    // close(2) releases the descriptor even when it reports an error.
                    real(...args);
                    fds.delete(args[0] as number);
                }
                throw errnoError(decision.code, name, target);
            }
            const result = real(...args);
            if (name === "openSync") {
                fds.set(result as number, target);
            }
            if (name === "closeSync") {
                fds.delete(args[0] as number);
            }
            return result;
        };
    }
    return { fs: wrapped as unknown as FileSystem, calls, killed: () => dead };
}
