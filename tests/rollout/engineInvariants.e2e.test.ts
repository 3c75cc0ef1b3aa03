// The engine's invariants (docs/rollouts.md, "What the engine guarantees"), each against the defect
// of issue 16 that broke it: the REAL state machine definition run by the local ASL driver
// (tests/support/aslDriver.ts, which applies Step Functions' JSON and Wait rules; NOT Step
// Functions), invoking the REAL handler, which talks HTTP to the loopback server answering in
// Consul's documented KV, config-entry (with check-and-set) and health formats
// (tests/support/fakeConsul.ts; NOT Consul), on a virtual clock. Between any two states of an
// execution, `claimsOnlyLive` checks the first invariant: the state of the rollout each service
// belongs to (the claims document), when it has no pending writes, says exactly what its splitter runs.
import { expect } from "chai";
import { alarmStates } from "../../src/rollout/alarms";
import { rolloutConsulApi, RolloutConsulApi } from "../../src/rollout/consulApi";
import { CLAIMS_KEY, hasPendingWrites, HistoryRecord, isSettled, ReleaseSpec, RollbackRequest, rollbackIdFor, rolloutCommandKey, ROLLOUT_HISTORY_PREFIX, RolloutState, rolloutIdFor, rolloutStateKey, ServiceClaims, Weights } from "../../src/rollout/contract";
import { expectedSplit } from "../../src/rollout/decide";
import { followRollout } from "../../src/rollout/follow";
import { EngineDeps, EngineEvent, handleEvent, TickEvent, TickResult } from "../../src/rollout/handler";
import { engineSilenceLimitSeconds, ExecutionInput, rolloutStateMachine } from "../../src/rollout/render/stateMachine";
import { specHash } from "../../src/rollout/steps";
import { AslDefinition, ExecutionOutcome, runExecution, virtualClock, VirtualClock } from "../support/aslDriver";
import { FakeConsul, FakeInstance, startFakeConsul } from "../support/fakeConsul";
import { readKv } from "../support/fakeConsulKv";
import { ALL_BLUE, ALL_GREEN, releaseSpec, T0 } from "./fixtures";

const definition = rolloutStateMachine("arn:aws:lambda:eu-west-1:123456789012:function:prod-rollout-tick", "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout") as unknown as AslDefinition;
const ALARM = { source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", detail: { alarmName: "orders-5xx", state: { value: "ALARM" } } } as const;
const colour = (service: string, version: string, n: number): FakeInstance[] => Array.from({ length: n }, () => ({ service, version, status: "passing" }));

describe("the engine's invariants under issue 16's defects (local ASL driver, loopback Consul API, virtual clock)", () => {
    let consul: FakeConsul;
    let api: RolloutConsulApi;
    let clock: VirtualClock;
    let alarms: Record<string, string>;
    let deps: EngineDeps;
    let results: TickResult[];

    beforeEach(async () => {
        consul = await startFakeConsul({ instances: ["inventory", "orders"].flatMap((s) => [...colour(s, "blue", 2), ...colour(s, "green", 2)]) });
        api = rolloutConsulApi({ address: consul.address, scheme: "http", token: "management-token" });
        clock = virtualClock(T0);
        alarms = { "orders-5xx": "OK" };
        deps = {
            consul: api,
            alarms: alarmStates(async (names) => ({ MetricAlarms: names.filter((n) => n in alarms).map((n) => ({ AlarmName: n, StateValue: alarms[n] as "OK" })) })),
            now: () => clock.now(),
        };
        results = [];
        await api.putSplit("inventory", ALL_BLUE);
        await api.putSplit("orders", ALL_BLUE);
    });
    afterEach(() => consul.close());

    // The test reads the fake's store directly, so that its own reads never meet an injected fault.
    const splitOf = (service: string): Weights | undefined => {
        const entry = consul.state.config.get(`service-splitter/${service}`);
        const splits = (entry?.Splits ?? []) as { Weight: number; ServiceSubset: string }[];
        return entry ? { blue: splits.find((x) => x.ServiceSubset === "blue")?.Weight ?? 0, green: splits.find((x) => x.ServiceSubset === "green")?.Weight ?? 0 } : undefined;
    };
    const live = async () => ({ inventory: splitOf("inventory"), orders: splitOf("orders") });
    const claims = () => readKv<ServiceClaims>(consul, CLAIMS_KEY)?.services ?? {};
    /** A rollout's state; by default that of the rollout inventory (in every release here) belongs to. */
    const read = async (rolloutId = claims().inventory?.rolloutId) => {
        const key = rolloutStateKey(rolloutId ?? "");
        const entry = consul.state.kv.get(key);
        return entry ? { value: readKv<RolloutState>(consul, key)!, modifyIndex: entry.modifyIndex } : undefined;
    };
    const state = async (rolloutId?: string) => (await read(rolloutId))!.value;
    const splitterWrites = () => consul.state.requests.filter((r) => r.startsWith("PUT /v1/config")).length;

    /** Invariant 1: the state of the rollout a service belongs to, with no pending writes, claims exactly what Consul runs. */
    async function claimsOnlyLive(where: string): Promise<void> {
        for (const [service, claim] of Object.entries(claims())) {
            const doc = await read(claim.rolloutId);
            if (!doc || hasPendingWrites(doc.value)) {
                continue;
            }
            const expected = expectedSplit(doc.value);
            if (expected[service] !== undefined) {
                expect(splitOf(service), `${where}: ${service} under ${doc.value.rolloutId} ${doc.value.phase} step ${doc.value.stepIndex}`).to.deep.equal(expected[service]);
            }
        }
    }

    /** What the Release passes: for each service, the rollout the claims say it belongs to, read just before StartExecution. */
    async function inputFor(spec: ReleaseSpec, attempt = 1): Promise<ExecutionInput & { readonly spec: ReleaseSpec; readonly startAfter: Record<string, string> }> {
        const hash = specHash(spec);
        const startAfter = Object.fromEntries(spec.services.map((s) => [s.service, claims()[s.service]?.rolloutId ?? ""]));
        return { rolloutId: rolloutIdFor("prod", hash, attempt), specHash: hash, spec, requestedBy: "ana@laptop", startAfter, generation: 0, count: { n: 0 } };
    }

    /** The Tick state's payload for an execution input. */
    const tickOf = (input: ExecutionInput & { readonly spec: ReleaseSpec }): TickEvent => ({
        kind: "tick",
        rolloutId: input.rolloutId,
        specHash: input.specHash,
        spec: input.spec,
        requestedBy: input.requestedBy,
        startAfter: input.startAfter,
    });

    function execute(input: ExecutionInput, onState?: (name: string, seconds: number) => void | Promise<void>, engine: EngineDeps = deps): Promise<ExecutionOutcome> {
        return runExecution(definition, input.rolloutId, input, {
            clock,
            invoke: async (_fn, payload) => {
                const result = await handleEvent(payload as EngineEvent, engine);
                results.push(result);
                return result;
            },
            onState: async (name) => {
                await claimsOnlyLive(`before ${name}`);
                await onState?.(name, (clock.now().getTime() - T0.getTime()) / 1000);
            },
        });
    }

    it("16.1: a rolled-back rollout never comes back by itself, even after another release promoted", async () => {
        // Y: 15 s checks, 3 steps; rolled back by an alarm event at 15 s. Then Z (inventory to 80/20,
        // 5 s checks) is started by a client and promotes while Y's execution waits.
        const y = await inputFor(releaseSpec({ steps: [10, 50], bakeSeconds: 15, checkIntervalSeconds: 15 }));
        const z = releaseSpec({ steps: [], bakeSeconds: 0, checkIntervalSeconds: 5 });
        const zSpec: ReleaseSpec = { ...z, services: [{ ...z.services[0], to: { blue: 80, green: 20 } }] };
        let zOutcome: ExecutionOutcome | undefined;
        let zId = "";
        let writesAfterZ = 0;
        const outcome = await execute(y, async (name, seconds) => {
            if (name === "Wait" && seconds === 15 && zOutcome === undefined) {
                alarms["orders-5xx"] = "ALARM";
                expect((await handleEvent(ALARM, deps)).phase).to.equal("rolled-back");
                alarms["orders-5xx"] = "OK";
                const zInput = await inputFor(zSpec);
                expect(zInput.startAfter).to.deep.equal({ inventory: y.rolloutId });
                zId = zInput.rolloutId;
                zOutcome = await execute(zInput);
                writesAfterZ = splitterWrites();
            }
        });
        expect(zOutcome).to.include({ status: "SUCCEEDED" });
        // Y's next tick ended its execution without starting or writing anything.
        expect(outcome).to.include({ status: "FAILED", error: "RolloutNotPromoted", cause: "alarm orders-5xx went into ALARM" });
        expect(splitterWrites()).to.equal(writesAfterZ);
        expect(await live()).to.deep.equal({ inventory: { blue: 80, green: 20 }, orders: ALL_BLUE });
        expect(await state(zId)).to.include({ phase: "promoted" });
        expect(await state(y.rolloutId)).to.include({ phase: "rolled-back" });
        expect(claims()).to.deep.include({ inventory: { rolloutId: zId, claimedAt: (await state(zId)).startedAt } });
        expect(claims().orders.rolloutId).to.equal(y.rolloutId);
    });

    it("16.1 under schema 3: a rolled-back rollout whose services a later release took (its state removed) never writes its state again", async () => {
        // As above, but Z takes both of Y's services, so Y's settled state is removed once its
        // history record is written. Y's execution still waits; its next tick carries Y's startAfter.
        const y = await inputFor(releaseSpec({ steps: [10, 50], bakeSeconds: 15, checkIntervalSeconds: 15 }));
        const z = releaseSpec({ steps: [], bakeSeconds: 0, checkIntervalSeconds: 5 });
        const zSpec: ReleaseSpec = { ...z, services: z.services.map((s) => ({ ...s, to: { blue: 80, green: 20 } })) };
        let zId = "";
        let writesAfterZ = 0;
        const outcome = await execute(y, async (name, seconds) => {
            if (name === "Wait" && seconds === 15 && zId === "") {
                alarms["orders-5xx"] = "ALARM";
                expect((await handleEvent(ALARM, deps)).phase).to.equal("rolled-back");
                alarms["orders-5xx"] = "OK";
                const zInput = await inputFor(zSpec);
                zId = zInput.rolloutId;
                expect(await execute(zInput)).to.include({ status: "SUCCEEDED" });
                expect(await read(y.rolloutId), "Y's state, removed once Z took all its services").to.equal(undefined);
                writesAfterZ = splitterWrites();
            }
        });
        expect(outcome).to.include({ status: "FAILED", error: "RolloutNotPromoted" });
        expect(outcome.cause).to.contain("alarm orders-5xx went into ALARM");
        expect(await read(y.rolloutId), "Y's state written again by its late tick").to.equal(undefined);
        const records = Object.values(await api.listJson<HistoryRecord>(ROLLOUT_HISTORY_PREFIX)).filter((r) => r.rolloutId === y.rolloutId);
        expect(records.map((r) => r.result)).to.deep.equal(["rolled-back"]);
        expect(splitterWrites()).to.equal(writesAfterZ);
        expect(await live()).to.deep.equal({ inventory: { blue: 80, green: 20 }, orders: { blue: 80, green: 20 } });
        expect(claims()).to.deep.include({ inventory: { rolloutId: zId, claimedAt: (await state(zId)).startedAt } });
    });

    it("a rollback request invoked again after its rollback ended and a later release took its services changes nothing", async () => {
        // `flip rollback` with request id r1, done at once; then a release of both services starts
        // from it (its state is removed: no claim names it). The same request again (a client re-run,
        // a late retry) must not act: the rollback has ended, and the release is not its business.
        const request: RollbackRequest = { id: "r1", stack: "prod", services: [{ service: "orders", to: { blue: 80, green: 20 } }, { service: "inventory", to: { blue: 80, green: 20 } }], issuedBy: "cy@laptop", issuedAt: T0.toISOString(), reason: "5xx" };
        const rollbackId = rollbackIdFor("prod", request.id);
        expect(await handleEvent({ kind: "rollback", request }, deps)).to.deep.include({ rolloutId: rollbackId, done: true, phase: "promoted" });
        const release = await inputFor(releaseSpec({ steps: [10, 50], bakeSeconds: 60 }));
        expect(release.startAfter).to.deep.equal({ inventory: rollbackId, orders: rollbackId });
        expect((await handleEvent(tickOf(release), deps)).phase).to.equal("baking");
        expect(await read(rollbackId)).to.equal(undefined);
        const running = await state(release.rolloutId);
        const before = splitterWrites();
        await handleEvent({ kind: "rollback", request }, deps);
        expect(await state(release.rolloutId), "the release, after the old request again").to.deep.equal(running);
        expect(splitterWrites()).to.equal(before);
        expect(await read(rollbackId)).to.equal(undefined);
        expect(await live()).to.deep.equal({ inventory: { blue: 72, green: 28 }, orders: { blue: 72, green: 28 } });
    });

    it("16.1: a late or retried first tick starts its rollout only from the rollouts its client saw, and an ended rollout never again", async () => {
        const y = await inputFor(releaseSpec());
        // A Task retry of an ended rollout's tick, and a first tick whose client saw an older state.
        const first = await execute(y, (name, seconds) => {
            if (name === "Wait" && seconds === 15) alarms["orders-5xx"] = "ALARM";
        });
        expect(first.status).to.equal("FAILED");
        const before = splitterWrites();
        const ended = await state();
        expect(await handleEvent(tickOf(y), deps)).to.deep.include({ done: true, phase: "rolled-back", waitSeconds: 0 });
        const claimed = claims();
        // A client that read the claims before Y started: its rollout ends failed having claimed and written nothing.
        const late = await inputFor(releaseSpec({ bakeSeconds: 5 }));
        const stale = { ...late, startAfter: { inventory: "", orders: "" } };
        const refused = await handleEvent(tickOf(stale), deps);
        expect(refused).to.deep.include({ done: true, phase: "failed" });
        expect(refused.reason).to.equal(`inventory belongs to rollout ${y.rolloutId} now, not (none) as when this rollout was asked for: run pulumi up again`);
        expect(await state()).to.deep.equal(ended);
        expect(claims()).to.deep.equal(claimed);
        expect(splitterWrites()).to.equal(before);
        // That rollout has ended: its input again, even with what the claims say now, never starts it.
        expect(await handleEvent(tickOf(late), deps)).to.deep.include({ done: true, phase: "failed" });
        expect(claims()).to.deep.equal(claimed);
        expect(splitterWrites()).to.equal(before);
        // The next attempt, from the claims read now, starts, once.
        const next = await inputFor(releaseSpec({ bakeSeconds: 5 }), 2);
        expect(next.startAfter).to.deep.equal({ inventory: y.rolloutId, orders: y.rolloutId });
        expect((await handleEvent(tickOf(next), deps)).done).to.equal(false);
        expect((await state()).rolloutId).to.equal(next.rolloutId);
        const running = await state();
        expect((await handleEvent(tickOf(next), deps)).done).to.equal(false);
        expect((await state()).startedAt).to.equal(running.startedAt);
    });

    it("an execution handed over by the definition before startAfter (its input lacks it) goes on with its rollout and never starts one", async () => {
        // A rollout started (and at its first step) before the upgrade; its old execution hands over
        // with an input that has no startAfter. A path to a missing field would fail the Tick
        // with States.Runtime, which no Catch catches, and leave the rollout to the watchdog.
        const input = await inputFor(releaseSpec({ steps: [10, 50], bakeSeconds: 0, checkIntervalSeconds: 5 }));
        expect((await handleEvent(tickOf(input), deps)).done).to.equal(false);
        const oldInput: Record<string, unknown> = { ...input };
        delete oldInput.startAfter;
        const successor = await execute({ ...oldInput, generation: 1 } as unknown as ExecutionInput);
        expect(successor).to.include({ status: "SUCCEEDED" });
        expect(await state()).to.include({ rolloutId: input.rolloutId, phase: "promoted" });
        expect(await live()).to.deep.equal({ inventory: ALL_GREEN, orders: ALL_GREEN });
        // Such an execution of an ended rollout starts nothing, and changes nothing.
        const before = splitterWrites();
        const again = await execute({ ...oldInput, generation: 2 } as unknown as ExecutionInput);
        expect(again).to.include({ status: "SUCCEEDED" });
        expect(splitterWrites()).to.equal(before);
    });

    it("16.2: a splitter write that fails never lets the state claim the step; once Consul answers, the step and then the rollback are written", async () => {
        const input = await inputFor(releaseSpec({ steps: [10, 50], bakeSeconds: 0, checkIntervalSeconds: 5 }));
        let armed = false;
        const outcome = await execute(input, (name, seconds) => {
            if (name === "Wait" && seconds === 5 && !armed) {
                armed = true;
                // Every splitter write of the tick's 4 attempts and of the Catch's 4 fails.
                consul.state.faults.push({ prefix: "PUT /v1/config", status: 500, times: 8 });
            }
        });
        expect(outcome).to.include({ status: "FAILED", error: "RolloutEngineFailed" });
        // The state says step 2 is decided but not live (its writes pending), never that it runs or promoted.
        const stuck = await state();
        expect(stuck).to.include({ phase: "baking", stepIndex: 2 });
        expect(stuck.pendingWrites!.map((w) => [w.service, w.weights.green])).to.deep.equal([["inventory", 100], ["orders", 100]]);
        expect(isSettled(stuck)).to.equal(false);
        expect(await live()).to.deep.equal({ inventory: { blue: 50, green: 50 }, orders: { blue: 50, green: 50 } });
        expect(results.map((r) => r.phase)).not.to.include("promoted");
        // The watchdog, once the execution is silent past the bound: pending writes first, then the rollback.
        clock.advance(engineSilenceLimitSeconds(5) + 1);
        expect(await handleEvent({ kind: "watchdog" }, deps)).to.deep.include({ phase: "failed" });
        const s = await state();
        expect(s).to.include({ phase: "failed", restored: true });
        expect(isSettled(s)).to.equal(true);
        expect(await live()).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
    });

    it("16.2: pulumi up's following never reports a result whose splits are not live", async () => {
        const input = await inputFor(releaseSpec({ steps: [], bakeSeconds: 0, checkIntervalSeconds: 5 }));
        // The first tick decides the only step (promoted at the next check) but every splitter write fails.
        consul.state.faults.push({ prefix: "PUT /v1/config", status: 500, times: 1000 });
        await handleEvent(tickOf(input), deps).catch(() => undefined);
        const s = await state();
        expect(hasPendingWrites(s)).to.equal(true);
        const follow = await followRollout(input.rolloutId, {
            consul: api,
            sleep: async (ms) => clock.advance(ms / 1000),
            now: () => clock.now().getTime(),
            log: () => undefined,
            stop: new AbortController().signal,
            pollMs: 60_000,
        });
        // Not promoted: the engine went silent with its writes pending, and following ended saying so.
        expect(follow.kind).to.equal("engine silent");
    });

    it("16.3: an execution that cannot reach Consul ends; the watchdog then ends its rollout and restores the split", async () => {
        const input = await inputFor(releaseSpec({ steps: [10, 50], bakeSeconds: 60, checkIntervalSeconds: 15 }));
        const outcome = await execute(input, (name, seconds) => {
            // Every read of the state fails: the tick's 4 attempts, then the Catch's 4.
            if (name === "Wait" && seconds === 15) consul.state.faults.push({ prefix: `GET /v1/kv/${rolloutStateKey(input.rolloutId)}`, status: 500, times: 8 });
        });
        expect(outcome).to.include({ status: "FAILED", error: "RolloutEngineFailed" });
        const stuck = await state();
        expect(stuck.phase).to.equal("baking");
        expect(await live()).to.deep.equal({ inventory: { blue: 90, green: 10 }, orders: { blue: 90, green: 10 } });
        // The watchdog leaves a rollout alone while a working engine could still write it ...
        expect((await handleEvent({ kind: "watchdog" }, deps)).reason).to.equal(`${input.rolloutId}: its engine is working`);
        expect(await state()).to.deep.equal(stuck);
        // ... and ends it once its execution has been silent longer than a working one ever is.
        clock.advance(engineSilenceLimitSeconds(15));
        const ended = await handleEvent({ kind: "watchdog" }, deps);
        expect(ended).to.deep.include({ done: true, phase: "failed" });
        expect(ended.reason).to.match(/no engine has worked on this rollout since .*; ended by the watchdog/);
        const s = await state();
        expect(s).to.include({ phase: "failed", restored: true });
        expect(isSettled(s)).to.equal(true);
        expect(await live()).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
        await claimsOnlyLive("after the watchdog");
    });

    it("16.4: an alarm event between a tick's state write and its splitter writes: the late write loses, the rollback stays live", async () => {
        const input = await inputFor(releaseSpec({ steps: [10, 50], bakeSeconds: 15, checkIntervalSeconds: 15 }));
        // The tick of step 2 has written its state; just before its first splitter write, the alarm
        // event's invocation runs to its end, on the same (virtual) millisecond.
        let raced = false;
        const racing: RolloutConsulApi = {
            ...api,
            putSplit: async (service, weights, cas) => {
                const s = (await read())!.value;
                if (!raced && s.stepIndex === 1 && weights.green === 50) {
                    raced = true;
                    alarms["orders-5xx"] = "ALARM";
                    expect((await handleEvent(ALARM, deps)).phase).to.equal("rolled-back");
                }
                return api.putSplit(service, weights, cas);
            },
        };
        const outcome = await execute(input, undefined, { ...deps, consul: racing });
        expect(raced).to.equal(true);
        expect(outcome.cause).to.equal("alarm orders-5xx went into ALARM");
        expect(await live()).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
        expect(await state()).to.include({ phase: "rolled-back" });
        expect(isSettled(await state())).to.equal(true);
    });

    it("16.5: every tick result survives JSON with all its fields, and every wait is a non-negative whole number", async () => {
        const input = await inputFor(releaseSpec({ steps: [33], bakeSeconds: 7, checkIntervalSeconds: 5 }));
        const outcome = await execute(input);
        expect(outcome.status).to.equal("SUCCEEDED");
        expect(results.length).to.be.greaterThan(3);
        for (const r of results) {
            expect(JSON.parse(JSON.stringify(r))).to.have.all.keys("rolloutId", "done", "phase", "waitSeconds", "reason");
            expect(Number.isInteger(r.waitSeconds) && r.waitSeconds >= 0, `wait ${r.waitSeconds}`).to.equal(true);
        }
        expect(await live()).to.deep.equal({ inventory: ALL_GREEN, orders: ALL_GREEN });
    });

    it("a command is applied once: a duplicate or a replayed old command changes nothing", async () => {
        const input = await inputFor(releaseSpec({ steps: [10, 50], bakeSeconds: 60 }));
        const write = async (id: string, kind: "pause" | "resume") => {
            const slot = await api.getJson(rolloutCommandKey(input.rolloutId));
            await api.casJson(rolloutCommandKey(input.rolloutId), { id, rolloutId: input.rolloutId, kind, issuedBy: "bo@ci", issuedAt: clock.now().toISOString() }, slot?.modifyIndex ?? 0);
        };
        const tick = () => handleEvent(tickOf(input), deps);
        await tick();
        await write("a", "pause");
        await tick();
        expect((await state()).phase).to.equal("paused");
        await write("b", "resume");
        await tick();
        expect((await state()).phase).to.equal("baking");
        // The pause written again (a replay of an old write of the slot): ignored.
        await write("a", "pause");
        await tick();
        const s = await state();
        expect(s.phase).to.equal("baking");
        expect(s.commandLog!.map((c) => c.kind)).to.deep.equal(["pause", "resume"]);
        expect(s.seenCommandIds).to.deep.equal(["a", "b"]);
    });

    it("the split the state claims is what runs, whoever wins a race on the splitter", async () => {
        // Someone writes orders' splitter between the engine's read of it and its write: the
        // engine's check-and-set loses, it reads again, and writes what the state says.
        const input = await inputFor(releaseSpec({ steps: [], bakeSeconds: 0 }));
        let interfered = false;
        const interfering: RolloutConsulApi = {
            ...api,
            putSplit: async (service, weights, cas) => {
                if (!interfered && service === "orders") {
                    interfered = true;
                    await api.putSplit("orders", { blue: 70, green: 30 } satisfies Weights);
                }
                return api.putSplit(service, weights, cas);
            },
        };
        const outcome = await execute(input, undefined, { ...deps, consul: interfering });
        expect(interfered).to.equal(true);
        expect(outcome.status).to.equal("SUCCEEDED");
        expect(await live()).to.deep.equal({ inventory: ALL_GREEN, orders: ALL_GREEN });
    });
});
