// Reads a plan saved with `npm run plan -- --stack <s> --json` (a file, or `-` for standard input)
// and checks its shape, for the commands that work on a saved plan (policy, preflight).
import * as fs from "fs";
import { UsageError } from "../../src/offline/errors";
import type { PlanRecord } from "../../src/offline/planRecords";

export interface SavedPlan {
    readonly stack: string;
    readonly resources: readonly PlanRecord[];
    /** The data sources the program read (absent in plans saved before they were recorded). */
    readonly reads?: readonly { readonly token: string; readonly inputs: Record<string, unknown>; readonly outputs: Record<string, unknown> }[];
}

/** Checks that a parsed document has the shape `planToJson` writes; names what is missing. */
function asSavedPlan(doc: unknown, source: string): SavedPlan {
    const plan = doc as Partial<SavedPlan> | null;
    if (plan === null || typeof plan !== "object" || typeof plan.stack !== "string" || !Array.isArray(plan.resources)) {
        throw new UsageError(`${source} is not a plan: expected {"stack": ..., "resources": [...]} as written by npm run plan -- --stack <name> --json`);
    }
    plan.resources.forEach((r, i) => {
        const ok = r !== null && typeof r === "object" && ["type", "name", "urn"].every((k) => typeof (r as unknown as Record<string, unknown>)[k] === "string") && typeof r.inputs === "object";
        if (!ok) {
            throw new UsageError(`${source}: resources[${i}] lacks a type, name, urn or inputs`);
        }
    });
    if (plan.reads !== undefined && (!Array.isArray(plan.reads) || plan.reads.some((r) => r === null || typeof r !== "object" || typeof r.token !== "string"))) {
        throw new UsageError(`${source}: reads must be a list of {"token", "inputs", "outputs"}`);
    }
    return plan as SavedPlan;
}

/** Standard input, read as a stream (a pipe may be non-blocking, where a synchronous read fails). */
export async function readStandardInput(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) {
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    }
    return Buffer.concat(chunks).toString("utf8");
}

/** Reads and parses a saved plan; unreadable files and non-JSON are usage errors. */
export async function readSavedPlan(source: string, readStdin: () => Promise<string> = readStandardInput): Promise<SavedPlan> {
    let text: string;
    try {
        text = source === "-" ? await readStdin() : fs.readFileSync(source, "utf8");
    } catch (err) {
        throw new UsageError(`cannot read ${source}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (err) {
        throw new UsageError(`${source} is not JSON: ${(err as Error).message}`);
    }
    return asSavedPlan(doc, source);
}
