// Independent rollouts and the operator's rollback (issue 17), end to end through the engine's real
// handler (src/rollout/handler.ts) against the loopback fake Consul's model on a virtual clock
// (tests/support/engineDriver.ts). The fake answers in Consul's documented formats; it is not Consul.
import { expect } from "chai";
import { CLAIMS_KEY, isSettled, ReleaseSpec, RollbackRequest, RolloutState, ServiceClaims, Weights } from "../../src/rollout/contract";
import { EngineDriver } from "../support/engineDriver";
import { FakeConsul } from "../support/fakeConsul";
import { readKv } from "../support/fakeConsulKv";
import { ALL_BLUE, ALL_GREEN, startConsulAtRest } from "../support/flipClient";

const gate = { required: { blue: 2, green: 2 }, alarms: [] as string[], failureThreshold: 3, skipHealth: false };

function release(service: string, to: Weights, strategy: Partial<ReleaseSpec["strategy"]> = {}, alarms: string[] = []): ReleaseSpec {
    return {
        stack: "prod",
        services: [{ service, to, upstreams: [], gate: { ...gate, alarms } }],
        strategy: { steps: [10, 50], bakeSeconds: 600, bakeEachStep: true, checkIntervalSeconds: 15, ...strategy },
    };
}

function liveOf(consul: FakeConsul, service: string): Weights {
    const entry = consul.state.config.get(`service-splitter/${service}`) as { Splits: { Weight: number; ServiceSubset: string }[] };
    return { blue: entry.Splits.find((s) => s.ServiceSubset === "blue")!.Weight, green: entry.Splits.find((s) => s.ServiceSubset === "green")!.Weight };
}

function rollbackOf(services: { service: string; to: Weights }[], id = "r1"): RollbackRequest {
    return { id, stack: "prod", services, issuedBy: "cy@laptop", issuedAt: "2026-12-01T10:00:00.000Z", reason: "5xx after deploy" };
}

describe("independent rollouts and the operator's rollback (engine handler against the loopback Consul model, virtual clock)", () => {
    let consul: FakeConsul;
    let engine: EngineDriver;
    /** Every splitter write the engine made, in order: service and weights. */
    let writes: string[];

    beforeEach(async () => {
        consul = await startConsulAtRest();
        engine = new EngineDriver(consul);
        writes = [];
        const answer = consul.answer;
        (consul as { answer: FakeConsul["answer"] }).answer = (method, url, token, body) => {
            const reply = answer(method, url, token, body);
            if (method === "PUT" && url.pathname === "/v1/config" && reply.payload === true) {
                const entry = JSON.parse(body.toString("utf8")) as { Name: string; Splits: { Weight: number }[] };
                writes.push(`${entry.Name} ${entry.Splits.map((s) => s.Weight).join("/")}`);
            }
            return reply;
        };
    });
    afterEach(() => consul.close());

    it("runs rollouts of disjoint services at the same time, each to its own end", async () => {
        await engine.start(release("orders", ALL_GREEN));
        const orders = engine.latest!;
        await engine.start(release("inventory", ALL_GREEN, { steps: [25], bakeSeconds: 60 }));
        const inventory = engine.latest!;
        expect(engine.state(orders)!.phase).to.equal("baking");
        expect(engine.state(inventory)!.phase).to.equal("baking");
        expect(readKv<ServiceClaims>(consul, CLAIMS_KEY)!.services).to.deep.include({ orders: { rolloutId: orders, claimedAt: engine.state(orders)!.startedAt } });
        await engine.runUntil(engine.now + 200_000);
        expect(engine.state(inventory)!.phase).to.equal("promoted");
        expect(engine.state(orders)!.phase).to.equal("baking");
        expect(liveOf(consul, "inventory")).to.deep.equal(ALL_GREEN);
        await engine.runUntil(engine.now + 2_000_000);
        expect(engine.state(orders)!.phase).to.equal("promoted");
        expect(liveOf(consul, "orders")).to.deep.equal(ALL_GREEN);
    });

    it("never starts a rollout on a service that belongs to a running one: it ends failed having written nothing", async () => {
        await engine.start(release("orders", ALL_GREEN));
        const first = engine.latest!;
        const before = writes.length;
        const second = await engine.start(release("orders", { blue: 50, green: 50 }));
        expect(second).to.include({ done: true, phase: "failed" });
        expect(second.reason).to.match(new RegExp(`orders belongs to rollout ${first}, which is baking`));
        expect(writes.length).to.equal(before);
        expect(readKv<ServiceClaims>(consul, CLAIMS_KEY)!.services.orders.rolloutId).to.equal(first);
    });

    it("rolls back one service in one write while another service's rollout bakes, leaving that one untouched", async () => {
        await engine.start(release("inventory", ALL_GREEN, { steps: [], bakeSeconds: 0 }));
        await engine.runToEnd();
        expect(liveOf(consul, "inventory")).to.deep.equal(ALL_GREEN);
        await engine.start(release("orders", ALL_GREEN));
        const orders = engine.latest!;
        const ordersBefore = JSON.stringify(engine.state(orders));
        writes = [];
        const result = await engine.rollback(rollbackOf([{ service: "inventory", to: ALL_BLUE }]));
        expect(result).to.include({ done: true, phase: "promoted" });
        expect(writes).to.deep.equal(["inventory 100/0"]);
        expect(liveOf(consul, "inventory")).to.deep.equal(ALL_BLUE);
        expect(JSON.stringify(engine.state(orders))).to.equal(ordersBefore);
        const claims = readKv<ServiceClaims>(consul, CLAIMS_KEY)!.services;
        const rollback = engine.state(claims.inventory.rolloutId)!;
        expect(rollback).to.include({ kind: "rollback", phase: "promoted", requestedBy: "cy@laptop", reason: "5xx after deploy" });
        expect(isSettled(rollback)).to.equal(true);
        expect(engine.history(rollback.rolloutId)).to.deep.include({ kind: "rollback", result: "promoted", from: { inventory: ALL_GREEN }, to: { inventory: ALL_BLUE }, requestedBy: "cy@laptop" });
    });

    it("rolling back a service mid-rollout aborts that rollout (all its services) at once, in the same invocation", async () => {
        const both: ReleaseSpec = {
            stack: "prod",
            services: [
                { service: "inventory", to: ALL_GREEN, upstreams: [], gate },
                { service: "orders", to: ALL_GREEN, upstreams: ["inventory"], gate },
            ],
            strategy: { steps: [10, 50], bakeSeconds: 600, bakeEachStep: true, checkIntervalSeconds: 15 },
        };
        await engine.start(both);
        const running = engine.latest!;
        expect(liveOf(consul, "orders")).to.deep.equal({ blue: 90, green: 10 });
        writes = [];
        await engine.rollback(rollbackOf([{ service: "orders", to: ALL_BLUE }]));
        const aborted = engine.state(running)!;
        expect(aborted.phase).to.equal("aborted");
        expect(aborted.reason).to.match(/aborted by cy@laptop \(rollback of orders: 5xx after deploy\)/);
        expect(isSettled(aborted)).to.equal(true);
        // Callers first when restoring; the rollback then finds orders already where it asked: no second write.
        expect(writes).to.deep.equal(["orders 100/0", "inventory 100/0"]);
        const claims = readKv<ServiceClaims>(consul, CLAIMS_KEY)!.services;
        expect(claims.inventory.rolloutId).to.equal(running);
        expect(engine.state(claims.orders.rolloutId)).to.include({ kind: "rollback", phase: "promoted" });
    });

    it("a retried rollback invocation (same request id) continues the same rollback and writes nothing twice", async () => {
        await engine.start(release("orders", ALL_GREEN, { steps: [], bakeSeconds: 0 }));
        await engine.runToEnd();
        writes = [];
        const request = rollbackOf([{ service: "orders", to: ALL_BLUE }], "same");
        await engine.rollback(request);
        const again = await engine.rollback(request);
        expect(again).to.include({ done: true, phase: "promoted" });
        expect(writes).to.deep.equal(["orders 100/0"]);
    });

    it("an alarm rolls back only the running rollouts that gate on it", async () => {
        await engine.start(release("orders", ALL_GREEN, {}, ["orders-5xx"]));
        const orders = engine.latest!;
        await engine.start(release("inventory", ALL_GREEN));
        const inventory = engine.latest!;
        engine.alarms["orders-5xx"] = "OK";
        await engine.alarm("orders-5xx");
        expect(engine.state(orders)!.phase).to.equal("rolled-back");
        expect(liveOf(consul, "orders")).to.deep.equal(ALL_BLUE);
        expect(engine.state(inventory)!.phase).to.equal("baking");
        expect(liveOf(consul, "inventory")).to.deep.equal({ blue: 90, green: 10 });
    });

    it("the watchdog ends each silent rollout on its own, and leaves a working one alone", async () => {
        await engine.start(release("orders", ALL_GREEN));
        const orders = engine.latest!;
        engine.due.delete(orders); // its execution is gone
        await engine.start(release("inventory", ALL_GREEN, { checkIntervalSeconds: 15 }));
        const inventory = engine.latest!;
        const silence = engine.state(orders)!.engineSilenceLimitSeconds!;
        // inventory's execution keeps ticking; orders' does not.
        await engine.runUntil(engine.now + (silence + 30) * 1000);
        const { handleEvent } = await import("../../src/rollout/handler");
        await handleEvent({ kind: "watchdog" }, engine.deps());
        expect(engine.state(orders)).to.include({ phase: "failed", restored: true });
        expect(liveOf(consul, "orders")).to.deep.equal(ALL_BLUE);
        expect(engine.state(inventory)!.phase).to.not.equal("failed");
    });

    it("moves a schema 2 stack's one rollout to its own key at the first invocation, and the rollout goes on", async () => {
        await engine.start(release("orders", ALL_GREEN));
        const id = engine.latest!;
        const state = engine.state(id)!;
        // Put the stack back as a schema 2 engine left it: the state at bluegreen/rollout/current, no claims.
        consul.state.kv.delete(`bluegreen/rollout/rollouts/${id}`);
        consul.state.kv.delete(CLAIMS_KEY);
        const { putKv } = await import("../support/fakeConsulKv");
        putKv(consul, "bluegreen/rollout/current", { ...state, schemaVersion: 2 } satisfies RolloutState);
        await engine.runUntil(engine.now + 3_000_000);
        expect(consul.state.kv.has("bluegreen/rollout/current")).to.equal(false);
        expect(engine.state(id)!.phase).to.equal("promoted");
        expect(readKv<ServiceClaims>(consul, CLAIMS_KEY)!.services.orders.rolloutId).to.equal(id);
    });

    it("the watchdog ends a rollback whose invocation died before it claimed, without ever writing its split", async () => {
        await engine.start(release("orders", ALL_GREEN, { steps: [], bakeSeconds: 0 }));
        await engine.runToEnd();
        writes = [];
        // The invocation created the rollback's state, then died: only the state is there, pending.
        const { handleEvent } = await import("../../src/rollout/handler");
        const deps = engine.deps();
        let creates = 0;
        const dying = {
            ...deps,
            consul: {
                ...deps.consul,
                casJson: async (key: string, value: unknown, index: number) => {
                    const ok = await deps.consul.casJson(key, value, index);
                    if (key.startsWith("bluegreen/rollout/rollouts/") && index === 0 && ok && ++creates === 1) {
                        throw new Error("the function timed out");
                    }
                    return ok;
                },
            },
        };
        await handleEvent({ kind: "rollback", request: rollbackOf([{ service: "orders", to: ALL_BLUE }], "dies") }, dying).catch(() => undefined);
        const pending = engine.state("prod-rollback-dies")!;
        expect(pending.phase).to.equal("pending");
        engine.now += (pending.engineSilenceLimitSeconds! + 60) * 1000;
        await handleEvent({ kind: "watchdog" }, engine.deps());
        expect(engine.state("prod-rollback-dies")).to.include({ phase: "failed", restored: true });
        expect(writes).to.deep.equal([]);
        expect(liveOf(consul, "orders")).to.deep.equal(ALL_GREEN);
    });

    it("a late tick of a rollout whose state a later rollout replaced ends with the result its history records", async () => {
        await engine.start(release("orders", ALL_GREEN, { steps: [], bakeSeconds: 0 }));
        const first = engine.latest!;
        await engine.runToEnd();
        await engine.start(release("orders", { blue: 50, green: 50 }, { steps: [], bakeSeconds: 0 }));
        expect(engine.state(first)).to.equal(undefined);
        const late = await engine.tick(first);
        expect(late).to.include({ done: true, phase: "promoted" });
    });

    it("a rollback of a sticky service mid-rollout leaves its virtual splitters and its splitter at rest (no pin, no cookie)", async () => {
        const { putConfigEntry } = await import("../support/fakeConsulKv");
        for (const c of ["blue", "green"]) {
            putConfigEntry(consul, { Kind: "service-splitter", Name: `orders-sticky-${c}`, Splits: [{ Weight: 100, Service: "orders" }] });
        }
        const spec = release("orders", ALL_GREEN);
        await engine.start({ ...spec, services: spec.services.map((s) => ({ ...s, sticky: true })) });
        const pinnedGreen = consul.state.config.get("service-splitter/orders-sticky-green") as { Splits: { ServiceSubset?: string }[] };
        expect(pinnedGreen.Splits.some((s) => s.ServiceSubset === "green")).to.equal(true);
        await engine.rollback(rollbackOf([{ service: "orders", to: ALL_BLUE }]));
        for (const c of ["blue", "green"]) {
            expect((consul.state.config.get(`service-splitter/orders-sticky-${c}`) as { Splits: unknown[] }).Splits).to.deep.equal([{ Weight: 100, Service: "orders" }]);
        }
        const splitter = consul.state.config.get("service-splitter/orders") as { Splits: { Weight: number; ResponseHeaders?: unknown }[] };
        expect(splitter.Splits.map((s) => s.Weight)).to.deep.equal([100, 0]);
        expect(splitter.Splits.every((s) => s.ResponseHeaders === undefined)).to.equal(true);
        const claims = readKv<ServiceClaims>(consul, CLAIMS_KEY)!.services;
        expect(engine.state(claims.orders.rolloutId)!.spec.services[0].sticky).to.equal(true);
    });
});
