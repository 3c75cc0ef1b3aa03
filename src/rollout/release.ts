// The stack's Release: one dynamic resource whose inputs are every service's desired traffic, gates
// and strategy. A traffic change changes this one resource (the splitters ignore their weights after
// creation). Its update, during `pulumi up` and never in preview, starts a rollout of the services
// whose desired split changed in Step Functions (or attaches to the one already running for the same
// change; rollouts of other services run on beside it), waits until the rollout's first state is in
// Consul and holds its services (or its execution ended without that), and returns: it never follows
// the rollout. Following, when asked for, happens in the program (follow.ts, wired by wireRelease.ts),
// because Pulumi's Node.js dynamic provider host cannot see a Ctrl-C: its `cancel` RPC does nothing
// (sdk/nodejs/cmd/dynamic-provider/index.ts), and the engine starts providers in their own process
// group, so the terminal's SIGINT never reaches them; the program does get SIGINT on the first Ctrl-C
// (the Node.js language host forwards the engine's Cancel to it, Pulumi CLI 3.229 and later).
//
// Its AWS calls (StartExecution, DescribeExecution) run as the stack's AWS provider config says
// (awsProviderConfig.ts), read in `configure`, never as whoever the shell is.
import * as os from "os";
import * as pulumi from "@pulumi/pulumi";
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { awsProviderSettings, AwsProviderSettings, describeAwsIdentity, stepFunctionsClientConfig } from "./awsProviderConfig";
import type { ConsulApiAccess } from "../shared/consulApi";
import { formatWeights, sameWeights } from "../shared/weights";
import { KvDocument, readClaimedRollouts, readClaims, readLegacyState, readRollout, rolloutConsulApi, RolloutConsulApi } from "./consulApi";
import { HistoryRecord, isSettled, ROLLOUT_HISTORY_PREFIX, RolloutState, ServiceClaims, Weights } from "./contract";
import { specHash } from "./steps";
import { decideStart, DesiredService, endedShort, heldBack, releaseFor } from "./releaseRules";
import { serviceHealth } from "./serviceHealth";
import { ExecutionInput, executionNameOf } from "./render/stateMachine";

export interface ReleaseInputs {
    readonly stack: string;
    readonly services: readonly DesiredService[];
    readonly stateMachineArn: string;
    readonly region: string;
    readonly consul: ConsulApiAccess;
    /** Present (true) only in a `pulumi up` run with BLUEGREEN_ROLLOUT_RETRY=1: start again a change the platform rolled back. */
    readonly retry?: boolean;
}

/** What the Release did in its last update, for the program to report and follow. */
export type ReleaseResult = "no traffic change" | "started" | "attached";

export interface ReleaseOutputs {
    readonly stack: string;
    readonly services: readonly DesiredService[];
    /** The last rollout this resource started or attached to ("" when its last update moved nothing). */
    readonly lastRolloutId: string;
    readonly lastResult: ReleaseResult;
    /** What the update did, one line each, for the program to print on this resource. */
    readonly messages: readonly string[];
    /** When the update ran (ISO): the program follows only a rollout its own `pulumi up` started or attached to. */
    readonly appliedAt: string;
}

/** What starting a rollout needs, injected so tests run it against a loopback Consul and a virtual clock. */
export interface ReleaseRuntime {
    readonly consul: RolloutConsulApi;
    /** StartExecution; false when an execution of that name already exists and has ended. */
    startExecution(name: string, input: ExecutionInput): Promise<boolean>;
    /** DescribeExecution: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, with Step Functions' error and cause. */
    executionStatus(name: string): Promise<{ status: string; error?: string; cause?: string }>;
    sleep(ms: number): Promise<void>;
    now(): number;
    /** BLUEGREEN_ROLLOUT_RETRY=1: start again the change of each service a rollback left where it put it (heldBack), and a change whose last attempt did not promote. */
    readonly retry: boolean;
    whoAmI(): string;
}

/** How long the update waits for a started execution's first state. */
const FIRST_STATE_WAIT_MS = 120_000;
/**
 * When it looks again after the look at once, ms apart: soon at first (a warm tick writes the state
 * within a second of StartExecution, and `pulumi up` holds the stack until it is seen), then every
 * 2 s (a cold Lambda start takes seconds).
 */
export const FIRST_STATE_POLLS_MS: readonly number[] = [250, 250, 500, 1_000, 2_000];

export interface ReleaseOutcome {
    readonly lastRolloutId: string;
    readonly lastResult: ReleaseResult;
    readonly messages: readonly string[];
}

/** A service `pulumi up` leaves where the platform put it (releaseRules.ts heldBack), and why. */
interface HeldBackService {
    readonly service: string;
    /** What Consul runs. */
    readonly live: Weights;
    /** One line for the Release: serviceHealth's why, and that this `pulumi up` started nothing for it. */
    readonly message: string;
}

/** The held-back services among `desired`, given the claims and the rollouts they name; reads the live split only of services whose rollout ended short. */
async function heldBackOf(
    consul: Pick<RolloutConsulApi, "getSplit">,
    claims: ServiceClaims,
    rollouts: ReadonlyMap<string, KvDocument<RolloutState>>,
    desired: readonly DesiredService[],
    nowMs: number,
): Promise<HeldBackService[]> {
    const ownerOf = (service: string) => rollouts.get(claims.services[service]?.rolloutId ?? "")?.value;
    const candidates = desired.filter((s) => {
        const rollout = ownerOf(s.service);
        return rollout !== undefined && endedShort(rollout);
    });
    const live = await Promise.all(candidates.map((s) => consul.getSplit(s.service)));
    return candidates.flatMap((s, i) => {
        const rollout = ownerOf(s.service)!;
        const runs = live[i];
        if (!runs || !heldBack(s.to, rollout, runs)) {
            return [];
        }
        const why = serviceHealth(s.service, rollout, runs, s.to, nowMs).message;
        const retry =
            rollout.kind === "rollback"
                ? `; or, to move it to the stack file's ${formatWeights(s.to)} again, run pulumi up with BLUEGREEN_ROLLOUT_RETRY=1`
                : "";
        return [{ service: s.service, live: runs, message: `${why}${retry}. This pulumi up started nothing for ${s.service}` }];
    });
}

/**
 * The services of `desired` that `pulumi up` leaves where the platform put it (a rollback by a
 * gate, an alarm, an abort or an operator, while the stack file still asks for the other split),
 * read from Consul: what the program warns about on the Release after each `pulumi up`.
 */
export async function heldBackServices(consul: RolloutConsulApi, desired: readonly DesiredService[], nowMs: number): Promise<HeldBackService[]> {
    const { claims, rollouts } = await readOwners(consul, desired);
    return heldBackOf(consul, claims, rollouts, desired, nowMs);
}

/**
 * Which rollout each service belongs to, and those rollouts. A stack upgraded from schema 2 may
 * still have its one rollout at the old key until the engine's next invocation moves it and claims
 * its unclaimed services (handler.ts migrateLegacy): it is read as theirs already, so that a change
 * of one of them is refused or attached as it will be, and an execution's startAfter names it.
 */
async function readOwners(consul: RolloutConsulApi, desired: readonly DesiredService[]): Promise<{ claims: ServiceClaims; rollouts: Map<string, KvDocument<RolloutState>> }> {
    const [read, legacy] = await Promise.all([readClaims(consul), readLegacyState(consul)]);
    let claims = read.value;
    if (legacy) {
        const state = legacy.value;
        const unclaimed = state.spec.services.filter((s) => claims.services[s.service] === undefined);
        claims = { ...claims, services: { ...claims.services, ...Object.fromEntries(unclaimed.map((s) => [s.service, { rolloutId: state.rolloutId, claimedAt: state.startedAt }])) } };
    }
    const rollouts = await readClaimedRollouts(consul, claims, desired.map((s) => s.service));
    if (legacy && !rollouts.has(legacy.value.rolloutId) && Object.values(claims.services).some((c) => c.rolloutId === legacy.value.rolloutId)) {
        rollouts.set(legacy.value.rolloutId, legacy);
    }
    return { claims, rollouts };
}

/**
 * Carries out a change of desired state: starts its rollout (or attaches to the one running for the
 * same change) and waits for the rollout's first state; throws when it refuses or the rollout
 * ended before it started. Only the release's own services matter: rollouts of other services run
 * on beside it. With `runtime.retry`, the held-back services (heldBackServices) move again too,
 * from the split Consul runs.
 */
export async function applyRelease(
    previous: readonly DesiredService[] | undefined,
    inputs: Pick<ReleaseInputs, "stack" | "services">,
    runtime: ReleaseRuntime,
): Promise<ReleaseOutcome> {
    const { claims, rollouts } = await readOwners(runtime.consul, inputs.services);
    const ownerOf = (service: string) => rollouts.get(claims.services[service]?.rolloutId ?? "")?.value;
    const held = runtime.retry && previous ? await heldBackOf(runtime.consul, claims, rollouts, inputs.services, runtime.now()) : [];
    const base = previous?.map((p) => {
        const h = held.find((x) => x.service === p.service);
        return h ? { ...p, to: h.live } : p;
    });
    const spec = releaseFor(inputs.stack, base, inputs.services);
    if (!spec) {
        return { lastRolloutId: "", lastResult: "no traffic change", messages: [] };
    }
    const owners = spec.services.map((s) => ({ service: s.service, rollout: ownerOf(s.service) }));
    // A stack file put back to what the platform runs (after a rollback, say) moves nothing; while a
    // service's rollout runs or its writes are pending, its live split is on its way elsewhere: decideStart says.
    const live = await Promise.all(spec.services.map((s) => runtime.consul.getSplit(s.service)));
    if (owners.every((o) => o.rollout === undefined || isSettled(o.rollout)) && spec.services.every((s, i) => sameWeights(live[i], s.to))) {
        return {
            lastRolloutId: "",
            lastResult: "no traffic change",
            messages: [`Consul already runs ${spec.services.map((s) => `${s.service} ${formatWeights(s.to)}`).join(", ")}: no rollout to start`],
        };
    }
    const hash = specHash(spec);
    const history = Object.values(await runtime.consul.listJson<HistoryRecord>(ROLLOUT_HISTORY_PREFIX));
    const attempts = history.filter((h) => h.rolloutId.includes(`-${hash.slice(0, 16)}-`)).length;
    const decision = decideStart(inputs.stack, hash, owners, attempts, runtime.retry);
    if (decision.action === "refuse") {
        throw new Error(decision.reason);
    }
    if (decision.action === "attach") {
        const running = owners.find((o) => o.rollout?.rolloutId === decision.rolloutId)!.rollout!;
        return {
            lastRolloutId: decision.rolloutId,
            lastResult: "attached",
            messages: [`attached to rollout ${decision.rolloutId}, already ${running.phase} (started by ${running.requestedBy} at ${running.startedAt})`],
        };
    }
    // The rollout starts only from the rollouts its services belong to now: if another takes one
    // of them first, it ends failed having changed nothing (waitForFirstState says so).
    const startAfter = Object.fromEntries(spec.services.map((s) => [s.service, claims.services[s.service]?.rolloutId ?? ""]));
    let rolloutId = decision.rolloutId;
    // An execution name is taken for 90 days even after it ended: move to the next attempt.
    for (let attempt = attempts + 1; ; attempt++) {
        rolloutId = rolloutId.replace(/-\d+$/, `-${attempt}`);
        const input: ExecutionInput = { rolloutId, specHash: hash, spec, requestedBy: runtime.whoAmI(), startAfter, generation: 0, count: { n: 0 } };
        if (await runtime.startExecution(executionNameOf(rolloutId, 0), input)) {
            break;
        }
        if (attempt > attempts + 20) {
            throw new Error(`could not start rollout ${rolloutId}: every execution name up to attempt ${attempt} is taken`);
        }
    }
    const started = `started rollout ${rolloutId}: ${spec.services.map((s) => `${s.service} to ${formatWeights(s.to)}`).join(", ")}`;
    const first = await waitForFirstState(rolloutId, executionNameOf(rolloutId, 0), runtime);
    return { lastRolloutId: rolloutId, lastResult: "started", messages: [started, ...(first ? [first] : [])] };
}

/**
 * Waits until the started rollout has its state in Consul and holds its services, so that an
 * execution that ends before its first tick wrote any state (the Lambda cannot reach Consul, say),
 * or a rollout that found one of its services taken by another in between (it ends failed having
 * claimed nothing), fails this `pulumi up` instead of leaving a rollout nobody sees. Returns a note
 * when the state is still missing after FIRST_STATE_WAIT_MS while the execution runs.
 */
async function waitForFirstState(rolloutId: string, execution: string, runtime: ReleaseRuntime): Promise<string | undefined> {
    const deadline = runtime.now() + FIRST_STATE_WAIT_MS;
    for (let look = 0; ; look++) {
        if (await hasStarted(rolloutId, runtime.consul)) {
            return undefined;
        }
        const { status, error, cause } = await runtime.executionStatus(execution);
        // An execution may end just after the read above (a release of one step without a bake): look once more.
        if (status !== "RUNNING" && !(await hasStarted(rolloutId, runtime.consul))) {
            throw new Error(
                `execution ${execution} ended ${status} before rollout ${rolloutId} started (${error ?? "no error"}: ${cause ?? "no cause"}); nothing was changed. See the Step Functions console and the Lambda's log group`,
            );
        }
        if (runtime.now() >= deadline) {
            return `execution ${execution} runs but has not written the rollout's state within ${FIRST_STATE_WAIT_MS / 1000}s; see the Lambda's log group`;
        }
        await runtime.sleep(FIRST_STATE_POLLS_MS[Math.min(look, FIRST_STATE_POLLS_MS.length - 1)]);
    }
}

/**
 * The rollout has a state and holds its services (or has moved past pending); throws when it ended
 * failed without claiming any: another rollout took one of its services since the claims were read.
 */
async function hasStarted(rolloutId: string, consul: RolloutConsulApi): Promise<boolean> {
    const state = (await readRollout(consul, rolloutId))?.value;
    if (state === undefined) {
        return false;
    }
    if (state.phase !== "pending" && state.phase !== "failed") {
        return true;
    }
    const claims = (await readClaims(consul)).value;
    if (state.spec.services.some((s) => claims.services[s.service]?.rolloutId === rolloutId)) {
        return true;
    }
    if (state.phase === "failed") {
        throw new Error(`rollout ${rolloutId} did not start and changed nothing: ${state.reason ?? "no reason recorded"}`);
    }
    return false;
}

/** StartExecution and DescribeExecution of the engine's state machine, as the stack's AWS provider config says. */
export function stepFunctionsCalls(stateMachineArn: string, aws: AwsProviderSettings): Pick<ReleaseRuntime, "startExecution" | "executionStatus"> {
    const sfn = new SFNClient(stepFunctionsClientConfig(aws));
    const identity = describeAwsIdentity(aws);
    const explain = (what: string, err: unknown) => {
        const e = err as { name?: string; message?: string };
        return new Error(`${what} as ${identity} failed: ${e.name ?? "Error"}: ${e.message ?? String(err)}`);
    };
    return {
        async startExecution(name, input) {
            try {
                await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
                return true;
            } catch (err) {
                // Same name and input as a RUNNING execution succeeds (idempotent); a closed one, or other input, is this error.
                if ((err as { name?: string }).name === "ExecutionAlreadyExists") {
                    return false;
                }
                throw explain(`StartExecution of ${name}`, err);
            }
        },
        async executionStatus(name) {
            const executionArn = stateMachineArn.replace(":stateMachine:", ":execution:") + `:${name}`;
            try {
                const answer = await sfn.send(new DescribeExecutionCommand({ executionArn }));
                return { status: answer.status ?? "UNKNOWN", error: answer.error, cause: answer.cause };
            } catch (err) {
                throw explain(`DescribeExecution of ${name}`, err);
            }
        },
    };
}

function realRuntime(inputs: ReleaseInputs, aws: AwsProviderSettings): ReleaseRuntime {
    return {
        consul: rolloutConsulApi(inputs.consul),
        ...stepFunctionsCalls(inputs.stateMachineArn, aws),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now: () => Date.now(),
        retry: inputs.retry === true,
        whoAmI: () => `${process.env.USER ?? process.env.USERNAME ?? "unknown"}@${os.hostname()} (pulumi up)`,
    };
}

/** Only the desired services decide whether the release changed; where the engine is does not. */
function fingerprint(services: readonly DesiredService[] | undefined): string {
    return JSON.stringify(services ?? []);
}

/**
 * The Release's provider. A class, because the dynamic provider host calls `configure` on the
 * deserialized instance once with the stack's config (Pulumi's documented way for a dynamic
 * provider to read config), and the instance keeps what it read for create and update.
 */
export class ReleaseProvider implements pulumi.dynamic.ResourceProvider {
    private awsConfig: Record<string, string | undefined> = {};

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        const keys = ["region", "accessKey", "secretKey", "token", "profile", "sharedCredentialsFiles", "sharedConfigFiles", "assumeRole", "assumeRoles", "assumeRoleWithWebIdentity", "endpoints", "stsRegion"];
        this.awsConfig = Object.fromEntries(keys.map((k) => [`aws:${k}`, req.config.get(`aws:${k}`)]));
    }

    /** The stack's AWS provider settings, as `configure` read them; `region` is the program's validated aws:region. */
    awsSettings(region: string): AwsProviderSettings {
        return awsProviderSettings((key) => this.awsConfig[key], region);
    }

    private runtime(inputs: ReleaseInputs): ReleaseRuntime {
        return realRuntime(inputs, this.awsSettings(inputs.region));
    }

    async diff(_id: pulumi.ID, olds: ReleaseOutputs, news: ReleaseInputs): Promise<pulumi.dynamic.DiffResult> {
        return { changes: fingerprint(olds.services) !== fingerprint(news.services) || news.retry === true };
    }

    async create(inputs: ReleaseInputs): Promise<pulumi.dynamic.CreateResult> {
        const outcome = await applyRelease(undefined, inputs, this.runtime(inputs));
        return { id: `${inputs.stack}-release`, outs: { stack: inputs.stack, services: inputs.services, ...outcome, appliedAt: new Date().toISOString() } };
    }

    async update(_id: pulumi.ID, olds: ReleaseOutputs, news: ReleaseInputs): Promise<pulumi.dynamic.UpdateResult> {
        const outcome = await applyRelease(olds.services, news, this.runtime(news));
        return { outs: { stack: news.stack, services: news.services, ...outcome, appliedAt: new Date().toISOString() } };
    }
}

/**
 * The one instance every Release hands Pulumi: the SDK serializes a dynamic provider's code once per
 * provider object (its cache is keyed by the object), and the text is the same for every instance,
 * because `configure` only ever runs on the deserialized copy in the dynamic provider host.
 */
const releaseProvider = new ReleaseProvider();

export interface ReleaseArgs {
    readonly stack: string;
    readonly services: readonly DesiredService[];
    readonly stateMachineArn: pulumi.Input<string>;
    readonly region: string;
    readonly consul: pulumi.Input<ConsulApiAccess<pulumi.Input<string>>>;
    /** Only when BLUEGREEN_ROLLOUT_RETRY=1: absent otherwise, so that a normal plan's inputs never change. */
    readonly retry?: true;
}

/** Type token: `pulumi-nodejs:dynamic/bluegreen:Release`. The one resource a traffic change changes. */
export class Release extends pulumi.dynamic.Resource {
    public readonly lastRolloutId!: pulumi.Output<string>;
    public readonly lastResult!: pulumi.Output<ReleaseResult>;
    public readonly messages!: pulumi.Output<string[]>;
    public readonly appliedAt!: pulumi.Output<string>;

    constructor(name: string, args: ReleaseArgs, opts?: pulumi.CustomResourceOptions) {
        super(releaseProvider, name, { ...args, lastRolloutId: undefined, lastResult: undefined, messages: undefined, appliedAt: undefined }, opts, "bluegreen", "Release");
    }
}
