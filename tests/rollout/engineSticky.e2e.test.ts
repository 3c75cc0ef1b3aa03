// The sticky canary written by the engine, end to end on this machine: the REAL state machine
// definition run by the local ASL interpreter (tests/support/aslDriver.ts; it is NOT Step
// Functions), the REAL tick handler, over HTTP to a loopback server answering in Consul's
// documented KV, config-entry (with ?cas=) and health API formats (tests/support/fakeConsul.ts; a
// loopback model of that API, NOT Consul), on a virtual clock. `orders` has `rollout.sticky`;
// `inventory` has not. The bodies checked are the ones docs/resilience.md's phase table describes.
import { expect } from "chai";
import { randomUUID } from "crypto";
import { alarmStates } from "../../src/rollout/alarms";
import { rolloutConsulApi, RolloutConsulApi } from "../../src/rollout/consulApi";
import { CommandKind, ControlCommand, ReleaseSpec, rolloutCommandKey, RolloutState, rolloutIdFor, rolloutStateKey, Weights } from "../../src/rollout/contract";
import { EngineDeps, EngineEvent, handleEvent } from "../../src/rollout/handler";
import { ExecutionInput, engineSilenceLimitSeconds, rolloutStateMachine } from "../../src/rollout/render/stateMachine";
import { specHash } from "../../src/rollout/steps";
import { AslDefinition, ExecutionOutcome, runExecution, virtualClock, VirtualClock } from "../support/aslDriver";
import { FakeConsul, FakeInstance, startFakeConsul } from "../support/fakeConsul";
import { ALL_BLUE, ALL_GREEN, releaseSpec, T0 } from "./fixtures";

const FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:prod-rollout";
const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout";
const COOKIE = (colour: string) => `bluegreen-orders=${colour}; Path=/; HttpOnly; SameSite=Lax`;

const colour = (service: string, version: string, n: number): FakeInstance[] => Array.from({ length: n }, () => ({ service, version, status: "passing" as const }));

/** A splitter's splits as the documented body holds them, without indexes. */
type Split = { Weight: number; Service: string; ServiceSubset?: string; ResponseHeaders?: { Add: Record<string, string> } };

const follows: Split[] = [{ Weight: 100, Service: "orders" }];
const pinned = (c: "blue" | "green"): Split[] => [
    { Weight: c === "blue" ? 100 : 0, Service: "orders", ServiceSubset: "blue" },
    { Weight: c === "green" ? 100 : 0, Service: "orders", ServiceSubset: "green" },
];
const split = (w: Weights, cookie: boolean): Split[] =>
    (["blue", "green"] as const).map((c) => ({ Weight: w[c], Service: "orders", ServiceSubset: c, ...(cookie ? { ResponseHeaders: { Add: { "Set-Cookie": COOKIE(c) } } } : {}) }));

function stickySpec(overrides: Partial<ReleaseSpec["strategy"]> = {}): ReleaseSpec {
    const spec = releaseSpec(overrides);
    return { ...spec, services: spec.services.map((s) => (s.service === "orders" ? { ...s, sticky: true } : s)) };
}

describe("sticky canary written by the rollout engine (local ASL driver, loopback Consul API, virtual clock)", () => {
    let consul: FakeConsul;
    let api: RolloutConsulApi;
    let clock: VirtualClock;
    let deps: EngineDeps;

    beforeEach(async () => {
        consul = await startFakeConsul({ instances: [...colour("inventory", "blue", 2), ...colour("inventory", "green", 2), ...colour("orders", "blue", 2), ...colour("orders", "green", 2)] });
        api = rolloutConsulApi({ address: consul.address, scheme: "http", token: "management-token" });
        clock = virtualClock(T0);
        deps = {
            consul: api,
            alarms: alarmStates(async (names) => ({ MetricAlarms: names.map((n) => ({ AlarmName: n, StateValue: "OK" as const })) })),
            now: () => clock.now(),
        };
        // What Pulumi created before any rollout: the splitters, and orders' virtual splitters at rest.
        await api.putSplit("inventory", ALL_BLUE);
        await api.putSplit("orders", ALL_BLUE);
        for (const c of ["blue", "green"]) {
            expect(await api.putEntry({ Kind: "service-splitter", Name: `orders-sticky-${c}`, Splits: follows }, 0)).to.equal(true);
        }
    });
    afterEach(() => consul.close());

    const splitsOf = (name: string) => (consul.state.config.get(`service-splitter/${name}`) as { Splits: Split[] } | undefined)?.Splits;
    /** orders' three entries: [orders-sticky-blue, orders-sticky-green, orders]. */
    const entries = () => [splitsOf("orders-sticky-blue"), splitsOf("orders-sticky-green"), splitsOf("orders")];
    const state = async () => (await api.getJson<RolloutState>(rolloutStateKey(input().rolloutId)))!.value;
    /** The Release's input in a stack where no service belongs to a rollout yet. */
    const input = (spec = stickySpec()): ExecutionInput => {
        const hash = specHash(spec);
        return { rolloutId: rolloutIdFor("prod", hash, 1), specHash: hash, spec, requestedBy: "ana@laptop", startAfter: Object.fromEntries(spec.services.map((s) => [s.service, ""])), generation: 0, count: { n: 0 } };
    };
    const execute = (onState?: (name: string, seconds: number) => void | Promise<void>, exec = input()): Promise<ExecutionOutcome> =>
        runExecution(rolloutStateMachine(FUNCTION, MACHINE) as unknown as AslDefinition, exec.rolloutId, exec, {
            clock,
            invoke: (_fn, payload) => handleEvent(payload as EngineEvent, deps),
            onState: (name) => onState?.(name, (clock.now().getTime() - T0.getTime()) / 1000),
        });

    async function sendCommand(kind: CommandKind): Promise<void> {
        const current = await state();
        const existing = await api.getJson<ControlCommand>(rolloutCommandKey(current.rolloutId));
        const cmd: ControlCommand = { id: randomUUID(), rolloutId: current.rolloutId, kind, issuedBy: "bo@second-machine", issuedAt: clock.now().toISOString() };
        expect(await api.casJson(rolloutCommandKey(current.rolloutId), cmd, existing?.modifyIndex ?? 0)).to.equal(true);
    }

    /** The sticky-canary rules, at any moment: a pinned colour has weight in the live split. */
    function expectPinsWeighted(): void {
        const [blue, green, live] = entries();
        for (const [c, virtual] of [["blue", blue], ["green", green]] as const) {
            if (virtual?.some((s) => s.ServiceSubset === c && s.Weight === 100)) {
                expect(live!.find((s) => s.ServiceSubset === c)!.Weight, `${c} pinned`).to.be.greaterThan(0);
            }
        }
    }

    function expectAtRest(final: Weights): void {
        expect(entries()).to.deep.equal([follows, follows, split(final, false)]);
    }

    it("pins each weighted colour and hands out the cookie during the steps (the docs' phase table), then promotion ends it", async () => {
        const seen = new Map<string, unknown>();
        const outcome = await execute(async (name) => {
            if (name === "Wait") {
                const s = await state();
                expectPinsWeighted();
                seen.set(`${s.phase} step ${s.stepIndex + 1}`, entries());
            }
        });
        expect(outcome.status).to.equal("SUCCEEDED");
        expect(seen.get("baking step 1")).to.deep.equal([pinned("blue"), pinned("green"), split({ blue: 90, green: 10 }, true)]);
        expect(seen.get("baking step 2")).to.deep.equal([pinned("blue"), pinned("green"), split({ blue: 50, green: 50 }, true)]);
        // The last step, still running: blue has no weight, so it is not pinned.
        expect(seen.get("baking step 3")).to.deep.equal([follows, pinned("green"), split(ALL_GREEN, true)]);
        expect((await state()).phase).to.equal("promoted");
        expectAtRest(ALL_GREEN);
        // inventory is not sticky: its splitter alone, never a cookie, no virtual service.
        expect(splitsOf("inventory")).to.deep.equal([
            { Weight: 0, Service: "inventory", ServiceSubset: "blue" },
            { Weight: 100, Service: "inventory", ServiceSubset: "green" },
        ]);
        expect([...consul.state.config.keys()].filter((k) => k.includes("inventory-sticky"))).to.deep.equal([]);
    });

    it("a rollout whose gates hold before the first step pins the colour already served", async () => {
        consul.state.instances = consul.state.instances.filter((i) => !(i.service === "orders" && i.version === "green"));
        const seen: unknown[] = [];
        await execute(async (name, seconds) => {
            if (name === "Wait" && seconds === 15) {
                seen.push(entries());
                throw new Error("stop watching after the first tick");
            }
        }).catch(() => undefined);
        expect((await state()).stepIndex).to.equal(-1);
        expect(seen).to.deep.equal([[pinned("blue"), follows, split(ALL_BLUE, true)]]);
    });

    it("a failing health gate rolls back: no colour pinned, no cookie, the starting split", async () => {
        const outcome = await execute((name, seconds) => {
            if (name === "Wait" && seconds === 30) {
                consul.state.instances = consul.state.instances.filter((i) => !(i.service === "orders" && i.version === "green"));
            }
        });
        expect(outcome.cause).to.match(/gate health:orders failed/);
        expect((await state()).phase).to.equal("rolled-back");
        expectAtRest(ALL_BLUE);
    });

    it("abort from a second machine: no colour pinned, no cookie, the starting split", async () => {
        const outcome = await execute(async (name, seconds) => {
            if (name === "Wait" && seconds === 60) {
                expect(entries()[2]).to.deep.equal(split({ blue: 50, green: 50 }, true));
                await sendCommand("abort");
            }
        });
        expect(outcome.cause).to.equal("aborted by bo@second-machine");
        expectAtRest(ALL_BLUE);
    });

    it("the watchdog ends a rollout whose execution is gone: no colour pinned, no cookie, the starting split", async () => {
        await execute(async (name, seconds) => {
            if (name === "Wait" && seconds === 15) {
                throw new Error("the execution is gone");
            }
        }).catch(() => undefined);
        expect(entries()[1]).to.deep.equal(pinned("green"));
        clock.advance(engineSilenceLimitSeconds(15) + 60);
        const result = await handleEvent({ kind: "watchdog" }, deps);
        expect(result.phase).to.equal("failed");
        expect(await state()).to.include({ phase: "failed", restored: true });
        expectAtRest(ALL_BLUE);
    });

    it("the whole body counts, not only the weights: a cookie taken off by hand at the same weights is written again at the next tick", async () => {
        const outcome = await execute(async (name, seconds) => {
            if (name === "Wait" && seconds === 30) {
                const entry = await api.getEntry("service-splitter", "orders");
                expect(await api.putEntry({ Kind: "service-splitter", Name: "orders", Splits: split({ blue: 90, green: 10 }, false) }, entry!.modifyIndex)).to.equal(true);
            }
            if (name === "Wait" && seconds === 45) {
                expect(entries()[2]).to.deep.equal(split({ blue: 90, green: 10 }, true));
            }
        });
        expect(outcome.status).to.equal("SUCCEEDED");
    });

    it("ending is claimed only once Consul acknowledged every entry: a refused virtual splitter write keeps the state unsettled until it is written", async () => {
        let failedOnce = false;
        const claims: string[] = [];
        deps = {
            ...deps,
            consul: {
                ...api,
                // Every state the engine writes that claims the rollout ended and settled: Consul already holds it.
                casJson: async (key, value, index) => {
                    const written = await api.casJson(key, value, index);
                    const s = value as RolloutState;
                    if (written && key === rolloutStateKey(input().rolloutId) && s.phase === "aborted") {
                        claims.push((s.pendingWrites ?? []).length === 0 ? "settled" : "pending");
                        if ((s.pendingWrites ?? []).length === 0) {
                            expectAtRest(ALL_BLUE);
                        }
                    }
                    return written;
                },
            },
        };
        const outcome = await execute(async (name, seconds) => {
            if (name === "Wait" && seconds === 60) {
                await sendCommand("abort");
                consul.state.faults.push({ prefix: "PUT /v1/config", status: 500, times: 1 });
                failedOnce = true;
            }
        });
        expect(failedOnce).to.equal(true);
        expect(outcome.cause).to.equal("aborted by bo@second-machine");
        const s = await state();
        expect(s.pendingWrites ?? []).to.deep.equal([]);
        expectAtRest(ALL_BLUE);
        expect(consul.state.faults[0].times).to.equal(0);
        expect(claims).to.deep.equal(["pending", "settled"]);
    });
    it("two invocations finishing the same pending writes: one that read orders' splitter before the other moved it never unpins a virtual splitter the settled state says is pinned", async () => {
        // orders alone, all blue to all green in one step. The first tick decides the step, and every
        // splitter write fails: the state keeps it pending. Then two invocations (the execution's
        // retry and an alarm event, say) finish it at once. A reads orders' splitter (all blue);
        // B writes the step (orders, then green's pin); A reads green's virtual splitter (pinned)
        // and confirms the state (still pending); B clears the pending writes. A's sequence, worked
        // out from the all-blue split it read, starts with green's virtual splitter at rest: its
        // check-and-set on that entry holds (B wrote it before A read it), so the state says the
        // step is live while green is unpinned, until a later decision writes it again.
        const base = stickySpec({ steps: [], bakeSeconds: 60 });
        const spec: ReleaseSpec = { ...base, services: base.services.filter((s) => s.service === "orders").map((s) => ({ ...s, upstreams: [] })) };
        const exec = input(spec);
        const tick: EngineEvent = { kind: "tick", rolloutId: exec.rolloutId, specHash: exec.specHash, spec, requestedBy: exec.requestedBy, startAfter: exec.startAfter };
        consul.state.faults.push({ prefix: "PUT /v1/config", status: 500, times: 1000 });
        expect(await handleEvent(tick, deps).catch((err: Error) => err.message)).to.match(/answered 500/);
        consul.state.faults.length = 0;
        const key = rolloutStateKey(exec.rolloutId);
        expect((await api.getJson<RolloutState>(key))!.value.pendingWrites).to.deep.equal([{ service: "orders", weights: ALL_GREEN }]);
        const gate = () => {
            let open!: () => void;
            const opened = new Promise<void>((resolve) => (open = resolve));
            return { open, opened };
        };
        const aReadSplitter = gate();
        const bPinnedGreen = gate();
        const aConfirmed = gate();
        const bCleared = gate();
        let aStateReads = 0;
        let atClear: { readonly entries: ReturnType<typeof entries>; readonly pending: unknown } | undefined;
        const a: RolloutConsulApi = {
            ...api,
            getEntry: async (kind, name) => {
                if (name === "orders-sticky-green") {
                    await bPinnedGreen.opened;
                }
                const entry = await api.getEntry(kind, name);
                if (name === "orders") {
                    aReadSplitter.open();
                }
                return entry;
            },
            getJson: async <T>(k: string) => {
                const reads = k === key ? ++aStateReads : 0;
                if (reads === 3) {
                    await bCleared.opened;
                    // A's first round is over and B has cleared: the state now says its writes are live.
                    atClear = { entries: entries(), pending: (await api.getJson<RolloutState>(key))!.value.pendingWrites };
                }
                const doc = await api.getJson<T>(k);
                if (reads === 2) {
                    aConfirmed.open();
                }
                return doc;
            },
        };
        const b: RolloutConsulApi = {
            ...api,
            putEntry: async (body, cas) => {
                await aReadSplitter.opened;
                const written = await api.putEntry(body, cas);
                if (body.Name === "orders-sticky-green") {
                    bPinnedGreen.open();
                }
                return written;
            },
            casJson: async (k, value, index) => {
                const clearing = k === key && ((value as RolloutState).pendingWrites ?? []).length === 0;
                if (clearing) {
                    await aConfirmed.opened;
                }
                const written = await api.casJson(k, value, index);
                if (clearing) {
                    bCleared.open();
                }
                return written;
            },
        };
        await Promise.all([handleEvent(tick, { ...deps, consul: a }).catch(() => undefined), handleEvent(tick, { ...deps, consul: b })]);
        const s = (await api.getJson<RolloutState>(key))!.value;
        expect(s).to.include({ phase: "baking", stepIndex: 0 });
        // Settled at the step: what Consul runs is the step's three bodies (blue unweighted, green pinned),
        // from the moment the state says so.
        expect(atClear?.pending).to.deep.equal([]);
        expect(atClear?.entries, "when B cleared the pending writes").to.deep.equal([follows, pinned("green"), split(ALL_GREEN, true)]);
        expect(s.pendingWrites).to.deep.equal([]);
        expect(entries()).to.deep.equal([follows, pinned("green"), split(ALL_GREEN, true)]);
    });
});
