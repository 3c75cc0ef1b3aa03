// `set`: the config flip, which stays the interface. It writes the desired split of one or more
// services into Pulumi.<stack>.yaml (only those weights, byte for byte, under the stack file's
// lock); the user's `pulumi up` then starts the rollout in the engine, which moves the traffic step
// by step and rolls back by itself. `--dry-run` prints the change and the offline plan's diff and
// writes nothing; `--up` runs that `pulumi up` now, through Pulumi's Automation API.
import { Colour, ServiceConfig } from "../../src/config";
import { diffOfflinePlans, formatChanges } from "../../src/offline/planDiff";
import { OfflinePlan } from "../../src/offline/planRecords";
import { StackValues } from "../../src/offline/stackFile";
import { FlipInputError } from "./clientErrors";
import { StackContext } from "./context";
import { editStackFile, editTrafficText, StackFileEdit, trafficIn } from "./stackFile";
import { stackValuesOf } from "../../src/offline/stackFile";
import { LockOptions } from "./stackLock";
import { formatWeights, sameWeights, Weights } from "../../src/shared/weights";
import { weightsFor } from "./steps";

export interface SetRequest {
    readonly context: StackContext;
    readonly services: readonly ServiceConfig[];
    readonly to: Colour;
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

/** The target colour must exist to take traffic: an image and at least one task. */
function configProblems(services: readonly ServiceConfig[], to: Colour): string[] {
    return services.flatMap((service) => {
        const colour = service[to];
        const path = `bluegreen:services.${service.name}.${to}`;
        if (!colour.image) {
            return [`${service.name}/${to} has no image; set ${path}.image (and deploy it) before sending it traffic`];
        }
        return colour.count < 1 ? [`${service.name}/${to} has count 0; set ${path}.count above 0 (and deploy it) before sending it traffic`] : [];
    });
}

/** The services whose split changes, with the split they get. */
function changes(request: SetRequest): { service: ServiceConfig; weights: Weights }[] {
    const problems = configProblems(request.services, request.to);
    if (problems.length > 0) {
        throw new FlipInputError(`the stack file is unchanged:\n  ${problems.join("\n  ")}`);
    }
    return request.services.map((service) => ({ service, weights: weightsFor(request.to, 100) })).filter((c) => !sameWeights(c.service.traffic, c.weights));
}

/** Applies the changes to `text`, refusing if another flip changed one of those services meanwhile. */
function edited(text: string, list: readonly { service: ServiceConfig; weights: Weights }[]): string {
    let result = text;
    for (const { service, weights } of list) {
        const now = trafficIn(result, service.name);
        if (!sameWeights(now, service.traffic)) {
            throw new FlipInputError(`another flip changed ${service.name} to ${formatWeights(now)} while this one waited; nothing was written, run it again`);
        }
        result = editTrafficText(result, service.name, weights);
    }
    return result;
}

/**
 * Writes each service's split into the stack file under its lock, atomically: set's edit, and
 * `flip rollback`'s write-back of the splits it rolled back to (the same bytes for the same split).
 */
export function writeSplits(context: StackContext, list: readonly { service: ServiceConfig; weights: Weights }[], command: string, lockOptions: LockOptions = {}): Promise<StackFileEdit> {
    return editStackFile(context.file, command, (text) => edited(text, list), lockOptions);
}

export async function runSetDryRun(request: SetRequest, planOffline: PlanFn, write: (text: string) => void): Promise<boolean> {
    const { context } = request;
    const list = changes(request);
    write(`Dry run for stack ${context.stack} (nothing is written).`);
    if (list.length === 0) {
        write(`Nothing to change: ${request.services.map((s) => s.name).join(", ")} already send all traffic to ${request.to}.`);
        return false;
    }
    const after = edited(context.text, list);
    write(`Desired split:\n${list.map((c) => `  ${c.service.name}: ${formatWeights(c.service.traffic)} -> ${formatWeights(c.weights)}`).join("\n")}`);
    write(`Config change (Pulumi.${context.stack}.yaml):\n${changedLines(context.text, after)}`);
    const planBefore = await planOffline(context.stack, stackValuesOf(context.text, context.file));
    const planAfter = await planOffline(context.stack, stackValuesOf(after, context.file));
    const diff = diffOfflinePlans(planBefore, planAfter);
    write(`Offline plan: resources whose inputs change (${diff.length} of ${planAfter.resources.length}):\n${formatChanges(diff)}`);
    return false;
}

/** Edits the file; true when it changed. */
export async function runSetEdit(request: SetRequest, write: (text: string) => void, lockOptions: LockOptions = {}): Promise<boolean> {
    const { context } = request;
    const list = changes(request);
    if (list.length === 0) {
        write(`Nothing to change: ${request.services.map((s) => s.name).join(", ")} already send all traffic to ${request.to}; Pulumi.${context.stack}.yaml is unchanged.`);
        return false;
    }
    const { before, after } = await writeSplits(context, list, request.command, lockOptions);
    write(`Wrote the desired split to ${context.file}:`);
    write(list.map((c) => `  ${c.service.name}: ${formatWeights(c.service.traffic)} -> ${formatWeights(c.weights)}`).join("\n"));
    write(changedLines(before, after));
    return true;
}

export function nextSteps(stack: string, ranUp: boolean): string {
    return ranUp
        ? `Follow or control it from any machine: npm run flip -- status --stack ${stack} --watch (pause, resume, promote, abort)`
        : `Next: commit the file and open a pull request (\`pulumi preview --stack ${stack}\` shows the change); \`pulumi up --stack ${stack}\` ` +
              `starts the rollout in the platform. Follow it with: npm run flip -- status --stack ${stack} --watch`;
}
