// The two flip modes that never apply: --dry-run (print the config change and the offline plan's
// resource diff, write nothing) and --no-up (edit Pulumi.<stack>.yaml for a pull request). Both
// run the config gate only; the health gate runs where the change is applied (in the program).
import { Colour, ServiceConfig } from "../../src/config";
import { OfflinePlan } from "../../src/offline/planRecords";
import { StackValues, stackValuesOf } from "../../src/offline/stackFile";
import { checkFlipChanges, diffOfflinePlans, formatChanges } from "../../src/offline/planDiff";
import { EXIT_FAILED, EXIT_OK } from "../shared/exitCodes";
import { StackContext } from "./context";
import { configGate, formatGates } from "./gates";
import { editTrafficText, StackLock, writeFileAtomic } from "./stackFile";
import { formatWeights, planSteps, Weights } from "./steps";

export interface ConfigOnlyRequest {
    readonly context: StackContext;
    readonly service: ServiceConfig;
    readonly to: Colour;
    readonly steps?: readonly number[];
    readonly command: string;
}

export type PlanFn = (stack: string, config: StackValues) => Promise<OfflinePlan>;

/** The lines of `before` and `after` that differ, as a minimal `-`/`+` listing with line numbers. */
export function changedLines(before: string, after: string): string {
    const a = before.split("\n");
    const b = after.split("\n");
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (a[i] !== b[i]) {
            out.push(`  line ${i + 1}:`, `  - ${a[i] ?? ""}`, `  + ${b[i] ?? ""}`);
        }
    }
    return out.join("\n");
}

function describeSteps(steps: readonly Weights[]): string {
    return steps.map((w, i) => `  ${i + 1}. ${formatWeights(w)}`).join("\n");
}

export async function runDryRun(request: ConfigOnlyRequest, planOffline: PlanFn, write: (text: string) => void): Promise<number> {
    const { context, service, to } = request;
    const steps = planSteps(service.traffic, to, request.steps);
    write(`Dry run for ${service.name} in stack ${context.stack} (nothing is written).`);
    if (steps.length === 0) {
        write(`Nothing to do: ${to} already has 100% (${formatWeights(service.traffic)}).`);
        return EXIT_OK;
    }
    const edited = editTrafficText(context.text, service.name, steps[0]);
    const gate = configGate(service, to);
    write(`Steps from ${formatWeights(service.traffic)}:\n${describeSteps(steps)}`);
    write(`Config gate: ${formatGates([gate])}`);
    if (!gate.ok) {
        return EXIT_FAILED;
    }
    write(`The health gate${service.gate.alarms.length > 0 ? " and the alarm gate run" : " runs"} where the change is applied, before every step.`);
    write(`Config change (Pulumi.${context.stack}.yaml, ${steps.length > 1 ? "first step" : "final weights"}):\n${changedLines(context.text, edited)}`);
    const before = await planOffline(context.stack, stackValuesOf(context.text, context.file));
    const after = await planOffline(context.stack, stackValuesOf(edited, context.file));
    const changes = diffOfflinePlans(before, after);
    write(`Offline plan: resources whose inputs change (${changes.length} of ${after.resources.length}):\n${formatChanges(changes)}`);
    const verdict = checkFlipChanges(changes, service.name);
    if (!verdict.ok) {
        write(`WARNING: a real flip would refuse this change: it touches more than the splitter and health gate of ${service.name}:\n  ${verdict.unexpected.join("\n  ")}`);
    } else if (!verdict.splitterChanged) {
        write(`WARNING: the offline plan changes no splitter of ${service.name}: this program registers no traffic policy for it yet.`);
    }
    return EXIT_OK;
}

export function runNoUp(request: ConfigOnlyRequest, write: (text: string) => void): number {
    const { context, service, to } = request;
    const steps = planSteps(service.traffic, to, request.steps);
    if (steps.length === 0) {
        write(`Nothing to do: ${to} already has 100% (${formatWeights(service.traffic)}); Pulumi.${context.stack}.yaml is unchanged.`);
        return EXIT_OK;
    }
    const edited = editTrafficText(context.text, service.name, steps[0]);
    const gate = configGate(service, to);
    write(`Config gate: ${formatGates([gate])}`);
    if (!gate.ok) {
        write(`Pulumi.${context.stack}.yaml is unchanged.`);
        return EXIT_FAILED;
    }
    const lock = StackLock.acquire(context.file, request.command);
    try {
        const weights = steps[0];
        writeFileAtomic(context.file, edited);
        write(`Wrote ${service.name}: ${formatWeights(service.traffic)} -> ${formatWeights(weights)} to ${context.file}:\n${changedLines(context.text, edited)}`);
        if (steps.length > 1) {
            write(`That is step 1 of ${steps.length}; run --no-up again with the same --steps after it is merged and baked, for the next step.`);
        }
        write(
            `Next: commit the file and open a pull request; \`pulumi preview --stack ${context.stack}\` in the PR shows the splitter change, ` +
                `and the program's health gate checks ${service.name} before the splitter is written by \`pulumi up\`.`,
        );
        return EXIT_OK;
    } finally {
        lock.release();
    }
}
