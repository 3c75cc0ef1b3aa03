// The engine end to end on this machine: the REAL state machine definition, run by a small local
// interpreter of its ASL subset (tests/support/aslDriver.ts; it is NOT Step Functions), invoking the
// REAL tick handler, which talks over HTTP to a loopback server answering in Consul's documented KV,
// config-entry and health API formats (tests/support/fakeConsul.ts; it is NOT Consul), with a
// virtual clock. Control commands are written the way the contract tells a client to (CAS on the
// command key), from a second API client standing for a second machine.
import { expect } from "chai";
import { randomUUID } from "crypto";
import { alarmStates } from "../../src/rollout/alarms";
import { rolloutConsulApi, RolloutConsulApi } from "../../src/rollout/consulApi";
import {
    CommandKind,
    commandSlotFree,
    ControlCommand,
    HistoryRecord,
    ReleaseSpec,
    rolloutCommandKey,
    ROLLOUT_HISTORY_PREFIX,
    RolloutState,
    rolloutIdFor,
    rolloutStateKey,
    Weights,
} from "../../src/rollout/contract";
import { readClaims } from "../../src/rollout/consulApi";
import { EngineDeps, EngineEvent, handleEvent } from "../../src/rollout/handler";
import { specHash } from "../../src/rollout/steps";
import { AslDefinition, ExecutionOutcome, runExecution, virtualClock, VirtualClock } from "../support/aslDriver";
import { FakeConsul, FakeInstance, startFakeConsul } from "../support/fakeConsul";
import { ExecutionInput, rolloutStateMachine } from "../../src/rollout/render/stateMachine";
import { ALL_BLUE, ALL_GREEN, releaseSpec, T0 } from "./fixtures";

const FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:prod-rollout";
const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout";

const colour = (service: string, version: string, n: number, status: FakeInstance["status"] = "passing"): FakeInstance[] => Array.from({ length: n }, () => ({ service, version, status }));

describe("rollout engine end to end (local ASL driver, loopback Consul API, virtual clock)", () => {
    let consul: FakeConsul;
    let api: RolloutConsulApi;
    let clock: VirtualClock;
    let alarms: Record<string, string>;
    let deps: EngineDeps;

    beforeEach(async () => {
        consul = await startFakeConsul({
            instances: [...colour("inventory", "blue", 2), ...colour("inventory", "green", 2), ...colour("orders", "blue", 2), ...colour("orders", "green", 2)],
        });
        api = rolloutConsulApi({ address: consul.address, scheme: "http", token: "management-token" });
        clock = virtualClock(T0);
        alarms = { "orders-5xx": "OK" };
        deps = {
            consul: api,
            // The real paging and MISSING logic, over an answer in DescribeAlarms' shape.
            alarms: alarmStates(async (names) => ({ MetricAlarms: names.filter((n) => n in alarms).map((n) => ({ AlarmName: n, StateValue: alarms[n] as "OK" })) })),
            now: () => clock.now(),
        };
        // Pulumi created the splitters with the stack file's weights before any rollout.
        await api.putSplit("inventory", ALL_BLUE);
        await api.putSplit("orders", ALL_BLUE);
    });
    afterEach(() => consul.close());

    const live = async () => ({ inventory: await api.getSplit("inventory"), orders: await api.getSplit("orders") });
    /** The first release's rollout (input()'s) unless another id is asked for. */
    const state = async (rolloutId = input().rolloutId) => (await api.getJson<RolloutState>(rolloutStateKey(rolloutId)))!.value;
    /** The Release's input: startAfter is what the claims say each service belongs to (none, in a fresh stack). */
    const input = (spec: ReleaseSpec = releaseSpec(), startAfter: Record<string, string> = Object.fromEntries(spec.services.map((s) => [s.service, ""]))): ExecutionInput => {
        const hash = specHash(spec);
        return { rolloutId: rolloutIdFor("prod", hash, 1), specHash: hash, spec, requestedBy: "ana@laptop", startAfter, generation: 0, count: { n: 0 } };
    };
    const stateKey = () => rolloutStateKey(input().rolloutId);
    const definition = (maxTicks?: number) => rolloutStateMachine(FUNCTION, MACHINE, maxTicks) as unknown as AslDefinition;
    const execute = (onState?: (name: string, seconds: number) => void | Promise<void>, exec = input(), maxTicks?: number): Promise<ExecutionOutcome> =>
        runExecution(definition(maxTicks), exec.rolloutId, exec, {
            clock,
            invoke: (fn, payload) => {
                expect(fn).to.equal(FUNCTION);
                return handleEvent(payload as EngineEvent, deps);
            },
            onState: (name) => onState?.(name, (clock.now().getTime() - T0.getTime()) / 1000),
        });

    /** A second machine writes a command by the contract's CAS rule. */
    async function sendCommand(kind: CommandKind): Promise<ControlCommand> {
        const other = rolloutConsulApi({ address: consul.address, scheme: "http", token: "management-token" });
        const current = (await other.getJson<RolloutState>(stateKey()))!.value;
        const existing = await other.getJson<ControlCommand>(rolloutCommandKey(current.rolloutId));
        expect(commandSlotFree(existing?.value, current), "command slot free").to.equal(true);
        const cmd: ControlCommand = { id: randomUUID(), rolloutId: current.rolloutId, kind, issuedBy: "bo@second-machine", issuedAt: clock.now().toISOString() };
        expect(await other.casJson(rolloutCommandKey(current.rolloutId), cmd, existing?.modifyIndex ?? 0)).to.equal(true);
        return cmd;
    }

    it("promotes two services step by step, callees first, and records the history", async () => {
        const splits: string[] = [];
        const outcome = await execute(async (name, seconds) => {
            if (name === "Wait") {
                const l = await live();
                splits.push(`${seconds}s inventory=${l.inventory!.green} orders=${l.orders!.green}`);
            }
        });
        expect(outcome.status).to.equal("SUCCEEDED");
        expect(outcome.trace[outcome.trace.length - 1]).to.equal("Promoted");
        expect(await live()).to.deep.equal({ inventory: ALL_GREEN, orders: ALL_GREEN });
        expect(splits[0]).to.equal("0s inventory=10 orders=10");
        expect(splits).to.include("60s inventory=50 orders=50");
        const s = await state();
        expect(s.phase).to.equal("promoted");
        const splitterWrites = consul.state.requests.filter((r) => r.startsWith("PUT /v1/config"));
        // Two made by the test's setup, then three steps of two services each.
        expect(splitterWrites).to.have.length(2 + 6);
        const history = await api.listJson<HistoryRecord>(ROLLOUT_HISTORY_PREFIX);
        expect(Object.values(history).map((h) => [h.result, h.requestedBy])).to.deep.equal([["promoted", "ana@laptop"]]);
    });

    it("a failing health gate rolls both services back within one check interval of its threshold, with nobody watching", async () => {
        let brokeAt: number | undefined;
        const outcome = await execute((name, seconds) => {
            if (name === "Wait" && seconds >= 20 && brokeAt === undefined) {
                brokeAt = seconds;
                consul.state.instances = consul.state.instances.map((i) => (i.service === "orders" && i.version === "green" ? { ...i, status: "critical" } : i));
            }
        });
        expect(outcome).to.include({ status: "FAILED", error: "RolloutNotPromoted" });
        expect(outcome.cause).to.match(/gate health:orders failed 3 checks in a row: health gate failed: orders\/green has 0 passing instances of 2 required/);
        expect(await live()).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
        const s = await state();
        expect(s.phase).to.equal("rolled-back");
        // Broken after the tick at 30 s: failed checks at 45, 60 and 75 s; the third rolls back at once, in that tick.
        expect(brokeAt).to.equal(30);
        expect(Date.parse(s.endedAt!) - T0.getTime()).to.equal((brokeAt! + 3 * 15) * 1000);
    });

    it("a transient Consul error while observing is a failed check, not a rollback; a failed state write is retried by the state machine", async () => {
        consul.state.faults.push({ prefix: `PUT /v1/kv/${stateKey()}`, status: 500, times: 2 });
        const outcome = await execute((name, seconds) => {
            if (name === "Wait" && seconds === 15) consul.state.faults.push({ prefix: "GET /v1/health/service/orders", status: 500, times: 1 });
        });
        expect(outcome.status).to.equal("SUCCEEDED");
        expect((await state()).events.some((e) => e.message.includes("could not ask Consul"))).to.equal(true);
    });

    it("pause and resume from a second machine: the rollout holds while paused, then goes on", async () => {
        let pausedFor = 0;
        const outcome = await execute(async (name, seconds) => {
            if (name !== "Wait") return;
            const s = await state();
            if (seconds === 15 && s.phase === "baking") await sendCommand("pause");
            if (s.phase === "paused") {
                pausedFor++;
                expect(s.stepIndex).to.equal(0);
                if (pausedFor === 10) await sendCommand("resume");
            }
        });
        expect(outcome.status).to.equal("SUCCEEDED");
        expect(pausedFor).to.equal(10);
        expect((await state()).commandLog!.map((c) => `${c.kind} ${c.issuedBy}`)).to.deep.equal(["pause bo@second-machine", "resume bo@second-machine"]);
    });

    it("abort from a second machine restores the starting split, callers first", async () => {
        const outcome = await execute(async (name, seconds) => {
            if (name === "Wait" && seconds === 60) await sendCommand("abort");
        });
        expect(outcome).to.include({ status: "FAILED", error: "RolloutNotPromoted" });
        expect(outcome.cause).to.equal("aborted by bo@second-machine");
        expect(await live()).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
        const puts = consul.state.requests.filter((r) => r.startsWith("PUT /v1/config"));
        expect(puts).to.have.length(2 + 4 + 2);
    });

    it("an alarm that goes into ALARM (the EventBridge rule invoking the function) rolls back at once, between two ticks", async () => {
        let rolledBackAt: number | undefined;
        const outcome = await execute(async (name, seconds) => {
            if (name === "Wait" && seconds === 30) {
                alarms["orders-5xx"] = "ALARM";
                const result = await handleEvent({ source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", detail: { alarmName: "orders-5xx", state: { value: "ALARM" } } }, deps);
                expect(result.phase).to.equal("rolled-back");
                rolledBackAt = seconds;
                expect(await live()).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
            }
        });
        expect(rolledBackAt).to.equal(30);
        expect(outcome.cause).to.equal("alarm orders-5xx went into ALARM");
    });

    it("a tick that fails past its retries goes through the Catch: the starting split is restored and the state says failed, restored", async () => {
        // Step 1 written; then Consul refuses the state read 4 times (1 try + 3 retries), after which the Catch's rollback works.
        const outcome = await execute((name, seconds) => {
            if (name === "Wait" && seconds === 15) consul.state.faults.push({ prefix: `GET /v1/kv/${stateKey()}`, status: 500, times: 4 });
        });
        expect(outcome).to.include({ status: "FAILED", error: "RolloutEngineFailed" });
        expect(outcome.trace.slice(-2)).to.deep.equal(["RollBackOnError", "EngineFailed"]);
        expect(await live()).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
        expect(await state()).to.include({ phase: "failed", restored: true });
    });

    it("a rollout held longer than one execution's share of history hands over to a successor, which goes on from the state in Consul", async () => {
        const started: { name: string; input: ExecutionInput }[] = [];
        let paused = false;
        const first = await runExecution(definition(5), input().rolloutId, input(), {
            clock,
            invoke: (_fn, payload) => handleEvent(payload as EngineEvent, deps),
            startExecution: (_arn, name, next) => started.push({ name, input: next as ExecutionInput }),
            onState: async (name) => {
                if (name === "Wait" && !paused) {
                    paused = true;
                    await sendCommand("pause");
                }
            },
        });
        expect(first.status).to.equal("SUCCEEDED");
        expect(first.trace[first.trace.length - 1]).to.equal("HandedOver");
        expect(started.map((s) => [s.name, s.input.generation, s.input.count.n])).to.deep.equal([[`${input().rolloutId}-g1`, 1, 0]]);
        expect((await state()).phase).to.equal("paused");
        await sendCommand("resume");
        const second = await runExecution(definition(), started[0].name, started[0].input, { clock, invoke: (_fn, payload) => handleEvent(payload as EngineEvent, deps) });
        expect(second.status).to.equal("SUCCEEDED");
        expect((await state()).phase).to.equal("promoted");
    });

    it("a second rollout of the same services while one runs fails without touching the running one's state or splits", async () => {
        await execute((name) => {
            if (name === "Wait") throw new Error("stop after the first tick");
        }).catch(() => undefined);
        const running = await state();
        const before = JSON.stringify(running);
        // Started as the Release would: after the rollout each service belongs to now.
        const claims = await readClaims(api);
        const spec = releaseSpec({ bakeSeconds: 5 });
        const other = input(spec, Object.fromEntries(spec.services.map((s) => [s.service, claims.value.services[s.service]?.rolloutId ?? ""])));
        const outcome = await execute(undefined, other);
        expect(outcome.status).to.equal("FAILED");
        expect(outcome.cause).to.equal(`inventory belongs to rollout ${running.rolloutId}, which is baking`);
        expect(JSON.stringify(await state())).to.equal(before);
        expect(await state(other.rolloutId)).to.include({ phase: "failed", reason: outcome.cause });
        expect((await readClaims(api)).value.services.orders.rolloutId).to.equal(running.rolloutId);
        expect((await live()).orders).to.deep.equal({ blue: 90, green: 10 } satisfies Weights);
    });

    it("a tick and an alarm event that race: the loser's check-and-set fails and it decides again from the winner's state", async () => {
        const exec = input();
        // The tick of step 2: just before it writes the state, the alarm event's invocation runs.
        let raced = false;
        const racing: RolloutConsulApi = {
            ...api,
            casJson: async (key, value, index) => {
                if (!raced && key === stateKey() && (value as RolloutState).stepIndex === 1) {
                    raced = true;
                    await handleEvent({ source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", detail: { alarmName: "orders-5xx", state: { value: "ALARM" } } }, deps);
                }
                return api.casJson(key, value, index);
            },
        };
        const outcome = await runExecution(definition(), exec.rolloutId, exec, { clock, invoke: (_fn, payload) => handleEvent(payload as EngineEvent, { ...deps, consul: racing }) });
        expect(raced).to.equal(true);
        expect(outcome.cause).to.equal("alarm orders-5xx went into ALARM");
        expect(await live()).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
        // Step 2's weights were never written.
        expect(consul.state.requests.filter((r) => r.startsWith("PUT /v1/config"))).to.have.length(2 + 2 + 2);
    });
});
