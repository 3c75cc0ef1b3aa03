// `npm run flip -- --stack <s> --service <name> --to <colour> [--steps 10,50,100 --interval 5m]
// [--dry-run | --no-up]` and `npm run flip -- --stack <s> --status`: promote, canary and roll back
// a service by changing its traffic split in Pulumi.<stack>.yaml and applying it to that stack.
// Exit 0 on success, 1 when a gate or an apply failed (after rolling back), 2 on a usage error,
// 130 when interrupted (after rolling back).
import * as path from "path";
import { consulHttpClient } from "../../src/consul/httpClient";
import { cloudWatchAlarms } from "./alarms";
import { parseFlipArgs, USAGE } from "./args";
import { Applier, automationApplier } from "./apply";
import { abortableSleep, Interrupts, processInterrupts, runCanary } from "./canary";
import { runDryRun, runNoUp, PlanFn } from "./configOnly";
import { Environment, consulOptionsFrom } from "./consulOptions";
import { findService, loadStackContext } from "./context";
import { AlarmReader, HealthSource } from "./gates";
import { Output, progress } from "./progress";
import { runStatus } from "./status";
import { runMain } from "../shared/run";
import { planStack } from "../../src/offline/runtime";

/** What the flip talks to; every field has a real default, and tests replace some of them. */
export interface FlipEnvironment {
    readonly out: Output;
    readonly env: Environment;
    /** Applies a step (default: Pulumi's Automation API). */
    readonly applier?: Applier;
    /** Reads CloudWatch alarms (default: the AWS SDK, in the stack's region). */
    readonly alarms?: (region: string) => AlarmReader;
    readonly interrupts?: Interrupts;
    readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
    readonly now?: () => number;
    /** Plans a config offline for --dry-run (default: the real program under the mock runtime). */
    readonly planOffline?: PlanFn;
    /** How long an edit waits for another flip's lock on the stack file (default 15 s). */
    readonly lockWaitMs?: number;
}

export const PROJECT_DIR = path.join(__dirname, "..", "..");

export async function flip(argv: readonly string[], environment: FlipEnvironment): Promise<number> {
    const write = (text: string) => environment.out.write(`${text}\n`);
    const args = parseFlipArgs(argv, PROJECT_DIR);
    if (args === "help") {
        write(USAGE);
        return 0;
    }
    const context = loadStackContext(args.stack, args.dir);
    const service = args.service === undefined ? undefined : findService(context, args.service);
    const consulOptions = consulOptionsFrom(args.consulAddress, environment.env, context.config);
    const consul: HealthSource | undefined = consulOptions ? consulHttpClient(consulOptions) : undefined;
    const command = `npm run flip -- ${argv.join(" ")}`;

    if (args.mode === "status") {
        return runStatus(context, service, consul, write);
    }
    // Both are set outside --status (parseFlipArgs requires them).
    const target = { context, service: service!, to: args.to!, steps: args.steps, command };
    if (args.mode === "dry-run") {
        const planOffline = environment.planOffline ?? ((stack, config) => planStack({ stack, config }));
        return runDryRun(target, planOffline, write);
    }
    if (args.mode === "no-up") {
        return runNoUp(target, write, { onWait: write, waitMs: environment.lockWaitMs });
    }
    const alarms = target.service.gate.alarms.length > 0 ? (environment.alarms ?? cloudWatchAlarms)(context.config.region) : undefined;
    return runCanary(
        { ...target, intervalMs: args.intervalMs, pollMs: args.pollMs },
        {
            applier: environment.applier ?? automationApplier(),
            consul,
            alarms,
            progress: progress(environment.out, `[${context.stack}/${target.service.name}]`),
            interrupts: environment.interrupts ?? processInterrupts(),
            sleep: environment.sleep ?? abortableSleep,
            now: environment.now ?? Date.now,
        },
    );
}

if (require.main === module) {
    runMain(() => flip(process.argv.slice(2), { out: process.stdout, env: process.env }));
}
