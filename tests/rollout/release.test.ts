// The stack's Release resource: the pure rules (desired state from config, which services a change
// moves, the merged strategy, start / attach / refuse), and `pulumi up`'s side end to end: starting
// the execution and waiting for its first state, following it (follow.ts, run by the program) to
// the end with progress, the failure line after a rollback, attaching to a running rollout after a
// stopped `pulumi up`, a retry, and the first Ctrl-C stopping the following at once while the
// rollout goes on. The "Step Functions" here is the local ASL driver over the real definition (NOT
// Step Functions), against the loopback Consul server of tests/support/fakeConsul.ts, which answers
// in Consul's documented KV and config-entry formats (NOT Consul).
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseStackValues, readStackFile } from "../../src/offline/stackFile";
import type { ConsulApiAccess } from "../../src/shared/consulApi";
import { rolloutConsulApi, RolloutConsulApi } from "../../src/rollout/consulApi";
import { CLAIMS_KEY, hasPendingWrites, isTerminal, ROLLOUTS_PREFIX, RolloutState, rolloutStateKey, ServiceClaims } from "../../src/rollout/contract";
import { EngineDeps, EngineEvent, handleEvent } from "../../src/rollout/handler";
import { specHash } from "../../src/rollout/steps";
import { DEFAULT_FOLLOW_MS, followMode, followRollout, FollowRuntime, reportFollow } from "../../src/rollout/follow";
import { applyRelease, ReleaseProvider, ReleaseRuntime } from "../../src/rollout/release";
import { decideStart, DesiredService, desiredServices, heldBack, mergeStrategies, releaseFor } from "../../src/rollout/releaseRules";
import { ExecutionInput, rolloutStateMachine } from "../../src/rollout/render/stateMachine";
import { AslDefinition, runExecution, virtualClock, VirtualClock } from "../support/aslDriver";
import { startFakeAws } from "../support/fakeAws";
import { FakeConsul, startFakeConsul } from "../support/fakeConsul";
import { ROOT } from "../support/harness";
import { ALL_BLUE, ALL_GREEN, newRollout, T0 } from "./fixtures";

const prodServices = () => parseStackValues("prod", readStackFile("prod", ROOT)).services;

const withTraffic = (services: readonly DesiredService[], name: string, to: { blue: number; green: number }) => services.map((s) => (s.service === name ? { ...s, to } : s));

describe("the Release: rules (pure)", () => {
    it("takes each service's desired split, gates and strategy from config, callees first", () => {
        const desired = desiredServices(prodServices());
        expect(desired.map((d) => d.service)).to.deep.equal(["inventory", "orders"]);
        const orders = desired.find((d) => d.service === "orders")!;
        expect(orders.upstreams).to.deep.equal(["inventory"]);
        expect(orders.gate).to.deep.include({ failureThreshold: 3, skipHealth: false });
        expect(orders.strategy).to.deep.equal({ steps: [], bakeSeconds: 0, bakeEachStep: true, checkIntervalSeconds: 15, readyTimeoutSeconds: 300 });
    });

    it("moves only the services whose desired split changed; nothing on the first run or for a gate-only edit", () => {
        const before = desiredServices(prodServices());
        expect(releaseFor("prod", undefined, before)).to.equal(undefined);
        const gateOnly = before.map((s) => ({ ...s, gate: { ...s.gate, failureThreshold: 9 } }));
        expect(releaseFor("prod", before, gateOnly)).to.equal(undefined);
        const spec = releaseFor("prod", before, withTraffic(before, "orders", ALL_GREEN))!;
        expect(spec.services.map((s) => s.service)).to.deep.equal(["orders"]);
        expect(spec.services[0].to).to.deep.equal(ALL_GREEN);
    });

    it("carries rollout.sticky into the release's spec, and says nothing of a service without it (its hash stays what it was)", () => {
        const services = prodServices().map((s) => (s.name === "orders" ? { ...s, rollout: { ...s.rollout, sticky: true } } : s));
        const before = desiredServices(services);
        expect(before.map((d) => [d.service, "sticky" in d ? d.sticky : "absent"])).to.deep.equal([
            ["inventory", "absent"],
            ["orders", true],
        ]);
        const spec = releaseFor("prod", before, withTraffic(withTraffic(before, "orders", ALL_GREEN), "inventory", ALL_GREEN))!;
        expect(spec.services.map((s) => [s.service, s.sticky])).to.deep.equal([
            ["inventory", undefined],
            ["orders", true],
        ]);
        expect(Object.keys(spec.services[0])).not.to.include("sticky");
    });

    it("a release of several services follows the most careful of their strategies", () => {
        const a = { steps: [10, 50], bakeSeconds: 60, bakeEachStep: false, checkIntervalSeconds: 30, readyTimeoutSeconds: 60 };
        const b = { steps: [25, 50], bakeSeconds: 300, bakeEachStep: true, checkIntervalSeconds: 10, readyTimeoutSeconds: 300 };
        expect(mergeStrategies([a, b])).to.deep.equal({ steps: [10, 25, 50], bakeSeconds: 300, bakeEachStep: true, checkIntervalSeconds: 10, readyTimeoutSeconds: 300 });
    });

    it("per service: attaches to the same release running, refuses one whose service another running rollout holds (naming it and how to end it), refuses a rolled-back one unless retried, else starts the next attempt", () => {
        const running: RolloutState = { ...newRollout(), phase: "baking" };
        const both = (rollout: RolloutState | undefined) => [
            { service: "inventory", rollout },
            { service: "orders", rollout },
        ];
        expect(decideStart("prod", running.specHash, both(running), 0, false)).to.deep.equal({ action: "attach", rolloutId: "prod-abc-1" });
        const other = decideStart("prod", "f".repeat(64), [{ service: "orders", rollout: running }], 0, false);
        expect(other.action).to.equal("refuse");
        expect((other as { reason: string }).reason).to.equal(
            "orders belongs to rollout prod-abc-1 (to inventory blue 0% / green 100%, orders blue 0% / green 100%), which is baking; a service is in one rollout at a time. " +
                "Follow it with `npm run flip -- status --stack prod --service orders --watch`, or end it with `npm run flip -- abort --stack prod --service orders` " +
                "or `npm run flip -- promote --full --stack prod --service orders`, then run pulumi up again",
        );
        // A service no rollout ever held, or whose rollout promoted, does not stop it.
        const promoted: RolloutState = { ...running, phase: "promoted" };
        expect(decideStart("prod", "f".repeat(64), [{ service: "orders", rollout: promoted }, { service: "inventory" }], 0, false)).to.deep.equal({ action: "start", rolloutId: `prod-${"f".repeat(16)}-1` });
        const rolledBack: RolloutState = { ...running, phase: "rolled-back", reason: "gate health:orders failed", from: { inventory: ALL_BLUE, orders: ALL_BLUE } };
        const degraded = decideStart("prod", running.specHash, both(rolledBack), 1, false);
        expect((degraded as { reason: string }).reason).to.match(/ended rolled-back: gate health:orders failed\. The stack file says .*green 100.*; Consul runs .*blue 100.* \(Degraded\)\. .*BLUEGREEN_ROLLOUT_RETRY=1/);
        expect(decideStart("prod", running.specHash, both(rolledBack), 1, true)).to.deep.equal({ action: "start", rolloutId: `prod-${running.specHash.slice(0, 16)}-2` });
        expect(decideStart("prod", "a".repeat(64), both(rolledBack), 0, false).action).to.equal("start");
        // Ended, but its restore not yet acknowledged by Consul: nothing starts on its services until it is (issue 16).
        const unsettled = decideStart("prod", "a".repeat(64), [{ service: "orders", rollout: { ...rolledBack, pendingWrites: [{ service: "orders", weights: ALL_BLUE }] } }], 0, false);
        expect((unsettled as { reason: string }).reason).to.match(/^orders belongs to rollout prod-abc-1, which ended rolled-back, but its last splitter writes are not acknowledged by Consul yet/);
    });

    it("holds back a service whose last rollout ended short (rolled back, aborted, failed, an operator's rollback) while the stack file asks for another split than runs", () => {
        const promoted: RolloutState = { ...newRollout(), phase: "promoted" };
        const rolledBack: RolloutState = { ...promoted, phase: "rolled-back" };
        const rollback: RolloutState = { ...promoted, kind: "rollback" };
        expect(heldBack(ALL_GREEN, rolledBack, ALL_BLUE)).to.equal(true);
        expect(heldBack(ALL_GREEN, rollback, ALL_BLUE)).to.equal(true);
        expect(heldBack(ALL_GREEN, { ...promoted, phase: "aborted" }, ALL_BLUE)).to.equal(true);
        // The stack file asks for what runs, the last rollout promoted, none ran, or the restore is still being written: not held back.
        expect(heldBack(ALL_BLUE, rolledBack, ALL_BLUE)).to.equal(false);
        expect(heldBack(ALL_GREEN, promoted, ALL_BLUE)).to.equal(false);
        expect(heldBack(ALL_GREEN, undefined, ALL_BLUE)).to.equal(false);
        expect(heldBack(ALL_GREEN, { ...rolledBack, pendingWrites: [{ service: "orders", weights: ALL_BLUE }] }, ALL_BLUE)).to.equal(false);
    });

    it("pulumi up does not follow by default; BLUEGREEN_ROLLOUT_FOLLOW=1 follows for 30 minutes, a duration that long, never unbounded", () => {
        for (const value of [undefined, "", "0"]) {
            expect(followMode(value), String(value)).to.deep.equal({ follow: false });
        }
        expect(followMode("1")).to.deep.equal({ follow: true, limitMs: DEFAULT_FOLLOW_MS });
        expect(DEFAULT_FOLLOW_MS).to.equal(30 * 60_000);
        expect(followMode("1h30m")).to.deep.equal({ follow: true, limitMs: 90 * 60_000 });
        expect(followMode("90s")).to.deep.equal({ follow: true, limitMs: 90_000 });
        for (const bad of ["yes", "2", "500ms", "25h", "-5m"]) {
            expect(() => followMode(bad), bad).to.throw(/is not 0, 1 or a duration between 1s and 24h/);
        }
    });

    it("its provider survives Pulumi's serialization (as the dynamic provider host loads it) and diffs on desired services only", async function () {
        this.timeout(60_000);
        const instance = new ReleaseProvider();
        const serialized = await pulumi.runtime.serializeFunction(() => instance, { allowSecrets: true });
        fs.mkdirSync(path.join(ROOT, "bin"), { recursive: true });
        const dir = fs.mkdtempSync(path.join(ROOT, "bin", "release-"));
        try {
            const file = path.join(dir, "provider.js");
            fs.writeFileSync(file, serialized.text);
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const provider = (require(file) as { handler: () => pulumi.dynamic.ResourceProvider }).handler();
            // As the dynamic provider host does once per process: the stack's whole config, namespaced keys.
            const config: Record<string, string> = { "aws:region": "eu-west-1", "aws:profile": "deploy" };
            await provider.configure!({ config: { get: (k) => config[k], require: (k) => config[k] } });
            const services = desiredServices(prodServices());
            const olds = { stack: "prod", services, lastRolloutId: "", lastResult: "" };
            const news = { stack: "prod", services, stateMachineArn: "arn:other", region: "eu-west-1", consul: { address: "x:8501", caCertPem: "", token: "", tlsServerName: "" } };
            expect((await provider.diff!("id", olds, news)).changes).to.equal(false);
            expect((await provider.diff!("id", olds, { ...news, services: withTraffic(services, "orders", ALL_GREEN) })).changes).to.equal(true);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("the Release during pulumi up (local ASL driver, loopback Consul API, virtual clock)", () => {
    let consul: FakeConsul;
    let api: RolloutConsulApi;
    let clock: VirtualClock;
    let deps: EngineDeps;
    let logs: string[];
    const before = () => desiredServices(prodServices());
    const definition = rolloutStateMachine("arn:aws:lambda:eu-west-1:123456789012:function:prod-rollout-tick", "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout") as unknown as AslDefinition;

    beforeEach(async () => {
        const instances = ["inventory", "orders"].flatMap((service) => ["blue", "green"].flatMap((version) => [0, 1].map(() => ({ service, version, status: "passing" as const }))));
        consul = await startFakeConsul({ instances });
        api = rolloutConsulApi({ address: consul.address, scheme: "http", token: "management-token" });
        clock = virtualClock(T0);
        deps = { consul: api, alarms: async () => ({}), now: () => clock.now() };
        logs = [];
        await api.putSplit("inventory", ALL_BLUE);
        await api.putSplit("orders", ALL_BLUE);
    });
    afterEach(() => consul.close());

    /** StartExecution runs the execution's first tick (or, without `stopAfterTicks`, all of it) in virtual time. */
    const runtime = (overrides: Partial<ReleaseRuntime> = {}, stopAfterTicks?: number): ReleaseRuntime & { started: string[] } => {
        const started: string[] = [];
        return {
            consul: api,
            started,
            async startExecution(name, input: ExecutionInput) {
                started.push(name);
                let ticks = 0;
                await runExecution(definition, name, input, {
                    clock,
                    invoke: (_fn, payload) => handleEvent(payload as EngineEvent, deps),
                    onState: (state) => {
                        if (state === "Wait" && stopAfterTicks !== undefined && ++ticks >= stopAfterTicks) throw new Error("the runner stops here");
                    },
                }).catch((err: Error) => {
                    if (err.message !== "the runner stops here") throw err;
                });
                return true;
            },
            executionStatus: async () => ({ status: "RUNNING" }),
            sleep: async (ms) => {
                clock.advance(ms / 1000);
            },
            now: () => clock.now().getTime(),
            retry: false,
            whoAmI: () => "ana@laptop (pulumi up)",
            ...overrides,
        };
    };
    const stateOf = async (rolloutId: string) => (await api.getJson<RolloutState>(rolloutStateKey(rolloutId)))!.value;
    /** The platform: one tick of every rollout that has not settled. */
    const tickAll = async () => {
        for (const s of Object.values(await api.listJson<RolloutState>(ROLLOUTS_PREFIX))) {
            if (!isTerminal(s.phase) || hasPendingWrites(s)) {
                await handleEvent({ kind: "tick", rolloutId: s.rolloutId, specHash: s.specHash, spec: s.spec, requestedBy: s.requestedBy }, deps);
            }
        }
    };
    /** The program's side: while it waits between reads, the platform ticks on. */
    const follower = (stop = new AbortController().signal, overrides: Partial<FollowRuntime> = {}): FollowRuntime => ({
        consul: api,
        sleep: async () => {
            clock.advance(15);
            await tickAll();
        },
        now: () => clock.now().getTime(),
        log: (m) => logs.push(m),
        stop,
        pollMs: 5000,
        ...overrides,
    });

    it("starts the rollout and returns once its first state is in Consul; the program follows it with progress to promoted", async () => {
        const next = withTraffic(before(), "orders", ALL_GREEN);
        const slow = next.map((s) => (s.service === "orders" ? { ...s, strategy: { ...s.strategy, steps: [10, 50], bakeSeconds: 60 } } : s));
        const rt = runtime({}, 1);
        const outcome = await applyRelease(before(), { stack: "prod", services: slow }, rt);
        expect(rt.started).to.have.length(1);
        expect(rt.started[0]).to.match(/^prod-[0-9a-f]{16}-1$/);
        expect(outcome).to.deep.equal({ lastRolloutId: rt.started[0], lastResult: "started", messages: [`started rollout ${rt.started[0]}: orders to blue 0% / green 100%`] });
        // pulumi up returned while the rollout is at its first step.
        expect((await stateOf(outcome.lastRolloutId)).phase).to.not.match(/promoted|rolled-back/);
        const result = await followRollout(outcome.lastRolloutId, follower());
        expect(result).to.deep.equal({ kind: "promoted" });
        // Every event printed once, in order, however the polls fell.
        const events = (await stateOf(outcome.lastRolloutId)).events.map((e) => `${e.at} ${e.message}`);
        expect(logs).to.deep.equal(events);
        expect(logs[logs.length - 1]).to.match(/promoted: orders blue 0% \/ green 100%$/);
        expect(await api.getSplit("orders")).to.deep.equal(ALL_GREEN);
        expect(await api.getSplit("inventory")).to.deep.equal(ALL_BLUE);
    });

    it("a stack file set to the split a running rollout passes through is refused, not taken as already run", async () => {
        const next = withTraffic(before(), "orders", ALL_GREEN);
        const slow = next.map((s) => (s.service === "orders" ? { ...s, strategy: { ...s.strategy, steps: [10, 50], bakeSeconds: 60 } } : s));
        await applyRelease(before(), { stack: "prod", services: slow }, runtime({}, 1));
        // The rollout runs, at its first step; the engine will move orders on to 0/100.
        expect(await api.getSplit("orders")).to.deep.equal({ blue: 90, green: 10 });
        const midway = withTraffic(slow, "orders", { blue: 90, green: 10 });
        const outcome = await applyRelease(slow, { stack: "prod", services: midway }, runtime()).catch((e: Error) => e);
        expect(outcome).to.be.instanceOf(Error);
        expect((outcome as Error).message).to.match(/^orders belongs to rollout prod-[0-9a-f]{16}-1 .*, which is baking; a service is in one rollout at a time/);
    });

    it("the provider's update() holds pulumi up only until the first state: it returns with the rollout baking, which goes on after it", async () => {
        // The dynamic provider's own path: the AWS SDK's StartExecution to a loopback Step Functions
        // (tests/support/fakeAws.ts, NOT AWS) whose execution runs the real definition on the ASL
        // driver, and the Release's Consul client over HTTP to the loopback Consul (NOT Consul; plain
        // HTTP, which the test passes as the client's `scheme`).
        let parked: () => void = () => undefined;
        const resumed = new Promise<void>((resolve) => (parked = resolve));
        let execution: Promise<unknown> | undefined;
        let waits = 0;
        const aws = await startFakeAws({
            onStartExecution: (name, input) =>
                new Promise<void>((firstWait) => {
                    execution = runExecution(definition, name, input, {
                        clock,
                        invoke: (_fn, payload) => handleEvent(payload as EngineEvent, deps),
                        onState: async (state) => {
                            if (state === "Wait" && ++waits === 1) {
                                // Answer StartExecution once the first tick ran; hold the execution here.
                                firstWait();
                                await resumed;
                            }
                        },
                    });
                }),
        });
        try {
            const provider = new ReleaseProvider();
            const config: Record<string, string> = { "aws:region": "eu-west-1", "aws:accessKey": "AKIADEPLOY000000000", "aws:secretKey": "s", "aws:endpoints": JSON.stringify([{ sfn: aws.endpoint }]) };
            await provider.configure({ config: { get: (k) => config[k], require: (k) => config[k] } });
            const services = withTraffic(before(), "orders", ALL_GREEN).map((s) => (s.service === "orders" ? { ...s, strategy: { ...s.strategy, steps: [10, 50], bakeSeconds: 600, checkIntervalSeconds: 300 } } : s));
            const access = { address: consul.address, scheme: "http", token: "management-token", caCertPem: "", tlsServerName: "" } as ConsulApiAccess;
            const startedAt = clock.now().getTime();
            const olds = { stack: "prod", services: before(), lastRolloutId: "", lastResult: "no traffic change" as const, messages: [], appliedAt: "" };
            const created = await provider.update("prod-release", olds, { stack: "prod", services, stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout", region: "eu-west-1", consul: access });
            expect(created.outs).to.deep.include({ lastResult: "started" });
            expect(aws.requests.map((r) => r.operation)).to.deep.equal(["states:StartExecution"]);
            // update() returned with no virtual time spent: the rollout's first step is written, its
            // 600 s bake has not started to run out.
            expect(clock.now().getTime() - startedAt).to.equal(0);
            const state = await stateOf(created.outs.lastRolloutId);
            expect(state).to.deep.include({ rolloutId: created.outs.lastRolloutId, phase: "baking", stepIndex: 0 });
            expect(Date.parse(state.bakeUntil!) - startedAt).to.equal(600_000);
            expect(await api.getSplit("orders")).to.deep.equal({ blue: 90, green: 10 });
            // The rollout goes on in the engine after pulumi up returned.
            parked();
            expect(await execution).to.deep.include({ status: "SUCCEEDED" });
            expect((await stateOf(created.outs.lastRolloutId)).phase).to.equal("promoted");
            expect(clock.now().getTime() - startedAt).to.be.at.least(3 * 600_000);
        } finally {
            await aws.close();
        }
    });

    it("the follow reports a rollback as a failure with the reason; the next pulumi up refuses until retried, and a retry starts attempt 2", async () => {
        consul.state.instances = consul.state.instances.map((i) => (i.service === "orders" && i.version === "green" ? { ...i, status: "critical" } : i));
        const next = withTraffic(before(), "orders", ALL_GREEN);
        const spec = releaseFor("prod", before(), next)!;
        const withShortTimeout = next.map((s) => (s.service === "orders" ? { ...s, strategy: { ...spec.strategy, readyTimeoutSeconds: 0 } } : s));
        const outcome = await applyRelease(before(), { stack: "prod", services: withShortTimeout }, runtime());
        const result = await followRollout(outcome.lastRolloutId, follower());
        expect(result.kind).to.equal("ended");
        const report = reportFollow(outcome.lastRolloutId, "prod", result);
        expect(report.failed).to.equal(true);
        expect(report.line).to.match(/rollout prod-[0-9a-f]+-1 ended rolled-back: gate health:orders failed 3 checks in a row.*Degraded/);
        expect(await api.getSplit("orders")).to.deep.equal(ALL_BLUE);
        // The Release recorded the new inputs when it started the rollout: the same change again is no
        // change, and starts nothing by itself.
        expect(await applyRelease(withShortTimeout, { stack: "prod", services: withShortTimeout }, runtime())).to.deep.include({ lastResult: "no traffic change" });
        // The stack file put back to what runs: nothing to start (Consul already runs it).
        const putBack = await applyRelease(withShortTimeout, { stack: "prod", services: before() }, runtime());
        expect(putBack).to.deep.equal({ lastRolloutId: "", lastResult: "no traffic change", messages: ["Consul already runs orders blue 100% / green 0%: no rollout to start"] });
        // Pulumi state that still holds the old inputs (an older Release) refuses the rolled-back change until retried.
        const again = await applyRelease(before(), { stack: "prod", services: withShortTimeout }, runtime()).catch((e: Error) => e);
        expect((again as Error).message).to.contain("BLUEGREEN_ROLLOUT_RETRY=1");
        consul.state.instances = consul.state.instances.map((i) => ({ ...i, status: "passing" }));
        const rt = runtime({ retry: true });
        const retried = await applyRelease(withShortTimeout, { stack: "prod", services: withShortTimeout }, rt);
        expect(retried.lastResult).to.equal("started");
        expect(rt.started[0]).to.match(/-2$/);
        expect(await api.getSplit("orders")).to.deep.equal(ALL_GREEN);
    });

    it("fails, instead of leaving a rollout nobody sees, when the execution ended before writing any state", async () => {
        const rt = runtime({
            startExecution: async () => true,
            executionStatus: async () => ({ status: "FAILED", error: "RolloutEngineFailed", cause: "the tick failed past its retries" }),
        });
        const err = await applyRelease(before(), { stack: "prod", services: withTraffic(before(), "orders", ALL_GREEN) }, rt).catch((e: Error) => e);
        expect((err as Error).message).to.match(/^execution prod-[0-9a-f]{16}-1 ended FAILED before rollout prod-[0-9a-f]{16}-1 started \(RolloutEngineFailed: the tick failed past its retries\); nothing was changed/);
    });

    it("starts the execution from the rollouts its services belong to: startAfter names each one (\"\" for none)", async () => {
        const inputs: ExecutionInput[] = [];
        const capture = runtime({ startExecution: async (_name, input) => (inputs.push(input), true), executionStatus: async () => ({ status: "FAILED" }) });
        await applyRelease(before(), { stack: "prod", services: withTraffic(before(), "orders", ALL_GREEN) }, capture).catch(() => undefined);
        expect(inputs.map((i) => i.startAfter)).to.deep.equal([{ orders: "" }]);
        const ended = { ...newRollout(), phase: "promoted" as const, spec: { ...newRollout().spec, stack: "prod" } };
        expect(await api.casJson(rolloutStateKey(ended.rolloutId), ended, 0)).to.equal(true);
        const claims: ServiceClaims = { schemaVersion: 3, services: { orders: { rolloutId: ended.rolloutId, claimedAt: ended.startedAt } } };
        expect(await api.casJson(CLAIMS_KEY, claims, 0)).to.equal(true);
        await applyRelease(before(), { stack: "prod", services: withTraffic(withTraffic(before(), "orders", ALL_GREEN), "inventory", ALL_GREEN) }, capture).catch(() => undefined);
        expect(inputs.map((i) => i.startAfter)).to.deep.equal([{ orders: "" }, { inventory: "", orders: ended.rolloutId }]);
    });

    it("returns with a note, not forever, when a running execution writes no state within the wait", async () => {
        const rt = runtime({ startExecution: async () => true });
        const outcome = await applyRelease(before(), { stack: "prod", services: withTraffic(before(), "orders", ALL_GREEN) }, rt);
        expect(outcome.messages[1]).to.match(/^execution prod-[0-9a-f]{16}-1 runs but has not written the rollout's state within 120s/);
    });

    it("after a stopped pulumi up, the next one attaches to the running rollout instead of starting a second", async () => {
        const next = withTraffic(before(), "orders", ALL_GREEN);
        const spec = releaseFor("prod", before(), next)!;
        const slow = next.map((s) => (s.service === "orders" ? { ...s, strategy: { ...s.strategy, steps: [10, 50], bakeSeconds: 60 } } : s));
        const first = runtime({}, 2);
        await applyRelease(before(), { stack: "prod", services: slow }, first);
        const running = await stateOf(first.started[0]);
        expect(running.phase).to.equal("baking");
        expect(specHash(spec)).to.not.equal(running.specHash); // the strategy is part of the release
        const second = runtime();
        const outcome = await applyRelease(before(), { stack: "prod", services: slow }, second);
        expect(second.started).to.deep.equal([]);
        expect(outcome.lastResult).to.equal("attached");
        expect(outcome.messages[0]).to.match(new RegExp(`^attached to rollout ${running.rolloutId}, already baking`));
        expect(await followRollout(outcome.lastRolloutId, follower())).to.deep.equal({ kind: "promoted" });
    });

    it("the first Ctrl-C stops following at once, even while a Consul read hangs, and the rollout goes on", async () => {
        const next = withTraffic(before(), "orders", ALL_GREEN).map((s) => (s.service === "orders" ? { ...s, strategy: { ...s.strategy, steps: [10, 50], bakeSeconds: 600 } } : s));
        const outcome = await applyRelease(before(), { stack: "prod", services: next }, runtime({}, 2));
        const stop = new AbortController();
        let reads = 0;
        // The second read never answers (a hung connection); the Ctrl-C comes while it hangs.
        const hanging: FollowRuntime["consul"] = {
            getJson: <T>(key: string) => (++reads === 2 ? new Promise<never>(() => undefined) : api.getJson<T>(key)),
        };
        const following = followRollout(outcome.lastRolloutId, follower(stop.signal, { consul: hanging, sleep: async () => undefined }));
        // Let the first read come back over loopback and the second one start.
        for (let turn = 0; turn < 10_000 && reads < 2; turn++) {
            await new Promise((resolve) => setImmediate(resolve));
        }
        expect(reads).to.equal(2);
        stop.abort();
        const result = await following;
        expect(result).to.deep.equal({ kind: "stopped" });
        expect(reportFollow(outcome.lastRolloutId, "prod", result).line).to.equal(
            `stopped following rollout ${outcome.lastRolloutId} at the first Ctrl-C; it goes on in the engine: watch it with: npm run flip -- status --stack prod --rollout ${outcome.lastRolloutId} --watch`,
        );
        const state = await stateOf(outcome.lastRolloutId);
        expect(state.phase).to.equal("baking");
        expect(state.lastCommandId).to.equal(undefined);
    });

    it("stops following at the time limit, the rollout still running", async () => {
        const next = withTraffic(before(), "orders", ALL_GREEN).map((s) => (s.service === "orders" ? { ...s, strategy: { ...s.strategy, steps: [10, 50], bakeSeconds: 600 } } : s));
        const outcome = await applyRelease(before(), { stack: "prod", services: next }, runtime({}, 1));
        const result = await followRollout(outcome.lastRolloutId, follower(), 60_000);
        expect(result).to.deep.equal({ kind: "time limit" });
        expect(reportFollow(outcome.lastRolloutId, "prod", result, 60_000)).to.deep.equal({
            line: `stopped following rollout ${outcome.lastRolloutId} after 60s (BLUEGREEN_ROLLOUT_FOLLOW); it goes on in the engine: watch it with: npm run flip -- status --stack prod --rollout ${outcome.lastRolloutId} --watch`,
            failed: false,
        });
        expect((await stateOf(outcome.lastRolloutId)).phase).to.not.match(/promoted|rolled-back|aborted|failed/);
    });
});
