// `npm run policy -- <plan.json>`: runs the policy pack over a plan saved with
// `npm run plan -- --stack <s> --json` (`-` reads it from standard input), so that a reviewer can
// check a plan without the program. Same report and exit codes as `npm run plan -- --policy`:
// 0 when no mandatory rule is violated, 1 when one is, 2 on a usage error (unreadable file, not a plan).
import * as fs from "fs";
import { runMain } from "../shared/run";
import { UsageError } from "../../src/offline/errors";
import { PlanRecord } from "./policyArgs";
import { EXIT_OK, EXIT_POLICY_VIOLATION } from "../shared/exitCodes";
import { checkPlan, formatPolicyReport, hasMandatoryViolation } from "./check";

const USAGE = "usage: npm run policy -- <plan.json | ->   (the output of npm run plan -- --stack <name> --json)";

export interface SavedPlan {
    readonly stack: string;
    readonly resources: readonly PlanRecord[];
}

/** Checks that a parsed document has the shape `planToJson` writes; names what is missing. */
export function asSavedPlan(doc: unknown, source: string): SavedPlan {
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
    return plan as SavedPlan;
}

/** Standard input, read as a stream (a pipe may be non-blocking, where a synchronous read fails). */
async function readStandardInput(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) {
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    }
    return Buffer.concat(chunks).toString("utf8");
}

export async function policy(argv: readonly string[], write: (text: string) => void, readStdin: () => Promise<string> = readStandardInput): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) {
        write(USAGE);
        return 0;
    }
    if (argv.length !== 1) {
        throw new UsageError(`expected one plan file\n${USAGE}`);
    }
    const source = argv[0];
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
    const plan = asSavedPlan(doc, source);
    const report = await checkPlan(plan.stack, plan.resources);
    write(formatPolicyReport(report));
    return hasMandatoryViolation(report) ? EXIT_POLICY_VIOLATION : EXIT_OK;
}

if (require.main === module) {
    runMain(() => policy(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)));
}
