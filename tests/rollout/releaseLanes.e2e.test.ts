// `pulumi up`'s side of independent rollouts (issue 17, schema 3): the Release's update (applyRelease,
// over HTTP to the loopback Consul of tests/support/fakeConsul.ts, which answers in Consul's
// documented KV and config-entry formats; NOT Consul) starts executions whose ticks are the engine's
// REAL handler (src/rollout/handler.ts), run by tests/support/engineDriver.ts on a virtual clock the
// way Step Functions would (NOT Step Functions). What the program warns about after a rollback, and
// following from `pulumi up`, against the same world.
import { expect } from "chai";
import { parseStackValues, readStackFile } from "../../src/offline/stackFile";
import type { ConsulApiAccess } from "../../src/shared/consulApi";
import { rolloutConsulApi, RolloutConsulApi } from "../../src/rollout/consulApi";
import { CLAIMS_KEY, LEGACY_STATE_KEY, ReleaseSpec, RolloutState, ServiceClaims, Weights } from "../../src/rollout/contract";
import { handleEvent } from "../../src/rollout/handler";
import { followRollout, reportFollow } from "../../src/rollout/follow";
import { applyRelease, heldBackServices, ReleaseProvider, ReleaseRuntime } from "../../src/rollout/release";
import { DesiredService, desiredServices, releaseFor } from "../../src/rollout/releaseRules";
import type { ExecutionInput } from "../../src/rollout/render/stateMachine";
import { createRelease } from "../../src/rollout/wireRelease";
import { loadStackConfig } from "../../src/config/load";
import { EngineDriver, writeSplitter } from "../support/engineDriver";
import { FakeConsul } from "../support/fakeConsul";
import { readKv } from "../support/fakeConsulKv";
import { ALL_BLUE, ALL_GREEN, healthyInstances, startConsulAtRest } from "../support/flipClient";
import { plan, ROOT } from "../support/harness";

type Strategy = DesiredService["strategy"];

/** The prod stack's services as the Release's inputs carry them, orders gated on `orders-5xx`, with these strategies. */
function prod(strategies: { inventory?: Partial<Strategy>; orders?: Partial<Strategy> } = {}): DesiredService[] {
    return desiredServices(parseStackValues("prod", readStackFile("prod", ROOT)).services).map((s) => {
        const strategy = { ...s.strategy, ...strategies[s.service as "inventory" | "orders"] };
        return s.service === "orders" ? { ...s, strategy, gate: { ...s.gate, alarms: ["orders-5xx"] } } : { ...s, strategy };
    });
}

const set = (services: readonly DesiredService[], to: Record<string, Weights>) => services.map((s) => (to[s.service] ? { ...s, to: to[s.service] } : s));

const SLOW: Partial<Strategy> = { steps: [10, 50], bakeSeconds: 600, checkIntervalSeconds: 15 };
const QUICK: Partial<Strategy> = { steps: [25], bakeSeconds: 60, checkIntervalSeconds: 15 };
const ONE_STEP: Partial<Strategy> = { steps: [], bakeSeconds: 0, checkIntervalSeconds: 15 };

describe("pulumi up under independent rollouts (Release over HTTP to the loopback Consul, engine handler on a virtual clock)", () => {
    let consul: FakeConsul;
    let engine: EngineDriver;
    let api: RolloutConsulApi;

    beforeEach(async () => {
        consul = await startConsulAtRest();
        engine = new EngineDriver(consul);
        engine.alarms = { "orders-5xx": "OK" };
        api = rolloutConsulApi({ address: consul.address, scheme: "http", token: "management-token" });
    });
    afterEach(() => consul.close());

    /**
     * One `pulumi up`'s Release runtime: StartExecution runs the execution's first tick at once and
     * leaves the rest to the driver's schedule; its sleeps let virtual time, and the engine, run on.
     */
    function pulumiUp(options: { retry?: boolean; beforeFirstTick?: () => Promise<unknown> } = {}): ReleaseRuntime & { started: ExecutionInput[] } {
        const started: ExecutionInput[] = [];
        return {
            consul: api,
            started,
            async startExecution(_name, input) {
                started.push(input);
                await options.beforeFirstTick?.();
                const spec = input.spec as ReleaseSpec;
                const result = await handleEvent({ kind: "tick", rolloutId: input.rolloutId, specHash: input.specHash, spec, requestedBy: input.requestedBy, startAfter: input.startAfter }, engine.deps());
                engine.latest = input.rolloutId;
                if (!result.done) {
                    engine.due.set(input.rolloutId, engine.now + result.waitSeconds * 1000);
                }
                return true;
            },
            executionStatus: async (name) => ({ status: engine.due.has(name) ? "RUNNING" : "SUCCEEDED" }),
            sleep: (ms) => engine.runUntil(engine.now + ms),
            now: () => engine.now,
            retry: options.retry === true,
            whoAmI: () => "ana@laptop (pulumi up)",
        };
    }

    const live = (service: string) => api.getSplit(service);
    const claims = () => readKv<ServiceClaims>(consul, CLAIMS_KEY)?.services ?? {};

    it("two pulumi ups at once start rollouts of disjoint services, which run side by side, each to its own end", async () => {
        const base = prod({ inventory: QUICK, orders: SLOW });
        const [upA, upB] = [pulumiUp(), pulumiUp()];
        const [a, b] = await Promise.all([
            applyRelease(base, { stack: "prod", services: set(base, { inventory: ALL_GREEN }) }, upA),
            applyRelease(base, { stack: "prod", services: set(base, { orders: ALL_GREEN }) }, upB),
        ]);
        expect([a.lastResult, b.lastResult]).to.deep.equal(["started", "started"]);
        expect(upA.started.map((i) => i.startAfter)).to.deep.equal([{ inventory: "" }]);
        expect(upB.started.map((i) => i.startAfter)).to.deep.equal([{ orders: "" }]);
        expect(claims()).to.deep.include({ inventory: { rolloutId: a.lastRolloutId, claimedAt: engine.state(a.lastRolloutId)!.startedAt } });
        expect(claims().orders.rolloutId).to.equal(b.lastRolloutId);
        expect(await live("inventory")).to.deep.equal({ blue: 75, green: 25 });
        expect(await live("orders")).to.deep.equal({ blue: 90, green: 10 });
        await engine.runUntil(engine.now + 300_000);
        expect(engine.state(a.lastRolloutId)!.phase).to.equal("promoted");
        expect(engine.state(b.lastRolloutId)!.phase).to.equal("baking");
        await engine.runUntil(engine.now + 3_000_000);
        expect(engine.state(b.lastRolloutId)!.phase).to.equal("promoted");
        expect([await live("inventory"), await live("orders")]).to.deep.equal([ALL_GREEN, ALL_GREEN]);
    });

    it("refuses a release of a service a running rollout holds, naming that rollout and how to follow or end it, while a release of another service starts beside it", async () => {
        const base = prod({ inventory: QUICK, orders: SLOW });
        const ordersGreen = set(base, { orders: ALL_GREEN });
        const running = (await applyRelease(base, { stack: "prod", services: ordersGreen }, pulumiUp())).lastRolloutId;
        const before = JSON.stringify(engine.state(running));
        const refusedUp = pulumiUp();
        for (const next of [set(ordersGreen, { orders: { blue: 50, green: 50 } }), set(ordersGreen, { orders: { blue: 50, green: 50 }, inventory: ALL_GREEN })]) {
            const refused = await applyRelease(ordersGreen, { stack: "prod", services: next }, refusedUp).catch((e: Error) => e);
            expect((refused as Error).message).to.equal(
                `orders belongs to rollout ${running} (to orders blue 0% / green 100%), which is baking; a service is in one rollout at a time. ` +
                    "Follow it with `npm run flip -- status --stack prod --service orders --watch`, or end it with `npm run flip -- abort --stack prod --service orders` " +
                    "or `npm run flip -- promote --full --stack prod --service orders`, then run pulumi up again",
            );
        }
        expect(refusedUp.started).to.deep.equal([]);
        const other = await applyRelease(ordersGreen, { stack: "prod", services: set(ordersGreen, { inventory: ALL_GREEN }) }, pulumiUp());
        expect(other.lastResult).to.equal("started");
        expect(other.messages[0]).to.equal(`started rollout ${other.lastRolloutId}: inventory to blue 0% / green 100%`);
        expect(claims().inventory.rolloutId).to.equal(other.lastRolloutId);
        expect(JSON.stringify(engine.state(running))).to.equal(before);
    });

    it("a pulumi up of the same change while it runs attaches to it instead of starting a second", async () => {
        const base = prod({ orders: SLOW });
        const next = set(base, { orders: ALL_GREEN });
        const first = await applyRelease(base, { stack: "prod", services: next }, pulumiUp());
        await engine.runUntil(engine.now + 100_000);
        const again = pulumiUp();
        const outcome = await applyRelease(base, { stack: "prod", services: next }, again);
        expect(again.started).to.deep.equal([]);
        expect(outcome).to.deep.equal({
            lastRolloutId: first.lastRolloutId,
            lastResult: "attached",
            messages: [`attached to rollout ${first.lastRolloutId}, already baking (started by ana@laptop (pulumi up) at ${engine.state(first.lastRolloutId)!.startedAt})`],
        });
    });

    it("fails the update, having changed nothing, when another rollout took one of its services between reading the claims and its first tick", async () => {
        const base = prod({ orders: SLOW });
        const up = pulumiUp({
            beforeFirstTick: () =>
                engine.rollback({ id: "r1", stack: "prod", services: [{ service: "orders", to: ALL_BLUE }], issuedBy: "cy@laptop", issuedAt: new Date(engine.now).toISOString(), reason: "hold orders" }),
        });
        const failed = await applyRelease(base, { stack: "prod", services: set(base, { orders: ALL_GREEN }) }, up).catch((e: Error) => e);
        const rollback = claims().orders.rolloutId;
        expect(rollback).to.match(/^prod-rollback-r1/);
        expect((failed as Error).message).to.equal(
            `rollout ${up.started[0].rolloutId} did not start and changed nothing: orders belongs to rollout ${rollback} now, not (none) as when this rollout was asked for: run pulumi up again`,
        );
        expect(await live("orders")).to.deep.equal(ALL_BLUE);
    });

    it("follows the rollout it started, by its own key, to its end while another service's rollout bakes on", async () => {
        const base = prod({ inventory: SLOW, orders: QUICK });
        const inventory = await applyRelease(base, { stack: "prod", services: set(base, { inventory: ALL_GREEN }) }, pulumiUp());
        const afterInventory = set(base, { inventory: ALL_GREEN });
        const orders = await applyRelease(afterInventory, { stack: "prod", services: set(afterInventory, { orders: ALL_GREEN }) }, pulumiUp());
        const lines: string[] = [];
        const result = await followRollout(orders.lastRolloutId, {
            consul: api,
            sleep: (ms) => engine.runUntil(engine.now + ms),
            now: () => engine.now,
            log: (line) => lines.push(line),
            stop: new AbortController().signal,
            pollMs: 5000,
        });
        expect(result).to.deep.equal({ kind: "promoted" });
        expect(lines).to.deep.equal(engine.state(orders.lastRolloutId)!.events.map((e) => `${e.at} ${e.message}`));
        expect(engine.state(inventory.lastRolloutId)!.phase).to.equal("baking");
    });

    it("following ends with how its rollout ended when an operator's rollback aborts it and takes its service between two reads (its state is gone; its history says)", async () => {
        const base = prod({ orders: SLOW });
        const outcome = await applyRelease(base, { stack: "prod", services: set(base, { orders: ALL_GREEN }) }, pulumiUp());
        let sleeps = 0;
        const result = await followRollout(outcome.lastRolloutId, {
            consul: api,
            sleep: async (ms) => {
                await engine.runUntil(engine.now + ms);
                if (++sleeps === 3) {
                    await engine.rollback({ id: "r1", stack: "prod", services: [{ service: "orders", to: ALL_BLUE }], issuedBy: "cy@laptop", issuedAt: new Date(engine.now).toISOString(), reason: "5xx" });
                }
            },
            now: () => engine.now,
            log: () => undefined,
            stop: new AbortController().signal,
            pollMs: 5000,
        });
        expect(engine.state(outcome.lastRolloutId)).to.equal(undefined);
        expect(result).to.deep.equal({ kind: "ended", phase: "aborted", reason: "aborted by cy@laptop (rollback of orders: 5xx)" });
        expect(reportFollow(outcome.lastRolloutId, "prod", result).failed).to.equal(true);
    });

    it("a stack upgraded from schema 2 mid-rollout: its one rollout, still at the old key, holds its services for pulumi up as it will once the engine moved it", async () => {
        const base = prod({ inventory: QUICK, orders: SLOW });
        // What a schema 2 engine left: one state at bluegreen/rollout/current, no claims.
        const spec = releaseFor("prod", base, set(base, { orders: ALL_GREEN }))!;
        await engine.start(spec);
        const legacy = engine.state()!;
        consul.state.kv.clear();
        expect(await api.casJson(LEGACY_STATE_KEY, { ...legacy, schemaVersion: 2 }, 0)).to.equal(true);
        const refused = await applyRelease(base, { stack: "prod", services: set(base, { orders: { blue: 50, green: 50 } }) }, pulumiUp()).catch((e: Error) => e);
        expect((refused as Error).message).to.match(new RegExp(`^orders belongs to rollout ${legacy.rolloutId} \\(to orders blue 0% / green 100%\\), which is baking`));
        const attached = await applyRelease(base, { stack: "prod", services: set(base, { orders: ALL_GREEN }) }, pulumiUp());
        expect(attached).to.deep.include({ lastRolloutId: legacy.rolloutId, lastResult: "attached" });
        const up = pulumiUp();
        const inventory = await applyRelease(base, { stack: "prod", services: set(base, { inventory: ALL_GREEN }) }, up);
        expect(inventory.lastResult).to.equal("started");
        // Its first tick moved the old rollout to its own key and claimed its service for it, then claimed inventory beside it.
        expect(claims()).to.deep.include({ orders: { rolloutId: legacy.rolloutId, claimedAt: legacy.startedAt } });
        expect(claims().inventory.rolloutId).to.equal(inventory.lastRolloutId);
        expect(engine.state(legacy.rolloutId)!.phase).to.equal("baking");
    });

    describe("a stack file that still asks for a rolled-back split", () => {
        const base = prod({ orders: ONE_STEP });
        const next = set(base, { orders: ALL_GREEN });

        /** `pulumi up` of orders to green, run to promoted. */
        async function promoted(): Promise<string> {
            const outcome = await applyRelease(base, { stack: "prod", services: next }, pulumiUp());
            await engine.runToEnd();
            expect(engine.state(outcome.lastRolloutId)!.phase).to.equal("promoted");
            return outcome.lastRolloutId;
        }

        /** Pulumi sees no change of the Release; the program's warning and a retry are what is left. */
        async function expectHeldBack(message: RegExp): Promise<void> {
            const provider = new ReleaseProvider();
            const inputs = { stack: "prod", services: next, stateMachineArn: "arn", region: "eu-west-1", consul: { address: "", caCertPem: "", token: "", tlsServerName: "" } };
            const olds = { stack: "prod", services: next, lastRolloutId: "", lastResult: "started" as const, messages: [], appliedAt: "" };
            expect((await provider.diff("prod-release", olds, inputs)).changes).to.equal(false);
            const held = await heldBackServices(api, next, engine.now);
            expect(held.map((h) => h.service)).to.deep.equal(["orders"]);
            expect(held[0].message).to.match(message);
            expect(held[0].message).to.match(/\. This pulumi up started nothing for orders$/);
            // Even run (a Release replaced, say), the update starts nothing without a retry.
            const up = pulumiUp();
            expect(await applyRelease(next, { stack: "prod", services: next }, up)).to.deep.include({ lastResult: "no traffic change" });
            expect(up.started).to.deep.equal([]);
            expect(await live("orders")).to.deep.equal(ALL_BLUE);
        }

        /** BLUEGREEN_ROLLOUT_RETRY=1: the Release diffs, and starts orders' change again from what runs. */
        async function retried(after: string): Promise<void> {
            const provider = new ReleaseProvider();
            const inputs = { stack: "prod", services: next, stateMachineArn: "arn", region: "eu-west-1", consul: { address: "", caCertPem: "", token: "", tlsServerName: "" }, retry: true };
            const olds = { stack: "prod", services: next, lastRolloutId: "", lastResult: "started" as const, messages: [], appliedAt: "" };
            expect((await provider.diff("prod-release", olds, inputs)).changes).to.equal(true);
            const up = pulumiUp({ retry: true });
            const outcome = await applyRelease(next, { stack: "prod", services: next }, up);
            expect(outcome.messages[0]).to.equal(`started rollout ${outcome.lastRolloutId}: orders to blue 0% / green 100%`);
            expect(up.started.map((i) => i.startAfter)).to.deep.equal([{ orders: after }]);
            await engine.runToEnd();
            expect(engine.state(outcome.lastRolloutId)!.phase).to.equal("promoted");
            expect(await live("orders")).to.deep.equal(ALL_GREEN);
            expect(await heldBackServices(api, next, engine.now)).to.deep.equal([]);
        }

        it("after an operator's rollback (flip rollback): says so per service and starts nothing; a retry starts the change again", async () => {
            await promoted();
            await engine.rollback({ id: "r1", stack: "prod", services: [{ service: "orders", to: ALL_BLUE }], issuedBy: "cy@laptop", issuedAt: new Date(engine.now).toISOString(), reason: "5xx after deploy" });
            const rollback = claims().orders.rolloutId;
            await expectHeldBack(
                /^rolled back by cy@laptop at \S+: 5xx after deploy; orders runs blue 100% \/ green 0%, the stack file asks for blue 0% \/ green 100%: commit the stack file flip rollback wrote, so that git says what runs; or, to move it to the stack file's blue 0% \/ green 100% again, run pulumi up with BLUEGREEN_ROLLOUT_RETRY=1\./,
            );
            await retried(rollback);
        });

        it("after a gate rollback: says so per service and starts nothing; a retry, once the cause is fixed, starts attempt 2", async () => {
            consul.state.instances = consul.state.instances.map((i) => (i.service === "orders" && i.version === "green" ? { ...i, status: "critical" as const } : i));
            const gated = set(next, {}).map((s) => (s.service === "orders" ? { ...s, strategy: { ...s.strategy, readyTimeoutSeconds: 0 } } : s));
            const outcome = await applyRelease(set(gated, { orders: ALL_BLUE }), { stack: "prod", services: gated }, pulumiUp());
            await engine.runToEnd();
            const state: RolloutState = engine.state(outcome.lastRolloutId)!;
            expect(state.phase).to.equal("rolled-back");
            const held = await heldBackServices(api, gated, engine.now);
            expect(held.map((h) => h.message)).to.deep.equal([
                `rollout ${outcome.lastRolloutId} rolled-back: ${state.reason}; orders runs blue 100% / green 0%, the stack file asks for blue 0% / green 100%: ` +
                    "fix the cause and retry (BLUEGREEN_ROLLOUT_RETRY=1 pulumi up), or set the stack file back to what runs. This pulumi up started nothing for orders",
            ]);
            expect(await applyRelease(gated, { stack: "prod", services: gated }, pulumiUp())).to.deep.include({ lastResult: "no traffic change" });
            consul.state.instances = healthyInstances();
            const up = pulumiUp({ retry: true });
            const again = await applyRelease(gated, { stack: "prod", services: gated }, up);
            expect(again.lastRolloutId).to.equal(outcome.lastRolloutId.replace(/-1$/, "-2"));
            expect(up.started.map((i) => i.startAfter)).to.deep.equal([{ orders: outcome.lastRolloutId }]);
            await engine.runToEnd();
            expect(await live("orders")).to.deep.equal(ALL_GREEN);
        });

        it("after an alarm rollback: says so per service and starts nothing; a retry starts the change again", async () => {
            const slow = set(next, {}).map((s) => (s.service === "orders" ? { ...s, strategy: { ...s.strategy, ...SLOW } } : s));
            const outcome = await applyRelease(set(slow, { orders: ALL_BLUE }), { stack: "prod", services: slow }, pulumiUp());
            await engine.alarm("orders-5xx");
            expect(engine.state(outcome.lastRolloutId)!.phase).to.equal("rolled-back");
            const held = await heldBackServices(api, slow, engine.now);
            expect(held.map((h) => h.message)).to.deep.equal([
                `rollout ${outcome.lastRolloutId} rolled-back: ${engine.state(outcome.lastRolloutId)!.reason}; orders runs blue 100% / green 0%, the stack file asks for blue 0% / green 100%: ` +
                    "fix the cause and retry (BLUEGREEN_ROLLOUT_RETRY=1 pulumi up), or set the stack file back to what runs. This pulumi up started nothing for orders",
            ]);
            engine.alarms["orders-5xx"] = "OK";
            const up = pulumiUp({ retry: true });
            const again = await applyRelease(slow, { stack: "prod", services: slow }, up);
            expect(again.lastResult).to.equal("started");
            expect(up.started.map((i) => i.startAfter)).to.deep.equal([{ orders: outcome.lastRolloutId }]);
        });

        it("after an operator's rollback of one service while another's rollout bakes: warns for that one only, and a retry starts it beside the other", async () => {
            await promoted();
            const slowInventory = set(next, { inventory: ALL_GREEN }).map((s) => (s.service === "inventory" ? { ...s, strategy: { ...s.strategy, ...SLOW } } : s));
            const inventory = await applyRelease(next, { stack: "prod", services: slowInventory }, pulumiUp());
            await engine.rollback({ id: "r1", stack: "prod", services: [{ service: "orders", to: ALL_BLUE }], issuedBy: "cy@laptop", issuedAt: new Date(engine.now).toISOString(), reason: "5xx" });
            expect(engine.state(inventory.lastRolloutId)!.phase).to.equal("baking");
            const held = await heldBackServices(api, slowInventory, engine.now);
            expect(held.map((h) => h.service)).to.deep.equal(["orders"]);
            const quiet = pulumiUp();
            expect(await applyRelease(slowInventory, { stack: "prod", services: slowInventory }, quiet)).to.deep.include({ lastResult: "no traffic change" });
            expect(quiet.started).to.deep.equal([]);
            const up = pulumiUp({ retry: true });
            const again = await applyRelease(slowInventory, { stack: "prod", services: slowInventory }, up);
            expect(again.messages[0]).to.equal(`started rollout ${again.lastRolloutId}: orders to blue 0% / green 100%`);
            expect(engine.state(inventory.lastRolloutId)!.phase).to.equal("baking");
            expect(claims().inventory.rolloutId).to.equal(inventory.lastRolloutId);
            expect(claims().orders.rolloutId).to.equal(again.lastRolloutId);
        });

        it("the stack file set to what runs after the rollback: no warning, and its pulumi up starts nothing", async () => {
            await promoted();
            await engine.rollback({ id: "r1", stack: "prod", services: [{ service: "orders", to: ALL_BLUE }], issuedBy: "cy@laptop", issuedAt: new Date(engine.now).toISOString() });
            const up = pulumiUp();
            const outcome = await applyRelease(next, { stack: "prod", services: base }, up);
            expect(outcome).to.deep.equal({ lastRolloutId: "", lastResult: "no traffic change", messages: ["Consul already runs orders blue 100% / green 0%: no rollout to start"] });
            expect(up.started).to.deep.equal([]);
            expect(await heldBackServices(api, base, engine.now)).to.deep.equal([]);
        });
    });

    describe("the program (createRelease under Pulumi's mock runtime)", () => {
        const program = () => {
            const config = loadStackConfig();
            const access = { address: consul.address, scheme: "http", token: "management-token", caCertPem: "", tlsServerName: "" } as ConsulApiAccess;
            createRelease(config.services, access, { stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout", region: config.region }, [], {});
            return {};
        };

        it("warns on the Release in pulumi up for a service left rolled back, and reads nothing from Consul in preview", async function () {
            this.timeout(60_000);
            // The prod stack file asks for orders blue; a promoted release to blue was rolled back to green by an operator.
            writeSplitter(consul, "orders", ALL_GREEN);
            const toBlue = releaseFor("prod", set(prod(), { orders: ALL_GREEN }), prod({ orders: ONE_STEP }))!;
            await engine.start(toBlue);
            await engine.runToEnd();
            await engine.rollback({ id: "r1", stack: "prod", services: [{ service: "orders", to: ALL_GREEN }], issuedBy: "cy@laptop", issuedAt: new Date(engine.now).toISOString(), reason: "blue is slow" });
            const warnings: string[] = [];
            const warn = console.warn;
            console.warn = (line: string) => warnings.push(line);
            try {
                await plan("prod", undefined, { preview: true, program });
                await new Promise((resolve) => setTimeout(resolve, 200));
                expect(consul.state.requests).to.deep.equal([]);
                expect(warnings).to.deep.equal([]);
                await plan("prod", undefined, { preview: false, program });
                for (let i = 0; i < 100 && warnings.length === 0; i++) {
                    await new Promise((resolve) => setTimeout(resolve, 50));
                }
            } finally {
                console.warn = warn;
            }
            // With no engine connection, pulumi.log.warn prints "warning: [runtime] ..."; under `pulumi up` it lands on the Release.
            expect(warnings).to.have.length(1);
            expect(warnings[0]).to.match(/^warning: \[runtime\] rolled back by cy@laptop at \S+: blue is slow; orders runs blue 0% \/ green 100%, the stack file asks for blue 100% \/ green 0%: commit the stack file/);
            expect(warnings[0]).to.match(/This pulumi up started nothing for orders$/);
        });
    });
});
