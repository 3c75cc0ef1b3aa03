// A world for the rollout engine's randomized fault-injection test (tests/rollout/engine.faults.test.ts
// and `npm run test:engine-soak`): the REAL tick handler (src/rollout/handler.ts handleEvent, with its
// injected I/O) invoked as Step Functions runs the project's REAL state machine definition
// (src/rollout/render/stateMachine.ts, interpreted by tests/support/aslDriver.ts: Retry, Catch, Wait,
// Choice, the JSON round-trip of results), by EventBridge for alarm state changes and for the
// watchdog's schedule (Lambda's asynchronous retries included), and by `flip rollback` (the
// `{ kind: "rollback" }` invocation, which its client invokes again when it gets no answer). Releases
// are `pulumi up`'s REAL Release logic (applyRelease: it reads the claims, attaches to or refuses a
// running rollout of a service, else starts an execution with `startAfter`), sometimes with a lag
// between its read of the claims and the execution's first tick (a cold start, a Task retry) during
// which the next `pulumi up` reads them too; commands are written by the contract's
// command-writing rule. Everything talks to an
// IN-MEMORY MODEL of Consul's documented KV and config-entry API (tests/support/fakeConsul.ts
// consulModel: ModifyIndex, `?cas=` on KV and config entries; it is NOT Consul), with CloudWatch
// alarms and analysis verdicts, on a virtual clock.
//
// A world has up to three services and up to three releases, of disjoint or overlapping services,
// each with its own execution loop, side by side: overlapping ones must be refused (by the client,
// or by the engine when the client read the claims before the other started).
//
// Every Consul call of every invocation is a point where the world may run something else: the next
// call to answer is picked at random among all the calls waiting (the executions' loops, alarm
// events, rollbacks, retries, the Catch, clients), and may fail (500), time out (applied or not), be
// slow, lose its check-and-set to a concurrent write, or kill the function. Invariants are checked at
// every splitter write that lands, at every state write, after every step that changed Consul and at
// the end (see `splitterLanding`, `checkStateWrite`, `check` and `finish`); a violation is recorded
// with the time it happened.
import fc from "fast-check";
import { alarmStates } from "../../src/rollout/alarms";
import { readClaims, weightsOfEntry } from "../../src/rollout/consulApi";
import {
    CLAIMS_KEY,
    CommandKind,
    commandSlotFree,
    ControlCommand,
    ENGINE_SILENCE_GRACE_SECONDS,
    hasPendingWrites,
    isSettled,
    isTerminal,
    parseRolloutState,
    parseServiceClaims,
    RollbackRequest,
    rollbackIdFor,
    rolloutCommandKey,
    ROLLOUTS_PREFIX,
    RolloutState,
    rolloutStateKey,
    RolloutStrategy,
    ServiceClaims,
    Weights,
} from "../../src/rollout/contract";
import { expectedSplit } from "../../src/rollout/decide";
import type { AnalysisVerdict } from "../../src/rollout/gates";
import { EngineDeps, EngineEvent, handleEvent, TickResult } from "../../src/rollout/handler";
import { engineSilenceLimitSeconds, ExecutionInput, rolloutStateMachine } from "../../src/rollout/render/stateMachine";
import { applyRelease, ReleaseRuntime } from "../../src/rollout/release";
import type { DesiredService } from "../../src/rollout/releaseRules";
import { canonicalJson } from "../../src/rollout/steps";
import { sameWeights, weightSumProblem, formatWeights } from "../../src/shared/weights";
import { stickyServiceName } from "../../src/shared/meshNames";
import { AslDefinition, runExecution } from "./aslDriver";
import { ConsulAnswer, consulModel, ConsulModel, FakeInstance } from "./fakeConsul";
import { ConsulTransport, modelRolloutApi, putConfigEntry } from "./fakeConsulKv";

const FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:prod-rollout-tick";
const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout";
const DEFINITION = rolloutStateMachine(FUNCTION, MACHINE) as unknown as AslDefinition;
const STACK = "prod";
const T0 = Date.parse("2026-12-01T10:00:00.000Z");
const ALARM = "orders-5xx";
/** The function's timeout (src/rollout/engine.ts) and the Consul client's (src/consul/httpClient.ts). */
const LAMBDA_TIMEOUT_MS = 60_000;
const CONSUL_TIMEOUT_MS = 5_000;
/** EventBridge invokes asynchronously: Lambda runs a failed event twice more, 1 and then 2 minutes later (Lambda's documentation). */
const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000];
/** How long a racing alarm (WorldEvent "alarm", racing) waits for a splitter write before it happens anyway. */
const RACE_WINDOW_MS = 60_000;
/** The watchdog's schedule (src/rollout/engine.ts): rate(1 minute). */
const WATCHDOG_PERIOD_MS = 60_000;
/** `flip rollback` invokes the function synchronously; without an answer it invokes it again, this many times in all. */
const ROLLBACK_CLIENT_ATTEMPTS = 3;

type ServiceName = "inventory" | "orders" | "payments";
/** Callees first (orders calls inventory): the order a release lists its services in. */
const DEPENDENCY_ORDER: readonly ServiceName[] = ["inventory", "payments", "orders"];

interface ServiceSetup {
    readonly name: ServiceName;
    readonly from: Weights;
    readonly required: Readonly<{ blue: number; green: number }>;
    readonly skipHealth: boolean;
    readonly analysis: boolean;
    /** `rollout.sticky`: the engine also writes the service's two sticky virtual splitters and the cookie. */
    readonly sticky?: boolean;
}

interface ReleaseSetup {
    /** Seconds after the start. */
    readonly at: number;
    /** The release's services (its keys) and the split each is asked to reach. */
    readonly to: Readonly<Partial<Record<ServiceName, Weights>>>;
    readonly strategy: RolloutStrategy;
    readonly failureThreshold: number;
    /**
     * Seconds between the Release's read of the claims and its StartExecution (standing for a first
     * tick that comes late): another `pulumi up` may start a rollout of the same services meanwhile,
     * which the engine must then refuse.
     */
    readonly readLag: number;
    /** BLUEGREEN_ROLLOUT_RETRY=1 for this `pulumi up`. */
    readonly retry: boolean;
}

type WorldEvent =
    | { readonly at: number; readonly kind: "health"; readonly service: ServiceName; readonly colour: "blue" | "green"; readonly passing: number }
    | {
          readonly at: number;
          readonly kind: "alarm";
          readonly state: "ALARM" | "OK";
          readonly duplicate: boolean;
          readonly clearsAfter: number | null;
          /**
           * An ALARM that races a splitter write: it happens the moment, from `at` on (within
           * RACE_WINDOW_MS), a function is about to write a splitter, and that write is answered
           * only after everything the alarm's invocation does then (issue 16 point 4's race, and a
           * stale writer's late write: it must lose to the newer decision the alarm wrote and applied).
           */
          readonly racing?: boolean;
      }
    | { readonly at: number; readonly kind: "gates"; readonly alarmsReadable: boolean; readonly analysis: AnalysisVerdict["verdict"] | "error" }
    | { readonly at: number; readonly kind: "command"; readonly service: ServiceName; readonly command: CommandKind; readonly variant: "fresh" | "stale" | "duplicate" | "replay" }
    | {
          readonly at: number;
          readonly kind: "rollback";
          /** The services rolled back (its keys) and the split each is moved to. */
          readonly to: Readonly<Partial<Record<ServiceName, Weights>>>;
          /**
           * fresh: one request, invoked again only when the client got no answer; lost-answer: the
           * first invocation worked but its answer was lost, so the client invokes the same request
           * again; replay: an earlier request invoked again, later (a client re-run with the same id).
           */
          readonly variant: "fresh" | "lost-answer" | "replay";
      }
    | { readonly at: number; readonly kind: "clock-jump"; readonly seconds: number };

/** Probabilities per Consul call, while faults last. */
export interface Faults {
    /** Seconds after the start at which faults begin, and at which they stop. */
    readonly since: number;
    readonly until: number;
    readonly error: number;
    readonly timeout: number;
    readonly slow: number;
    readonly lostCas: number;
    /** The function dies at this call (out of memory, a crash): applied or not, it never answers. */
    readonly crash: number;
    /** Which calls may fail: every one, the splitter writes (PUT /v1/config) only, or the KV calls only. */
    readonly target: "any" | "splitters" | "kv";
}

export interface Scenario {
    readonly services: readonly ServiceSetup[];
    readonly initialPassing: Readonly<Partial<Record<ServiceName, { blue: number; green: number }>>>;
    readonly releases: readonly ReleaseSetup[];
    readonly events: readonly WorldEvent[];
    readonly faults: Faults;
    /** Each invocation's clock is off the world's by up to this many ms, either way. */
    readonly skewMs: number;
    /** Drives the interleaving and the faults. */
    readonly seed: number;
}

type Invariant =
    | "claims-live-split"
    | "ended-rollout-restarted"
    | "settles-with-an-engine"
    | "split-sums-to-100"
    | "rollback-restores-start"
    | "weight-without-instances"
    | "state-parses"
    | "command-applied-once"
    | "sticky-left-behind"
    | "written-by-its-rollout"
    | "rollback-writes-once"
    | "harness";

interface Violation {
    readonly invariant: Invariant;
    /** Seconds after the start. */
    readonly at: number;
    readonly message: string;
}

interface WorldReport {
    readonly violations: readonly Violation[];
    readonly steps: number;
    readonly invocations: number;
    /** Each rollout's phase at the end, by id. */
    readonly phases: Readonly<Record<string, string>>;
    /** Splitter writes that landed, and how many of them a rollback made. */
    readonly splitterWrites: number;
    readonly rollbackWrites: number;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Who makes a Consul call: a function invocation (which can die) or a client. */
interface Caller {
    readonly name: string;
    dead: boolean;
    /** Passing instances this caller last saw, by "service/colour" ("error" when the read failed). */
    readonly passing: Map<string, number | "error">;
    readonly lambda: boolean;
    crash?(): void;
}

interface PendingCall {
    readonly caller: Caller;
    readonly method: "GET" | "PUT" | "DELETE";
    readonly path: string;
    readonly query: Readonly<Record<string, string>>;
    readonly body?: string;
    readonly resolve: (answer: ConsulAnswer) => void;
    readonly reject: (err: Error) => void;
    /** Already delayed once (a slow call is answered, not failed, when its turn comes again). */
    delayed?: boolean;
    /** Already held back once (by a racing alarm). */
    held?: boolean;
}

interface Timer {
    readonly at: number;
    readonly seq: number;
    readonly fire: () => void;
    cancelled?: boolean;
}

interface ExecutionRecord {
    readonly input: ExecutionInput;
    status: "RUNNING" | "SUCCEEDED" | "FAILED";
    error?: string;
    cause?: string;
}

const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

class EngineWorld {
    private now = T0;
    /** The functions' clock minus the world's (clock jumps move it). */
    private clockOffset = 0;
    private readonly random: () => number;
    private readonly model: ConsulModel;
    private ready: PendingCall[] = [];
    /** Calls held back by a racing alarm: answered once nothing else is ready, the clock unmoved. */
    private held: PendingCall[] = [];
    /** A racing alarm waiting for a function's splitter write. */
    private racing?: Extract<WorldEvent, { kind: "alarm" }>;
    private timers: Timer[] = [];
    private seq = 0;
    private faultsOn = false;
    private readonly violations: Violation[] = [];
    private readonly executions = new Map<string, ExecutionRecord>();
    private readonly alive = new Set<Caller>();
    private alarmState: "OK" | "ALARM" = "OK";
    private alarmsReadable = true;
    private analysis: AnalysisVerdict["verdict"] | "error" = "pass";
    private steps = 0;
    private invocations = 0;
    private commandSeq = 0;
    private readonly commandsWritten = new Map<string, ControlCommand>();
    private readonly rollbackRequests: RollbackRequest[] = [];
    /** The stack file as the last `pulumi up` that went through applied it. */
    private previousDesired: DesiredService[];
    private splitterWrites = 0;
    private rollbackWrites = 0;
    /** Writes Consul applied (the model's state changed), and how many the last check saw: a step without one needs no check. */
    private changes = 0;
    private checkedChanges = -1;
    // What the checks remember between steps.
    private readonly parsed = new Map<string, { readonly index: number; readonly state: RolloutState | undefined }>();
    private claimsSeen?: { readonly index: number; readonly claims: ServiceClaims };
    private readonly ended = new Set<string>();
    private readonly consumed = new Set<string>();
    private readonly lastCommandOf = new Map<string, string | undefined>();
    /** What each service served when a rollout claimed it: its `from` must say the same. */
    private readonly startSplit = new Map<string, Record<string, Weights>>();
    private readonly fromChecked = new Set<string>();
    /** Splitter writes a rollback made that landed, by "rolloutId/entry name". */
    private readonly rollbackWritten = new Map<string, number>();

    constructor(private readonly scenario: Scenario) {
        this.random = prng(scenario.seed);
        const instances: FakeInstance[] = [];
        for (const svc of scenario.services) {
            const passing = scenario.initialPassing[svc.name] ?? svc.required;
            for (const colour of ["blue", "green"] as const) {
                for (let i = 0; i < passing[colour]; i++) {
                    instances.push({ service: svc.name, version: colour, status: "passing" });
                }
            }
        }
        this.model = consulModel({ instances });
        for (const svc of scenario.services) {
            // Pulumi created each splitter with the stack file's weights before any rollout, and a
            // sticky service's virtual splitters at rest (src/mesh/trafficPolicy.ts).
            this.writeSplitter(svc.name, svc.from);
            if (svc.sticky) {
                for (const colour of ["blue", "green"] as const) {
                    putConfigEntry(this.model, { Kind: "service-splitter", Name: stickyServiceName(svc.name, colour), Splits: [{ Weight: 100, Service: svc.name }] });
                }
            }
        }
        this.previousDesired = this.desired(Object.fromEntries(scenario.services.map((s) => [s.name, s.from])), scenario.releases[0]);
    }

    /** Runs the scenario to its end and reports every invariant violation. */
    async run(): Promise<WorldReport> {
        const s = this.scenario;
        for (const release of s.releases) {
            this.timer(T0 + release.at * 1000, () => this.spawn(() => this.release(release)));
        }
        for (const event of s.events) {
            this.timer(T0 + event.at * 1000, () => this.event(event));
        }
        const lastEvent = Math.max(
            s.faults.until,
            ...s.events.map((e) => e.at + (e.kind === "alarm" && e.racing ? RACE_WINDOW_MS / 1000 : 0)),
            ...s.releases.map((r) => r.at + r.readLag),
        );
        this.faultsOn = s.faults.since === 0;
        this.timer(T0 + s.faults.since * 1000, () => (this.faultsOn = s.faults.since < s.faults.until));
        this.timer(T0 + s.faults.until * 1000, () => (this.faultsOn = false));
        // After the last event, with faults over: gate readings are conclusive again (an analysis
        // that stays inconclusive holds a step for ever, by design), an operator resumes a paused
        // rollout (a client's request; a pause is meant to hold), and every rollout must settle.
        this.timer(T0 + (lastEvent + 1) * 1000, () => {
            this.faultsOn = false;
            this.alarmsReadable = true;
            this.analysis = "pass";
            this.spawn(() => this.resumeIfPaused());
        });
        const bound = T0 + (lastEvent + 1) * 1000 + this.settleBoundMs();
        this.timer(T0 + WATCHDOG_PERIOD_MS, () => this.watchdog(T0 + (lastEvent + 1) * 1000));
        await this.loop(bound);
        this.finish(bound);
        const phases = Object.fromEntries([...this.states()].map(([id, state]) => [id, state.phase]));
        return { violations: this.violations, steps: this.steps, invocations: this.invocations, phases, splitterWrites: this.splitterWrites, rollbackWrites: this.rollbackWrites };
    }

    // -----------------------------------------------------------------------------------------
    // The scheduler: one Consul call answered, or one timer fired, per step.
    // -----------------------------------------------------------------------------------------

    private async loop(until: number): Promise<void> {
        // Every actor runs until it waits on a Consul call or a timer. After that, each step drains
        // again before the checks, and nothing runs between the checks and the next step.
        await drain();
        for (let guard = 0; guard < 200_000; guard++) {
            if (this.ready.length === 0 && this.held.length > 0) {
                this.ready = this.held;
                this.held = [];
            }
            if (this.ready.length > 0) {
                const call = this.ready.splice(Math.floor(this.random() * this.ready.length), 1)[0];
                if (this.racing && this.splitterWrite(call) && !call.held) {
                    const alarm = this.racing;
                    this.racing = undefined;
                    this.alarm(alarm);
                    call.held = true;
                    this.held.push(call);
                    continue;
                }
                this.perform(call);
            } else {
                this.timers = this.timers.filter((t) => !t.cancelled);
                if (this.timers.length === 0) {
                    return;
                }
                let next = 0;
                for (let i = 1; i < this.timers.length; i++) {
                    const t = this.timers[i];
                    if (t.at < this.timers[next].at || (t.at === this.timers[next].at && t.seq < this.timers[next].seq)) {
                        next = i;
                    }
                }
                const timer = this.timers[next];
                if (timer.at > until) {
                    return;
                }
                this.timers.splice(next, 1);
                this.now = Math.max(this.now, timer.at);
                timer.fire();
            }
            this.steps++;
            await drain();
            this.check();
        }
        this.violate("harness", "the world did not come to rest within 200,000 steps");
    }

    private splitterWrite(call: PendingCall): boolean {
        return call.caller.lambda && call.method === "PUT" && call.path === "/v1/config";
    }

    private timer(at: number, fire: () => void): Timer {
        const timer = { at, seq: this.seq++, fire };
        this.timers.push(timer);
        return timer;
    }

    private sleep(ms: number): Promise<void> {
        return new Promise((resolve) => this.timer(this.now + ms, resolve));
    }

    private spawn(body: () => Promise<void>): void {
        body().catch((err: unknown) => this.violate("harness", `an actor threw: ${(err as Error).stack ?? String(err)}`));
    }

    private transport(caller: Caller): ConsulTransport {
        return (method, path, query, body) =>
            new Promise((resolve, reject) => {
                if (!caller.dead) {
                    this.ready.push({ caller, method, path, query, body, resolve, reject });
                }
            });
    }

    private perform(call: PendingCall): void {
        if (call.caller.dead) {
            return;
        }
        const r = this.random();
        const f = this.scenario.faults;
        const targeted = f.target === "any" || (f.target === "splitters" ? call.path === "/v1/config" : call.path.startsWith("/v1/kv/"));
        const faulty = this.faultsOn && !call.delayed && targeted;
        let p = 0;
        const hit = (rate: number) => faulty && r >= p && r < (p += rate);
        if (hit(f.error)) {
            call.resolve({ status: 500, payload: "rpc error making call: No cluster leader", type: "text/plain" });
        } else if (hit(f.timeout)) {
            // The request may have reached Consul: the client cannot tell.
            if (this.random() < 0.5) {
                this.apply(call);
            }
            this.timer(this.now + CONSUL_TIMEOUT_MS, () => call.caller.dead || call.reject(new Error(`timeout of ${CONSUL_TIMEOUT_MS}ms exceeded`)));
        } else if (hit(f.slow)) {
            call.delayed = true;
            this.timer(this.now + 1000 + Math.floor(this.random() * 4000), () => this.ready.push(call));
        } else if (hit(f.lostCas) && "cas" in call.query) {
            // Another writer got there first: the same document written again raises ModifyIndex.
            this.touch(call);
            call.resolve(this.apply(call));
        } else if (hit(f.crash) && call.caller.lambda) {
            if (this.random() < 0.5) {
                this.apply(call);
            }
            call.caller.crash?.();
        } else {
            call.resolve(this.apply(call));
        }
    }

    private touch(call: PendingCall): void {
        this.changes++;
        const kv = /^\/v1\/kv\/(.*)$/.exec(call.path);
        if (kv) {
            const entry = this.model.state.kv.get(kv[1]);
            if (entry) {
                this.model.state.kv.set(kv[1], { ...entry, modifyIndex: this.model.nextIndex() });
            }
            return;
        }
        const entry = JSON.parse(call.body ?? "{}") as { Kind?: string; Name?: string };
        const existing = this.model.state.config.get(`${entry.Kind}/${entry.Name}`);
        if (existing) {
            this.model.state.config.set(`${entry.Kind}/${entry.Name}`, { ...existing, ModifyIndex: this.model.nextIndex() });
        }
    }

    /** Answers the call from the model, and notes what the checks need (who saw what, who wrote what). */
    private apply(call: PendingCall): ConsulAnswer {
        const url = new URL(`${call.path}?${new URLSearchParams(call.query as Record<string, string>).toString()}`, "http://localhost");
        const key = call.path.startsWith("/v1/kv/") ? call.path.slice("/v1/kv/".length) : undefined;
        const stateKey = call.method === "PUT" && key?.startsWith(ROLLOUTS_PREFIX) ? key : undefined;
        const before = stateKey ? this.stateAt(stateKey) : undefined;
        const claimsBefore = call.method === "PUT" && key === CLAIMS_KEY ? this.claims() : undefined;
        // A splitter write is checked against the claims and states as they are when it lands.
        const splitterCheck = call.method === "PUT" && call.path === "/v1/config" ? this.splitterLanding(call) : undefined;
        const answer = this.model.answer(call.method, url, "management-token", Buffer.from(call.body ?? ""));
        if (call.method !== "GET") {
            this.changes++;
        }
        const health = /^\/v1\/health\/service\/(.+)$/.exec(call.path);
        if (health) {
            const colour = /"([^"]*)"/.exec(call.query.filter ?? "")?.[1] ?? "";
            call.caller.passing.set(`${decodeURIComponent(health[1])}/${colour}`, answer.status === 200 && Array.isArray(answer.payload) ? answer.payload.length : "error");
        }
        if (answer.payload !== true) {
            return answer;
        }
        if (stateKey) {
            this.checkStateWrite(call.caller, before, JSON.parse(call.body ?? "null") as RolloutState);
        }
        if (call.method === "PUT" && key?.startsWith(rolloutCommandKey(""))) {
            const command = JSON.parse(call.body ?? "null") as ControlCommand;
            this.commandsWritten.set(command.id, command);
        }
        if (claimsBefore) {
            this.claimed(claimsBefore);
        }
        splitterCheck?.();
        return answer;
    }

    // -----------------------------------------------------------------------------------------
    // The actors: function invocations, executions, EventBridge, `pulumi up`, clients.
    // -----------------------------------------------------------------------------------------

    /** One invocation of the tick function with the world's I/O; rejects as Lambda would (crash, time-out). */
    private invoke(event: EngineEvent): Promise<TickResult> {
        this.invocations++;
        const skew = Math.round((this.random() * 2 - 1) * this.scenario.skewMs);
        let settled = false;
        return new Promise((resolve, reject) => {
            const caller: Caller = { name: `invocation ${this.invocations} (${"kind" in event ? event.kind : "alarm"})`, dead: false, passing: new Map(), lambda: true };
            const end = (err?: Error, result?: TickResult) => {
                if (settled) {
                    return;
                }
                settled = true;
                caller.dead = true;
                deadline.cancelled = true;
                this.alive.delete(caller);
                return err ? reject(err) : resolve(result!);
            };
            const lambdaError = (name: string, message: string) => Object.assign(new Error(message), { name });
            caller.crash = () => end(lambdaError("Runtime.ExitError", "RequestId: 1 Error: Runtime exited with error: signal: killed"));
            const deadline = this.timer(this.now + LAMBDA_TIMEOUT_MS, () => end(lambdaError("Sandbox.Timedout", "Task timed out after 60.00 seconds")));
            this.alive.add(caller);
            const deps: EngineDeps = {
                consul: modelRolloutApi(this.transport(caller)),
                alarms: alarmStates(async (names) => {
                    if (!this.alarmsReadable) {
                        throw new Error("Rate exceeded");
                    }
                    return { MetricAlarms: names.filter((n) => n === ALARM).map((n) => ({ AlarmName: n, StateValue: this.alarmState })) };
                }),
                analyse: async (_state, services) => {
                    if (this.analysis === "error") {
                        throw new Error("GetMetricData: throttled");
                    }
                    return Object.fromEntries(services.map((s) => [s.service, { verdict: this.analysis as AnalysisVerdict["verdict"], message: `analysis says ${this.analysis}` }]));
                },
                now: () => new Date(this.now + this.clockOffset + skew),
            };
            handleEvent(event, deps).then(
                (result) => end(undefined, result),
                (err: Error) => end(err),
            );
        });
    }

    /** StartExecution: true when started (or the same name and input already runs), false when that name has ended. */
    private startExecution(name: string, input: ExecutionInput): boolean {
        const existing = this.executions.get(name);
        if (existing) {
            return existing.status === "RUNNING" && canonicalJson(existing.input) === canonicalJson(input);
        }
        const record: ExecutionRecord = { input, status: "RUNNING" };
        this.executions.set(name, record);
        this.spawn(async () => {
            const outcome = await runExecution(DEFINITION, name, input, {
                clock: { now: () => new Date(this.now), advance: () => this.violate("harness", "the driver advanced the clock itself") },
                sleep: (seconds) => this.sleep(seconds * 1000),
                invoke: (fn, payload) => {
                    if (fn !== FUNCTION) {
                        throw new Error(`invoked ${fn}`);
                    }
                    return this.invoke(payload as EngineEvent);
                },
                startExecution: (_machine, next, nextInput) => {
                    this.startExecution(next, nextInput as ExecutionInput);
                },
            });
            Object.assign(record, { status: outcome.status, error: outcome.error, cause: outcome.cause });
        });
        return true;
    }

    /**
     * The watchdog: EventBridge's schedule invokes the function every minute (asynchronously, with
     * Lambda's retries). Once the world has come to rest after its last event (settled, no execution,
     * no invocation), further runs would change nothing and are not simulated.
     */
    private watchdog(restAfter: number): void {
        const running = [...this.executions.values()].some((e) => e.status === "RUNNING");
        if (this.now > restAfter && !running && this.alive.size === 0 && [...this.states().values()].every(isSettled)) {
            return;
        }
        this.deliver({ kind: "watchdog" });
        this.timer(this.now + WATCHDOG_PERIOD_MS, () => this.watchdog(restAfter));
    }

    /** EventBridge's rule matches ALARM only (src/rollout/render/enginePolicies.ts alarmEventPattern). */
    private deliverAlarm(): void {
        this.deliver({ source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", detail: { alarmName: ALARM, state: { value: "ALARM" } } });
    }

    /** An asynchronous invocation by EventBridge: an error is retried twice, 1 and 2 minutes later. */
    private deliver(event: EngineEvent): void {
        this.spawn(async () => {
            for (let attempt = 0; ; attempt++) {
                try {
                    await this.invoke(event);
                    return;
                } catch {
                    if (attempt >= ASYNC_RETRY_DELAYS_MS.length) {
                        return;
                    }
                    await this.sleep(ASYNC_RETRY_DELAYS_MS[attempt]);
                }
            }
        });
    }

    private client(name: string): Caller {
        return { name, dead: false, passing: new Map(), lambda: false };
    }

    private setup(name: ServiceName): ServiceSetup | undefined {
        return this.scenario.services.find((s) => s.name === name);
    }

    /** The stack file's services, callees first, with these splits and the release's strategy and gates. */
    private desired(to: Readonly<Partial<Record<ServiceName, Weights>>>, release: ReleaseSetup | undefined): DesiredService[] {
        const names = DEPENDENCY_ORDER.filter((n) => this.setup(n) !== undefined);
        return names.map((name): DesiredService => {
            const svc = this.setup(name)!;
            return {
                service: name,
                to: to[name] ?? svc.from,
                upstreams: name === "orders" && names.includes("inventory") ? ["inventory"] : [],
                gate: {
                    required: svc.required,
                    alarms: name === "orders" ? [ALARM] : [],
                    failureThreshold: release?.failureThreshold ?? 3,
                    skipHealth: svc.skipHealth,
                    ...(svc.analysis ? { analysis: { windowSeconds: 60 } } : {}),
                },
                ...(svc.sticky ? { sticky: true } : {}),
                strategy: release?.strategy ?? { steps: [], bakeSeconds: 0, bakeEachStep: false, checkIntervalSeconds: 15 },
            };
        });
    }

    /** `pulumi up` with the stack file changed for the release's services: the Release resource's applyRelease. */
    private async release(release: ReleaseSetup): Promise<void> {
        const desired = this.desired({ ...Object.fromEntries(this.previousDesired.map((d) => [d.service, d.to])), ...release.to }, release);
        const runtime: ReleaseRuntime = {
            consul: modelRolloutApi(this.transport(this.client("pulumi up"))),
            startExecution: async (name, input) => {
                if (release.readLag > 0) {
                    await this.sleep(release.readLag * 1000);
                }
                return this.startExecution(name, input);
            },
            executionStatus: async (name) => {
                const e = this.executions.get(name);
                return e ? { status: e.status, error: e.error, cause: e.cause } : { status: "NOT_FOUND" };
            },
            sleep: (ms) => this.sleep(ms),
            now: () => this.now,
            retry: release.retry,
            whoAmI: () => "ana@laptop",
        };
        try {
            await applyRelease(this.previousDesired, { stack: STACK, services: desired }, runtime);
            this.previousDesired = desired;
        } catch {
            // Refused or failed: `pulumi up` reports it; the stack keeps its previous inputs.
        }
    }

    /** `flip rollback`: invokes the function with the request, and again (the same request) without an answer. */
    private async rollback(event: Extract<WorldEvent, { kind: "rollback" }>): Promise<void> {
        let request: RollbackRequest;
        if (event.variant === "replay") {
            if (this.rollbackRequests.length === 0) {
                return;
            }
            request = this.rollbackRequests[Math.floor(this.random() * this.rollbackRequests.length)];
        } else {
            // Callers first, as the client lists them.
            const services = DEPENDENCY_ORDER.filter((n) => event.to[n] !== undefined && this.setup(n) !== undefined)
                .reverse()
                .map((service) => ({ service, to: event.to[service]! }));
            if (services.length === 0) {
                return;
            }
            request = { id: `rb-${this.rollbackRequests.length + 1}`, stack: STACK, services, issuedBy: "cy@laptop", issuedAt: new Date(this.now).toISOString(), reason: "5xx after deploy" };
            this.rollbackRequests.push(request);
        }
        for (let attempt = 1; attempt <= ROLLBACK_CLIENT_ATTEMPTS; attempt++) {
            try {
                await this.invoke({ kind: "rollback", request });
                if (event.variant === "lost-answer" && attempt === 1) {
                    continue;
                }
                return;
            } catch {
                await this.sleep(1000 + Math.floor(this.random() * 4000));
            }
        }
    }

    private event(event: WorldEvent): void {
        switch (event.kind) {
            case "health": {
                const others = this.model.state.instances.filter((i) => !(i.service === event.service && i.version === event.colour));
                this.model.state.instances = [...others, ...Array.from({ length: event.passing }, () => ({ service: event.service, version: event.colour, status: "passing" as const }))];
                return;
            }
            case "alarm":
                if (event.racing && event.state === "ALARM" && !this.racing) {
                    this.racing = event;
                    this.timer(this.now + RACE_WINDOW_MS, () => {
                        if (this.racing === event) {
                            this.racing = undefined;
                            this.alarm(event);
                        }
                    });
                    return;
                }
                this.alarm(event);
                return;
            case "gates":
                this.alarmsReadable = event.alarmsReadable;
                this.analysis = event.analysis;
                return;
            case "clock-jump":
                this.clockOffset += event.seconds * 1000;
                return;
            case "command":
                this.spawn(() => this.command(event.service, event.command, event.variant));
                return;
            case "rollback":
                this.spawn(() => this.rollback(event));
                return;
        }
    }

    /** The alarm changes state; into ALARM, EventBridge delivers the event (maybe twice). */
    private alarm(event: Extract<WorldEvent, { kind: "alarm" }>): void {
        this.alarmState = event.state;
        if (event.state === "ALARM") {
            this.deliverAlarm();
            if (event.duplicate) {
                // Lambda's event queue may deliver the same event more than once.
                this.deliverAlarm();
            }
            if (event.clearsAfter !== null) {
                this.timer(this.now + event.clearsAfter * 1000, () => (this.alarmState = "OK"));
            }
        }
    }

    /** A client writing a command for the rollout a service belongs to, by the contract's rules, or replaying an old one. */
    private async command(service: ServiceName, kind: CommandKind, variant: "fresh" | "stale" | "duplicate" | "replay"): Promise<void> {
        const api = modelRolloutApi(this.transport(this.client(`flip ${kind}`)));
        try {
            if (variant === "replay") {
                const old = [...this.commandsWritten.values()];
                if (old.length === 0) {
                    return;
                }
                const again = old[Math.floor(this.random() * old.length)];
                const slot = await api.getJson<ControlCommand>(rolloutCommandKey(again.rolloutId));
                await api.casJson(rolloutCommandKey(again.rolloutId), again, slot?.modifyIndex ?? 0);
                return;
            }
            for (let attempt = 0; attempt < 3; attempt++) {
                const claims = await readClaims(api);
                const id = claims.value.services[service]?.rolloutId;
                const current = id === undefined ? undefined : await api.getJson<RolloutState>(rolloutStateKey(id));
                if (!current || isTerminal(current.value.phase)) {
                    return;
                }
                const key = rolloutCommandKey(current.value.rolloutId);
                // Stale: a command for a rollout that has ended (written by a client that read the claims before).
                const rolloutId = variant === "stale" ? ([...this.ended].find((ended) => ended !== current.value.rolloutId) ?? `prod-${"0".repeat(16)}-1`) : current.value.rolloutId;
                const slot = await api.getJson<ControlCommand>(key);
                if (slot && !commandSlotFree(slot.value, current.value)) {
                    await this.sleep(current.value.spec.strategy.checkIntervalSeconds * 1000);
                    continue;
                }
                const command: ControlCommand = { id: `cmd-${++this.commandSeq}`, rolloutId, kind, issuedBy: "bo@laptop", issuedAt: new Date(this.now).toISOString() };
                if (!(await api.casJson(key, command, slot?.modifyIndex ?? 0))) {
                    continue;
                }
                if (variant === "duplicate") {
                    // The client did not see its answer and writes the same command again.
                    const again = await api.getJson<ControlCommand>(key);
                    await api.casJson(key, command, again?.modifyIndex ?? 0);
                }
                return;
            }
        } catch {
            // A client that met a Consul error says so and exits; nothing is left half-written.
        }
    }

    /** An operator watching until every rollout ends, resuming any that is paused. */
    private async resumeIfPaused(): Promise<void> {
        for (let i = 0; i < 20; i++) {
            const running = [...this.states().values()].filter((s) => !isTerminal(s.phase));
            if (running.length === 0) {
                return;
            }
            for (const state of running.filter((s) => s.phase === "paused")) {
                await this.command(state.spec.services[0].service as ServiceName, "resume", "fresh");
            }
            await this.sleep(Math.min(...running.map((s) => s.spec.strategy.checkIntervalSeconds)) * 2000);
        }
    }

    // -----------------------------------------------------------------------------------------
    // The invariants.
    // -----------------------------------------------------------------------------------------

    private violate(invariant: Invariant, message: string): void {
        if (!this.violations.some((v) => v.invariant === invariant && v.message === message)) {
            this.violations.push({ invariant, at: (this.now - T0) / 1000, message });
        }
    }

    /** The state document at a key, parsed (once per ModifyIndex); a document that does not parse is a violation. */
    private stateAt(key: string): RolloutState | undefined {
        const entry = this.model.state.kv.get(key);
        if (!entry) {
            return undefined;
        }
        const seen = this.parsed.get(key);
        if (seen?.index === entry.modifyIndex) {
            return seen.state;
        }
        const text = entry.value.toString("utf8");
        let json: unknown;
        try {
            json = JSON.parse(text);
        } catch {
            json = undefined;
        }
        const read = parseRolloutState(json);
        if (!read.ok) {
            this.violate("state-parses", `${key} ${read.error}: ${text.slice(0, 200)}`);
        }
        const state = read.ok ? read.state : undefined;
        this.parsed.set(key, { index: entry.modifyIndex, state });
        return state;
    }

    /** Every rollout's state in Consul, by id. */
    private states(): Map<string, RolloutState> {
        const all = new Map<string, RolloutState>();
        for (const key of this.model.state.kv.keys()) {
            if (key.startsWith(ROLLOUTS_PREFIX)) {
                const state = this.stateAt(key);
                if (state) {
                    all.set(state.rolloutId, state);
                }
            }
        }
        return all;
    }

    private state(rolloutId: string | undefined): RolloutState | undefined {
        return rolloutId === undefined ? undefined : this.stateAt(rolloutStateKey(rolloutId));
    }

    /** The claims document as Consul holds it ({} before the first claim). */
    private claims(): Readonly<Record<string, { rolloutId: string }>> {
        const entry = this.model.state.kv.get(CLAIMS_KEY);
        if (!entry) {
            return {};
        }
        if (this.claimsSeen?.index !== entry.modifyIndex) {
            const read = parseServiceClaims(JSON.parse(entry.value.toString("utf8")));
            if (!read.ok) {
                this.violate("state-parses", `${CLAIMS_KEY} ${read.error}`);
            }
            this.claimsSeen = { index: entry.modifyIndex, claims: read.ok ? read.claims : { schemaVersion: 0, services: {} } };
        }
        return this.claimsSeen.claims.services;
    }

    /** The state of the rollout a service belongs to now. */
    private owner(service: string): RolloutState | undefined {
        return this.state(this.claims()[service]?.rolloutId);
    }

    /** A claims write landed: each service that changed hands serves now what its new rollout must record as its start. */
    private claimed(before: Readonly<Record<string, { rolloutId: string }>>): void {
        for (const [service, claim] of Object.entries(this.claims())) {
            if (before[service]?.rolloutId !== claim.rolloutId) {
                const start = this.startSplit.get(claim.rolloutId) ?? {};
                start[service] = this.live(service)!;
                this.startSplit.set(claim.rolloutId, start);
            }
        }
    }

    /** The service whose splitter (or sticky virtual splitter) an entry is. */
    private serviceOfEntry(name: string): { readonly service: string; readonly own: boolean } | undefined {
        for (const svc of this.scenario.services) {
            if (name === svc.name) {
                return { service: svc.name, own: true };
            }
            if ((["blue", "green"] as const).some((colour) => stickyServiceName(svc.name, colour) === name)) {
                return { service: svc.name, own: false };
            }
        }
        return undefined;
    }

    /**
     * (a) Written by its rollout: a splitter write that Consul applies is one of the pending writes
     * of the rollout its service belongs to at that moment (the claims document); for the service's
     * own splitter, with the very weights pending. The engine writes a splitter only to carry out a
     * pending write of a state it has just confirmed current, with a check-and-set on the entry, and
     * a state's pending writes are cleared only once every one of them is live; so any other write
     * that lands is a rollout writing a service that is not its own (two rollouts on one service, or
     * one that never claimed it), or a late write of a decision that is no longer current.
     * (b) A rollback writes each of its services at most once: at most one write of the service's
     * splitter by the rollback lands, whatever the faults. A retry after a lost answer (a time-out
     * that was applied, a dead function, the client invoking again) reads the splitter first, finds
     * it written and writes nothing; it writes again only if the splitter does not hold the split,
     * which, as nobody else writes the service meanwhile (a), happens only if the first write did
     * not land. So a second landed write is a defect, never a fault.
     * Returns the check to run once the write has landed (the states as they were when it landed).
     */
    private splitterLanding(call: PendingCall): () => void {
        const body = JSON.parse(call.body ?? "{}") as { Name?: string; Splits?: { Weight?: number; ServiceSubset?: string }[] };
        const entry = this.serviceOfEntry(String(body.Name));
        const owner = entry && this.owner(entry.service);
        const weights = weightsOfEntry(body);
        const matches = (state: RolloutState | undefined) =>
            entry !== undefined && (state?.pendingWrites ?? []).some((w) => w.service === entry.service && (!entry.own || sameWeights(w.weights, weights)));
        const justified = matches(owner);
        const others = justified ? [] : [...this.states().values()].filter((s) => s.rolloutId !== owner?.rolloutId && matches(s)).map((s) => `${s.rolloutId} (${s.phase})`);
        return () => {
            this.splitterWrites++;
            if (!entry) {
                this.violate("written-by-its-rollout", `${call.caller.name} wrote splitter ${body.Name}, which belongs to no service of the world`);
                return;
            }
            const what = `${call.caller.name} wrote ${body.Name}${entry.own ? ` ${formatWeights(weights)}` : ""}`;
            if (!justified) {
                this.violate(
                    "written-by-its-rollout",
                    `${what} while ${entry.service} belongs to ${owner ? `rollout ${owner.rolloutId} (${owner.phase}, pending ${(owner.pendingWrites ?? []).map((w) => `${w.service} ${formatWeights(w.weights)}`).join(", ") || "none"})` : "no rollout"}; ${others.length > 0 ? `a pending write of ${others.join(", ")}` : "no rollout has such a pending write"}`,
                );
                return;
            }
            if (owner!.kind === "rollback") {
                this.rollbackWrites++;
                const key = `${owner!.rolloutId}/${body.Name}`;
                const n = (this.rollbackWritten.get(key) ?? 0) + 1;
                this.rollbackWritten.set(key, n);
                if (n > 1) {
                    this.violate("rollback-writes-once", `rollback ${owner!.rolloutId} wrote ${body.Name} ${n} times (now ${formatWeights(weights)})`);
                }
            }
        };
    }

    private checkSticky(when: string): void {
        for (const svc of this.scenario.services.filter((s) => s.sticky)) {
            const live = this.live(svc.name);
            for (const colour of ["blue", "green"] as const) {
                for (const s of this.splitsOf(stickyServiceName(svc.name, colour)) ?? []) {
                    const pinsOther = s.Weight > 0 && s.ServiceSubset !== undefined && s.ServiceSubset !== colour;
                    const unweighted = s.Weight > 0 && s.ServiceSubset === colour && !((live?.[colour] ?? 0) > 0);
                    if (pinsOther || unweighted || (s.Weight > 0 && s.Service !== svc.name)) {
                        this.violate("sticky-left-behind", `${when}: ${stickyServiceName(svc.name, colour)} sends ${s.Weight}% to ${s.Service}/${s.ServiceSubset ?? "-"} while ${svc.name} serves ${live ? formatWeights(live) : "nothing"}`);
                    }
                }
            }
            const state = this.owner(svc.name);
            if (state && isSettled(state)) {
                const pins = this.pins(svc.name);
                const cookie = (this.splitsOf(svc.name) ?? []).some((s) => s.ResponseHeaders !== undefined);
                if (pins.length > 0 || cookie) {
                    this.violate("sticky-left-behind", `${when}: rollout ${state.rolloutId} of ${svc.name} ended ${state.phase} and settled, yet ${[...pins, ...(cookie ? [`${svc.name}'s splitter hands out the cookie`] : [])].join(", ")}`);
                }
            }
        }
    }

    private check(): void {
        // What the checks read (states, claims, splitters) changes only when Consul applies a write.
        if (this.changes === this.checkedChanges) {
            return;
        }
        this.checkedChanges = this.changes;
        this.checkSticky("during the run");
        for (const svc of this.scenario.services) {
            const live = this.live(svc.name);
            if (live && (live.blue < 0 || live.green < 0 || weightSumProblem([live.blue, live.green]))) {
                this.violate("split-sums-to-100", `${svc.name} serves ${formatWeights(live)}`);
            }
        }
        const states = this.states();
        const claims = this.claims();
        for (const state of states.values()) {
            this.checkRollout(state, claims);
        }
        // Ended stays ended, also for a rollout whose state was removed (a later one took its services) and written again.
        for (const id of this.ended) {
            const state = states.get(id);
            if (state && !isTerminal(state.phase)) {
                this.violate("ended-rollout-restarted", `rollout ${id} ended, and is ${state.phase} again (${state.events[state.events.length - 1]?.message})`);
                this.ended.delete(id);
            }
        }
        for (const state of states.values()) {
            if (isTerminal(state.phase)) {
                this.ended.add(state.rolloutId);
            }
        }
    }

    /** One rollout's invariants, for the services it still holds (a later rollout may have taken the others). */
    private checkRollout(state: RolloutState, claims: Readonly<Record<string, { rolloutId: string }>>): void {
        for (const split of [state.from, ...state.steps.map((s) => s.weights)]) {
            for (const [service, w] of Object.entries(split)) {
                if (weightSumProblem([w.blue, w.green])) {
                    this.violate("split-sums-to-100", `rollout ${state.rolloutId} plans ${service} ${formatWeights(w)}`);
                }
            }
        }
        const own = state.spec.services.filter((s) => claims[s.service]?.rolloutId === state.rolloutId);
        if (this.claimsLiveSplit(state)) {
            const expected = expectedSplit(state);
            const wrong = own.filter((s) => !sameWeights(this.live(s.service), expected[s.service]));
            if (wrong.length > 0) {
                this.violate(
                    "claims-live-split",
                    `rollout ${state.rolloutId} is ${state.phase} at step ${state.stepIndex + 1}, claiming ${wrong.map((s) => `${s.service} ${formatWeights(expected[s.service])}`).join(", ")}; Consul serves ${wrong.map((s) => `${s.service} ${formatWeights(this.live(s.service)!)}`).join(", ")}`,
                );
            }
        }
        if (Object.keys(state.from).length > 0 && !this.fromChecked.has(state.rolloutId)) {
            this.fromChecked.add(state.rolloutId);
            const start = this.startSplit.get(state.rolloutId) ?? {};
            const unclaimed = state.spec.services.filter((s) => start[s.service] === undefined);
            const differs = state.spec.services.filter((s) => start[s.service] !== undefined && !sameWeights(start[s.service], state.from[s.service]));
            if (unclaimed.length > 0) {
                this.violate("written-by-its-rollout", `rollout ${state.rolloutId} planned from ${unclaimed.map((s) => s.service).join(", ")} without ever claiming ${unclaimed.length === 1 ? "it" : "them"}`);
            }
            if (differs.length > 0) {
                this.violate("rollback-restores-start", `rollout ${state.rolloutId} records as its start ${differs.map((s) => `${s.service} ${formatWeights(state.from[s.service])}`).join(", ")}; Consul served ${differs.map((s) => `${s.service} ${formatWeights(start[s.service])}`).join(", ")} when it claimed them`);
            }
        }
        const previous = this.lastCommandOf.get(state.rolloutId);
        if (state.lastCommandId !== undefined && state.lastCommandId !== previous) {
            const id = state.lastCommandId;
            // A rollback aborts the rollouts of its services with "<request id>-abort-<n>" before it
            // starts; a request whose rollback has ended is done, and invoked again it acts no more.
            const abortedBy = /^(.*)-abort-\d+$/.exec(id)?.[1];
            const rollback = abortedBy === undefined ? undefined : rollbackIdFor(STACK, abortedBy);
            if (rollback !== undefined && this.ended.has(rollback)) {
                this.violate("ended-rollout-restarted", `rollback ${rollback} had ended, and its request invoked again aborted rollout ${state.rolloutId}`);
            }
            const command = this.commandsWritten.get(id);
            if (this.consumed.has(`${state.rolloutId}/${id}`)) {
                this.violate("command-applied-once", `command ${id} (${command?.kind}) was applied again by rollout ${state.rolloutId}`);
            }
            if (command && command.rolloutId !== state.rolloutId) {
                this.violate("command-applied-once", `command ${id} for rollout ${command.rolloutId} was applied by rollout ${state.rolloutId}`);
            }
            this.consumed.add(`${state.rolloutId}/${id}`);
        }
        this.lastCommandOf.set(state.rolloutId, state.lastCommandId);
    }

    /** At a state write: a colour that gains weight had its required passing instances, as this writer saw them. */
    private checkStateWrite(writer: Caller, before: RolloutState | undefined, next: RolloutState): void {
        if (Object.keys(next.from).length === 0 || (isTerminal(next.phase) && next.phase !== "promoted")) {
            return; // nothing planned yet, or the starting split restored: not a gain
        }
        const after = expectedSplit(next);
        const base = before && before.rolloutId === next.rolloutId && Object.keys(before.from).length > 0 ? expectedSplit(before) : this.liveAll();
        for (const svc of next.spec.services) {
            if (svc.gate.skipHealth) {
                continue;
            }
            for (const colour of ["blue", "green"] as const) {
                const gain = after[svc.service][colour] > (base[svc.service]?.[colour] ?? 0);
                const seen = writer.passing.get(`${svc.service}/${colour}`);
                if (gain && !(typeof seen === "number" && seen >= svc.gate.required[colour])) {
                    this.violate(
                        "weight-without-instances",
                        `${writer.name} moved ${svc.service}/${colour} to ${after[svc.service][colour]}% (rollout ${next.rolloutId}, ${next.phase}) having seen ${seen ?? "no"} passing instances of ${svc.gate.required[colour]} required`,
                    );
                }
            }
        }
    }

    private settleBoundMs(): number {
        const worst = Math.max(
            0,
            ...this.scenario.releases.map((r) => {
                const s = r.strategy;
                const steps = s.steps.length + 1;
                return r.readLag + (s.readyTimeoutSeconds ?? 300) + steps * (s.bakeSeconds + s.checkIntervalSeconds * (r.failureThreshold + 2));
            }),
        );
        // A Catch with its retries (about 75 s), Lambda's asynchronous retries (3 minutes), and slack;
        // and, for an execution that died (or a rollback whose client gave up), the watchdog's bound
        // and a few of its runs.
        const silence = Math.max(engineSilenceLimitSeconds(15), ...this.scenario.releases.map((r) => engineSilenceLimitSeconds(r.strategy.checkIntervalSeconds)));
        return (worst + 600 + silence + ENGINE_SILENCE_GRACE_SECONDS) * 1000;
    }

    private finish(bound: number): void {
        const running = [...this.executions.entries()].filter(([, e]) => e.status === "RUNNING").map(([name]) => name);
        const unsettled = [...this.states().values()].filter((s) => !isSettled(s));
        for (const state of unsettled) {
            this.violate(
                "settles-with-an-engine",
                `rollout ${state.rolloutId} is still ${state.phase}${hasPendingWrites(state) ? " with splitter writes pending" : ""} ${(bound - T0) / 1000}s in, faults long over; ${running.length > 0 ? `executions ${running.join(", ")} run` : "no execution runs"}`,
            );
        }
        if (unsettled.length > 0) {
            return;
        }
        if (running.length > 0) {
            this.violate("settles-with-an-engine", `executions ${running.join(", ")} still run after every rollout ended`);
        }
        this.checkSticky("at the end");
        for (const svc of this.scenario.services) {
            const state = this.owner(svc.name);
            if (!state || Object.keys(state.from).length === 0) {
                continue;
            }
            if (state.phase === "failed" && state.restored === false) {
                this.violate("rollback-restores-start", `rollout ${state.rolloutId} failed and says its starting split was not restored; nothing restores it`);
            }
            const expected = expectedSplit(state)[svc.name];
            const live = this.live(svc.name)!;
            if (!sameWeights(live, expected)) {
                this.violate(
                    state.phase === "promoted" ? "claims-live-split" : "rollback-restores-start",
                    `rollout ${state.rolloutId} (${state.kind ?? "release"}) of ${svc.name} ended ${state.phase}; Consul serves ${formatWeights(live)}, not ${formatWeights(expected)}`,
                );
            }
        }
    }

    private live(service: string): Weights | undefined {
        const entry = this.model.state.config.get(`service-splitter/${service}`) as { Splits?: { Weight: number; ServiceSubset: string }[] } | undefined;
        return entry ? weightsOfEntry(entry) : undefined;
    }

    private liveAll(): Record<string, Weights> {
        return Object.fromEntries(this.scenario.services.map((s) => [s.name, this.live(s.name)!]));
    }

    private writeSplitter(service: string, weights: Weights): void {
        putConfigEntry(this.model, { Kind: "service-splitter", Name: service, Splits: (["blue", "green"] as const).map((c) => ({ Weight: weights[c], Service: service, ServiceSubset: c })) });
    }

    /** The state claims a split Consul serves, unless it says its writes are not done. */
    private claimsLiveSplit(state: RolloutState): boolean {
        if (Object.keys(state.from).length === 0 || hasPendingWrites(state)) {
            return false;
        }
        if (state.phase === "failed" && state.restored === false) {
            return false;
        }
        return true;
    }

    private splitsOf(name: string): { Weight: number; Service?: string; ServiceSubset?: string; ResponseHeaders?: unknown }[] | undefined {
        return (this.model.state.config.get(`service-splitter/${name}`) as { Splits?: { Weight: number; ServiceSubset?: string }[] } | undefined)?.Splits;
    }

    /** The colours a sticky service's virtual splitters send somewhere else than the service's own splitter. */
    private pins(service: string): string[] {
        return (["blue", "green"] as const).flatMap((colour) =>
            (this.splitsOf(stickyServiceName(service, colour)) ?? []).filter((s) => s.Weight > 0 && (s.ServiceSubset !== undefined || s.Service !== service)).map((s) => `${stickyServiceName(service, colour)} -> ${s.Service}/${s.ServiceSubset ?? "-"}`),
        );
    }
}

/** Runs one scenario in a fresh world. */
function runScenario(scenario: Scenario): Promise<WorldReport> {
    return new EngineWorld(scenario).run();
}

// ---------------------------------------------------------------------------------------------
// Random scenarios (fast-check): small releases, so that thousands of them fit the suite's budget.
// ---------------------------------------------------------------------------------------------

const SPLITS: readonly Weights[] = [
    { blue: 100, green: 0 },
    { blue: 0, green: 100 },
    { blue: 80, green: 20 },
    { blue: 50, green: 50 },
];

const weightsArb = fc.constantFrom(...SPLITS);

const strategyArb: fc.Arbitrary<RolloutStrategy> = fc.record({
    steps: fc.subarray([10, 25, 50], { maxLength: 2 }),
    bakeSeconds: fc.constantFrom(0, 5, 10, 20),
    bakeEachStep: fc.boolean(),
    checkIntervalSeconds: fc.constantFrom(5, 10, 15),
    readyTimeoutSeconds: fc.constantFrom(0, 10, 30),
});

/** Some of the world's services (at least one), each with a split. */
const splitsArb = (names: readonly ServiceName[]): fc.Arbitrary<Partial<Record<ServiceName, Weights>>> =>
    fc.subarray([...names], { minLength: 1 }).chain((chosen) => fc.record(Object.fromEntries(chosen.map((n) => [n, weightsArb])) as Record<ServiceName, fc.Arbitrary<Weights>>));

const eventArb = (names: readonly ServiceName[]): fc.Arbitrary<WorldEvent> =>
    fc.oneof(
        { withCrossShrink: true },
        fc.record({ at: fc.nat(240), kind: fc.constant("health" as const), service: fc.constantFrom(...names), colour: fc.constantFrom("blue" as const, "green" as const), passing: fc.nat(3) }),
        fc.record({ at: fc.nat(240), kind: fc.constant("alarm" as const), state: fc.constantFrom("ALARM" as const, "OK" as const), duplicate: fc.boolean(), clearsAfter: fc.option(fc.integer({ min: 1, max: 5 })), racing: fc.boolean() }),
        fc.record({ at: fc.nat(240), kind: fc.constant("gates" as const), alarmsReadable: fc.boolean(), analysis: fc.constantFrom("pass" as const, "fail" as const, "inconclusive" as const, "error" as const) }),
        {
            weight: 3,
            arbitrary: fc.record({
                at: fc.nat(240),
                kind: fc.constant("command" as const),
                service: fc.constantFrom(...names),
                command: fc.constantFrom<CommandKind>("pause", "resume", "promote", "promote-full", "abort"),
                variant: fc.constantFrom("fresh" as const, "stale" as const, "duplicate" as const, "replay" as const),
            }),
        },
        {
            weight: 2,
            arbitrary: fc.record({ at: fc.nat(240), kind: fc.constant("rollback" as const), to: splitsArb(names), variant: fc.constantFrom("fresh" as const, "fresh" as const, "lost-answer" as const, "replay" as const) }),
        },
        fc.record({ at: fc.nat(240), kind: fc.constant("clock-jump" as const), seconds: fc.integer({ min: -30, max: 120 }) }),
    );

const faultsArb: fc.Arbitrary<Faults> = fc.oneof(
    fc.constant({ since: 0, until: 0, error: 0, timeout: 0, slow: 0, lostCas: 0, crash: 0, target: "any" as const }),
    fc.record({
        since: fc.constantFrom(0, 0, 10, 30),
        until: fc.integer({ min: 10, max: 240 }),
        error: fc.constantFrom(0, 0.05, 0.2, 0.5),
        timeout: fc.constantFrom(0, 0.02, 0.1),
        slow: fc.constantFrom(0, 0.05, 0.2),
        lostCas: fc.constantFrom(0, 0.1, 0.3),
        crash: fc.constantFrom(0, 0.01, 0.05),
        target: fc.constantFrom("any" as const, "any" as const, "splitters" as const, "kv" as const),
    }),
);

function scenarioArbitrary(): fc.Arbitrary<Scenario> {
    return fc
        .constantFrom<readonly ServiceName[]>(["orders"], ["inventory", "orders"], ["inventory", "orders"], ["inventory", "orders", "payments"])
        .chain((names) =>
            fc.record({
                services: fc.tuple(
                    ...names.map((name) =>
                        fc.record({
                            name: fc.constant(name),
                            from: weightsArb,
                            required: fc.record({ blue: fc.integer({ min: 1, max: 2 }), green: fc.integer({ min: 1, max: 2 }) }),
                            skipHealth: fc.boolean().map((b) => b && name !== "orders"),
                            analysis: fc.boolean(),
                            sticky: fc.boolean(),
                        }),
                    ),
                ),
                // Mostly every colour has its required instances; sometimes not.
                initialPassing: fc
                    .option(fc.record(Object.fromEntries(names.map((n) => [n, fc.record({ blue: fc.nat(3), green: fc.nat(3) })])) as Record<ServiceName, fc.Arbitrary<{ blue: number; green: number }>>, { requiredKeys: [] }), { freq: 3 })
                    .map((p) => p ?? {}),
                releases: fc.array(
                    fc.record({
                        // Mostly close together (rollouts side by side); some right after an alarm
                        // event: a new change while the last one's execution still waits (issue 16's
                        // rolled-back rollout that came back).
                        at: fc.oneof(fc.nat(60), fc.nat(150), fc.integer({ min: -8, max: -1 })),
                        to: splitsArb(names),
                        strategy: strategyArb,
                        failureThreshold: fc.integer({ min: 1, max: 3 }),
                        readLag: fc.constantFrom(0, 0, 0, 2, 10),
                        retry: fc.boolean(),
                    }),
                    { minLength: names.length > 1 ? 2 : 1, maxLength: 3 },
                ),
                events: fc.array(eventArb(names), { maxLength: 10 }),
                faults: faultsArb,
                skewMs: fc.constantFrom(0, 500, 3000),
                seed: fc.integer(),
            }),
        )
        .map((s) => {
            // A negative `at`: that many seconds after the n-th alarm event (or at 60 s without one).
            const alarms = s.events.filter((e) => e.kind === "alarm").map((e) => e.at);
            const releases = s.releases.map((r, i) => (i === 0 ? { ...r, at: 0 } : r.at >= 0 ? r : { ...r, at: (alarms[i % Math.max(1, alarms.length)] ?? 60) - r.at }));
            return { ...s, releases: releases.sort((a, b) => a.at - b.at) };
        });
}

/** One line per violation, for an assertion message. */
function describeViolations(report: WorldReport): string {
    return report.violations.map((v) => `[${v.invariant} at ${v.at}s] ${v.message}`).join("\n");
}

// ---------------------------------------------------------------------------------------------
// The property, as the two test files run it.
// ---------------------------------------------------------------------------------------------

/** Worlds per `npm test`, over both files (ENGINE_FAULTS_RUNS; `npm run test:engine-soak` raises it). */
export const WORLD_RUNS = Number(process.env.ENGINE_FAULTS_RUNS ?? 1000);
const SEED = Number(process.env.ENGINE_FAULTS_SEED ?? 20261206);
const REPLAY_PATH = process.env.ENGINE_FAULTS_PATH;

/**
 * Every world keeps every invariant. `npm test`'s random worlds are two halves, one in each of
 * tests/rollout/engine.faults.test.ts (`half` 0: seed ENGINE_FAULTS_SEED, its reproductions first,
 * then its random worlds) and engine.faults.more.test.ts (`half` 1: the next seed), so that mocha's
 * two workers share them instead of one running all of them at the end of the run. A failure
 * prints the seed and path fast-check used: ENGINE_FAULTS_SEED=<seed> ENGINE_FAULTS_PATH=<path>
 * replays that world in the file that failed (with a path, the seed is used as printed, and the
 * first file keeps its reproductions, which fast-check counts in the path).
 */
export async function assertWorlds(half: 0 | 1, examples: readonly Scenario[] = []): Promise<void> {
    const runs = half === 0 ? Math.ceil(WORLD_RUNS / 2) : Math.floor(WORLD_RUNS / 2);
    // fast-check counts the examples among numRuns: the random worlds come on top of them.
    const numRuns = runs + examples.length;
    const seed = REPLAY_PATH ? SEED : SEED + half;
    await fc.assert(
        fc.asyncProperty(scenarioArbitrary(), async (world) => {
            const report = await runScenario(world);
            if (report.violations.length > 0) {
                throw new Error(describeViolations(report));
            }
        }),
        { seed, numRuns, examples: examples.map((s) => [s]), ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}) },
    );
}
