// The stack's Release resource: the pure rules (desired state from config, which services a change
// moves, the merged strategy, start / attach / refuse), and `pulumi up`'s side end to end: starting
// the execution, following it to the end with progress, failing with the reason after a rollback,
// attaching to a running rollout after a stopped `pulumi up`. The "Step Functions" here is the local
// ASL driver over the real definition (NOT Step Functions), against the loopback Consul API.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseStackValues, readStackFile } from "../../src/offline/stackFile";
import { rolloutConsulApi, RolloutConsulApi } from "../../src/rollout/consulApi";
import { ROLLOUT_STATE_KEY, RolloutState } from "../../src/rollout/contract";
import { EngineDeps, EngineEvent, handleEvent } from "../../src/rollout/handler";
import { specHash } from "../../src/rollout/steps";
import { applyRelease, releaseProvider, ReleaseRuntime } from "../../src/rollout/release";
import { decideStart, DesiredService, desiredServices, mergeStrategies, releaseFor } from "../../src/rollout/releaseRules";
import { ExecutionInput, rolloutStateMachine } from "../../src/rollout/render/stateMachine";
import { AslDefinition, runExecution, virtualClock, VirtualClock } from "../support/aslDriver";
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

    it("a release of several services follows the most careful of their strategies", () => {
        const a = { steps: [10, 50], bakeSeconds: 60, bakeEachStep: false, checkIntervalSeconds: 30, readyTimeoutSeconds: 60 };
        const b = { steps: [25, 50], bakeSeconds: 300, bakeEachStep: true, checkIntervalSeconds: 10, readyTimeoutSeconds: 300 };
        expect(mergeStrategies([a, b])).to.deep.equal({ steps: [10, 25, 50], bakeSeconds: 300, bakeEachStep: true, checkIntervalSeconds: 10, readyTimeoutSeconds: 300 });
    });

    it("attaches to the same release running, refuses another running or a rolled-back one unless retried, else starts the next attempt", () => {
        const running: RolloutState = { ...newRollout(), phase: "baking" };
        expect(decideStart("prod", running.specHash, running, 0, false)).to.deep.equal({ action: "attach", rolloutId: "prod-abc-1" });
        const other = decideStart("prod", "f".repeat(64), running, 0, false);
        expect(other.action).to.equal("refuse");
        expect((other as { reason: string }).reason).to.contain("rollout prod-abc-1 (to inventory blue 0% / green 100%, orders blue 0% / green 100%) is baking; one rollout runs at a time");
        const rolledBack: RolloutState = { ...running, phase: "rolled-back", reason: "gate health:orders failed", from: { inventory: ALL_BLUE, orders: ALL_BLUE } };
        const degraded = decideStart("prod", running.specHash, rolledBack, 1, false);
        expect((degraded as { reason: string }).reason).to.match(/ended rolled-back: gate health:orders failed\. The stack file says .*green 100.*; Consul runs .*blue 100.* \(Degraded\)\. .*BLUEGREEN_ROLLOUT_RETRY=1/);
        expect(decideStart("prod", running.specHash, rolledBack, 1, true)).to.deep.equal({ action: "start", rolloutId: `prod-${running.specHash.slice(0, 16)}-2` });
        expect(decideStart("prod", "a".repeat(64), rolledBack, 0, false).action).to.equal("start");
    });

    it("its provider survives Pulumi's serialization (as the dynamic provider host loads it) and diffs on desired services only", async function () {
        this.timeout(60_000);
        const serialized = await pulumi.runtime.serializeFunction(() => releaseProvider, { allowSecrets: true });
        fs.mkdirSync(path.join(ROOT, "bin"), { recursive: true });
        const dir = fs.mkdtempSync(path.join(ROOT, "bin", "release-"));
        try {
            const file = path.join(dir, "provider.js");
            fs.writeFileSync(file, serialized.text);
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const provider = (require(file) as { handler: () => pulumi.dynamic.ResourceProvider }).handler();
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
    const definition = rolloutStateMachine("fn", "sm") as unknown as AslDefinition;

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

    /** StartExecution runs the whole execution at once in virtual time, unless `stopAfterTicks`. */
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
            sleep: async () => {
                // While `pulumi up` waits, the platform ticks on.
                clock.advance(15);
                await handleEvent({ kind: "tick", ...(await tickOf()) }, deps);
            },
            log: (m) => logs.push(m),
            retry: false,
            follow: true,
            pollMs: 5000,
            whoAmI: () => "ana@laptop (pulumi up)",
            ...overrides,
        };
    };
    const tickOf = async () => {
        const s = (await api.getJson<RolloutState>(ROLLOUT_STATE_KEY))!.value;
        return { rolloutId: s.rolloutId, specHash: s.specHash, spec: s.spec, requestedBy: s.requestedBy };
    };

    it("starts the rollout, follows it with progress and returns once promoted", async () => {
        const next = withTraffic(before(), "orders", ALL_GREEN);
        const rt = runtime();
        const outcome = await applyRelease(before(), { stack: "prod", services: next }, rt);
        expect(outcome.lastResult).to.equal("promoted");
        expect(rt.started).to.have.length(1);
        expect(rt.started[0]).to.match(/^prod-[0-9a-f]{16}-1$/);
        expect(logs[0]).to.equal(`started rollout ${rt.started[0]}: orders to blue 0% / green 100%`);
        expect(logs.some((l) => l.endsWith("promoted: orders blue 0% / green 100%"))).to.equal(true);
        // Every event printed once, in order, however the polls fell.
        const events = (await api.getJson<RolloutState>(ROLLOUT_STATE_KEY))!.value.events.map((e) => `${e.at} ${e.message}`);
        expect(logs.slice(1)).to.deep.equal(events);
        expect(await api.getSplit("orders")).to.deep.equal(ALL_GREEN);
        expect(await api.getSplit("inventory")).to.deep.equal(ALL_BLUE);
    });

    it("fails with the reason when the platform rolled the rollout back, and the next pulumi up refuses until retried", async () => {
        consul.state.instances = consul.state.instances.map((i) => (i.service === "orders" && i.version === "green" ? { ...i, status: "critical" } : i));
        const next = withTraffic(before(), "orders", ALL_GREEN);
        const spec = releaseFor("prod", before(), next)!;
        const short = { ...spec, strategy: { ...spec.strategy, readyTimeoutSeconds: 0 } };
        const withShortTimeout = next.map((s) => (s.service === "orders" ? { ...s, strategy: short.strategy } : s));
        const err = await applyRelease(before(), { stack: "prod", services: withShortTimeout }, runtime()).catch((e: Error) => e);
        expect((err as Error).message).to.match(/rollout prod-[0-9a-f]+-1 ended rolled-back: gate health:orders failed 3 checks in a row.*Degraded/);
        expect(await api.getSplit("orders")).to.deep.equal(ALL_BLUE);
        const again = await applyRelease(before(), { stack: "prod", services: withShortTimeout }, runtime()).catch((e: Error) => e);
        expect((again as Error).message).to.contain("BLUEGREEN_ROLLOUT_RETRY=1");
        consul.state.instances = consul.state.instances.map((i) => ({ ...i, status: "passing" }));
        const rt = runtime({ retry: true });
        expect((await applyRelease(before(), { stack: "prod", services: withShortTimeout }, rt)).lastResult).to.equal("promoted");
        expect(rt.started[0]).to.match(/-2$/);
    });

    it("fails, instead of following forever, when the execution ended before writing any state", async () => {
        const rt = runtime({
            startExecution: async () => true,
            executionStatus: async () => ({ status: "FAILED", error: "RolloutEngineFailed", cause: "the tick failed past its retries" }),
        });
        const err = await applyRelease(before(), { stack: "prod", services: withTraffic(before(), "orders", ALL_GREEN) }, rt).catch((e: Error) => e);
        expect((err as Error).message).to.match(/^execution prod-[0-9a-f]{16}-1 ended FAILED before rollout prod-[0-9a-f]{16}-1 wrote any state \(RolloutEngineFailed: the tick failed past its retries\); nothing was changed/);
    });

    it("after a stopped pulumi up, the next one attaches to the running rollout instead of starting a second", async () => {
        const next = withTraffic(before(), "orders", ALL_GREEN);
        const spec = releaseFor("prod", before(), next)!;
        const slow = next.map((s) => (s.service === "orders" ? { ...s, strategy: { ...s.strategy, steps: [10, 50], bakeSeconds: 60 } } : s));
        // The first pulumi up starts it and is stopped (Ctrl-C) while it bakes: its follow loop dies, the execution does not.
        const first = runtime({ follow: false }, 2);
        await applyRelease(before(), { stack: "prod", services: slow }, first);
        const running = (await api.getJson<RolloutState>(ROLLOUT_STATE_KEY))!.value;
        expect(running.phase).to.equal("baking");
        expect(specHash(spec)).to.not.equal(running.specHash); // the strategy is part of the release
        const second = runtime();
        const outcome = await applyRelease(before(), { stack: "prod", services: slow }, second);
        expect(second.started).to.deep.equal([]);
        expect(logs.some((l) => l.startsWith(`attaching to rollout ${running.rolloutId}, already baking`))).to.equal(true);
        expect(outcome).to.deep.equal({ lastRolloutId: running.rolloutId, lastResult: "promoted" });
        const events = (await api.getJson<RolloutState>(ROLLOUT_STATE_KEY))!.value.events.map((e) => `${e.at} ${e.message}`);
        const followed = logs.slice(logs.findIndex((l) => l.startsWith("attaching")) + 1);
        expect(followed).to.deep.equal(events);
    });
});
