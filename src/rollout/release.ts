// The stack's Release: one dynamic resource whose inputs are every service's desired traffic, gates
// and strategy. A traffic change changes this one resource (the splitters ignore their weights after
// creation). Its update, during `pulumi up` and never in preview, starts the rollout in Step
// Functions (or attaches to the one already running for the same change) and by default follows it
// to the end, printing progress, failing with the reason if the platform rolled it back. Stopping
// `pulumi up` stops only the following: the execution goes on, and the next `pulumi up` attaches.
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { ConsulApiAccess } from "../shared/consulApi";
import { formatWeights } from "../shared/weights";
import { rolloutConsulApi, RolloutConsulApi } from "./consulApi";
import { HistoryRecord, isTerminal, ROLLOUT_HISTORY_PREFIX, ROLLOUT_STATE_KEY, RolloutState } from "./contract";
import { specHash } from "./steps";
import { decideStart, DesiredService, releaseFor } from "./releaseRules";
import { ExecutionInput, executionNameOf } from "./render/stateMachine";

export interface ReleaseInputs {
    readonly stack: string;
    readonly services: readonly DesiredService[];
    readonly stateMachineArn: string;
    readonly region: string;
    readonly consul: ConsulApiAccess;
}

export interface ReleaseOutputs {
    readonly stack: string;
    readonly services: readonly DesiredService[];
    /** The last rollout this resource started or attached to, and how it ended. */
    readonly lastRolloutId: string;
    readonly lastResult: string;
}

/** What following a rollout needs, injected so tests run it against a loopback Consul and a virtual clock. */
export interface ReleaseRuntime {
    readonly consul: RolloutConsulApi;
    /** StartExecution; false when an execution of that name already exists and has ended. */
    startExecution(name: string, input: ExecutionInput): Promise<boolean>;
    /** DescribeExecution: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, with Step Functions' error and cause. */
    executionStatus(name: string): Promise<{ status: string; error?: string; cause?: string }>;
    sleep(ms: number): Promise<void>;
    log(message: string): void;
    readonly retry: boolean;
    readonly follow: boolean;
    /** Time between two reads of the state while following. */
    readonly pollMs: number;
    whoAmI(): string;
}

/** Carries out a change of desired state; resolves with the last rollout's id and result, throws when it did not promote. */
export async function applyRelease(previous: readonly DesiredService[] | undefined, inputs: Pick<ReleaseInputs, "stack" | "services">, runtime: ReleaseRuntime): Promise<{ lastRolloutId: string; lastResult: string }> {
    const spec = releaseFor(inputs.stack, previous, inputs.services);
    if (!spec) {
        return { lastRolloutId: "", lastResult: "no traffic change" };
    }
    const hash = specHash(spec);
    const latest = (await runtime.consul.getJson<RolloutState>(ROLLOUT_STATE_KEY))?.value;
    const history = Object.values(await runtime.consul.listJson<HistoryRecord>(ROLLOUT_HISTORY_PREFIX));
    const attempts = history.filter((h) => h.rolloutId.includes(`-${hash.slice(0, 16)}-`)).length;
    const decision = decideStart(inputs.stack, hash, latest, attempts, runtime.retry);
    if (decision.action === "refuse") {
        throw new Error(decision.reason);
    }
    let rolloutId = decision.rolloutId;
    if (decision.action === "attach") {
        runtime.log(`attaching to rollout ${rolloutId}, already ${latest!.phase} (started by ${latest!.requestedBy} at ${latest!.startedAt})`);
    } else {
        // An execution name is taken for 90 days even after it ended: move to the next attempt.
        for (let attempt = attempts + 1; ; attempt++) {
            rolloutId = rolloutId.replace(/-\d+$/, `-${attempt}`);
            const input: ExecutionInput = { rolloutId, specHash: hash, spec, requestedBy: runtime.whoAmI(), generation: 0, count: { n: 0 } };
            if (await runtime.startExecution(executionNameOf(rolloutId, 0), input)) {
                break;
            }
            if (attempt > attempts + 20) {
                throw new Error(`could not start rollout ${rolloutId}: every execution name up to attempt ${attempt} is taken`);
            }
        }
        runtime.log(`started rollout ${rolloutId}: ${spec.services.map((s) => `${s.service} to ${formatWeights(s.to)}`).join(", ")}`);
    }
    if (!runtime.follow) {
        runtime.log(`not following it (BLUEGREEN_ROLLOUT_FOLLOW=0): npm run flip -- status --watch`);
        return { lastRolloutId: rolloutId, lastResult: "started" };
    }
    return follow(rolloutId, decision.action === "start" ? executionNameOf(rolloutId, 0) : undefined, runtime);
}

/**
 * @param execution the execution just started, watched until the rollout's state appears: an
 *   execution that ends before its first tick wrote any state (the Lambda cannot reach Consul, say)
 *   would otherwise be followed forever.
 */
async function follow(rolloutId: string, execution: string | undefined, runtime: ReleaseRuntime): Promise<{ lastRolloutId: string; lastResult: string }> {
    let printed = "";
    let seen = false;
    for (;;) {
        const state = (await runtime.consul.getJson<RolloutState>(ROLLOUT_STATE_KEY))?.value;
        if (!seen && execution !== undefined && state?.rolloutId !== rolloutId) {
            const { status, error, cause } = await runtime.executionStatus(execution);
            if (status !== "RUNNING") {
                throw new Error(`execution ${execution} ended ${status} before rollout ${rolloutId} wrote any state (${error ?? "no error"}: ${cause ?? "no cause"}); nothing was changed. See the Step Functions console and the Lambda's log group`);
            }
        }
        if (state && state.rolloutId === rolloutId) {
            seen = true;
            // Events are appended in order and the oldest drop off past 50: print those after the last
            // one printed, or, if it dropped off, those later than it.
            const keys = state.events.map((e) => `${e.at} ${e.message}`);
            const last = keys.lastIndexOf(printed);
            const fresh = last >= 0 ? state.events.slice(last + 1) : state.events.filter((e) => printed === "" || e.at > printed.slice(0, printed.indexOf(" ")));
            for (const event of fresh) {
                runtime.log(`${event.at} ${event.message}`);
            }
            printed = fresh.length > 0 ? `${fresh[fresh.length - 1].at} ${fresh[fresh.length - 1].message}` : printed;
            if (isTerminal(state.phase)) {
                if (state.phase !== "promoted") {
                    throw new Error(
                        `rollout ${rolloutId} ended ${state.phase}: ${state.reason}. The platform restored the split it started from; ` +
                            `the stack file still says otherwise (Degraded: see npm run flip -- status)`,
                    );
                }
                return { lastRolloutId: rolloutId, lastResult: "promoted" };
            }
        } else if (state && state.rolloutId !== rolloutId && !isTerminal(state.phase)) {
            throw new Error(`rollout ${state.rolloutId} is running instead of ${rolloutId}`);
        }
        await runtime.sleep(runtime.pollMs);
    }
}

function realRuntime(inputs: ReleaseInputs): ReleaseRuntime {
    const sfn = new SFNClient({ region: inputs.region });
    return {
        consul: rolloutConsulApi(inputs.consul),
        async startExecution(name, input) {
            try {
                await sfn.send(new StartExecutionCommand({ stateMachineArn: inputs.stateMachineArn, name, input: JSON.stringify(input) }));
                return true;
            } catch (err) {
                // Same name and input as a RUNNING execution succeeds (idempotent); a closed one, or other input, is this error.
                if ((err as { name?: string }).name === "ExecutionAlreadyExists") {
                    return false;
                }
                throw err;
            }
        },
        async executionStatus(name) {
            const executionArn = inputs.stateMachineArn.replace(":stateMachine:", ":execution:") + `:${name}`;
            const answer = await sfn.send(new DescribeExecutionCommand({ executionArn }));
            return { status: answer.status ?? "UNKNOWN", error: answer.error, cause: answer.cause };
        },
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        log: (message) => pulumi.log.info(message),
        retry: process.env.BLUEGREEN_ROLLOUT_RETRY === "1",
        follow: process.env.BLUEGREEN_ROLLOUT_FOLLOW !== "0",
        pollMs: 5000,
        whoAmI: () => `${process.env.USER ?? process.env.USERNAME ?? "unknown"}@${os.hostname()} (pulumi up)`,
    };
}

/** Only the desired services decide whether the release changed; where the engine is does not. */
function fingerprint(services: readonly DesiredService[] | undefined): string {
    return JSON.stringify(services ?? []);
}

export const releaseProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: pulumi.ID, olds: ReleaseOutputs, news: ReleaseInputs): Promise<pulumi.dynamic.DiffResult> {
        return { changes: fingerprint(olds.services) !== fingerprint(news.services) };
    },
    async create(inputs: ReleaseInputs): Promise<pulumi.dynamic.CreateResult> {
        const outcome = await applyRelease(undefined, inputs, realRuntime(inputs));
        return { id: `${inputs.stack}-release`, outs: { stack: inputs.stack, services: inputs.services, ...outcome } };
    },
    async update(_id: pulumi.ID, olds: ReleaseOutputs, news: ReleaseInputs): Promise<pulumi.dynamic.UpdateResult> {
        const outcome = await applyRelease(olds.services, news, realRuntime(news));
        return { outs: { stack: news.stack, services: news.services, ...outcome } };
    },
};

export interface ReleaseArgs {
    readonly stack: string;
    readonly services: readonly DesiredService[];
    readonly stateMachineArn: pulumi.Input<string>;
    readonly region: string;
    readonly consul: pulumi.Input<ConsulApiAccess<pulumi.Input<string>>>;
}

/** Type token: `pulumi-nodejs:dynamic/bluegreen:Release`. The one resource a traffic change changes. */
export class Release extends pulumi.dynamic.Resource {
    public readonly lastRolloutId!: pulumi.Output<string>;
    public readonly lastResult!: pulumi.Output<string>;

    constructor(name: string, args: ReleaseArgs, opts?: pulumi.CustomResourceOptions) {
        super(releaseProvider, name, { ...args, lastRolloutId: undefined, lastResult: undefined }, opts, "bluegreen", "Release");
    }
}
