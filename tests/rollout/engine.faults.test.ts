// The rollout engine under faults, randomized (fast-check, seeded, reproducible): the REAL tick
// handler, invoked as Step Functions runs the REAL state machine definition (through the local ASL
// driver, which keeps Step Functions' JSON round-trip and Wait rules), by EventBridge alarm events
// and the watchdog's schedule, and by `flip rollback` at random times; up to three releases of
// disjoint or overlapping services, each with its own execution, started by the contract's rule for
// a client; clients writing commands (stale, duplicate and replayed ids included), random gate
// results, clock jumps, and Consul faults on any call (500s, time-outs applied or not, lost
// check-and-set, slow calls, the function dying mid-call), every Consul call an interleaving point.
// Besides issue 16's invariants, per rollout: every splitter write that lands is a pending write of
// the rollout its service belongs to (the claims document) at that moment, and a rollback writes
// each of its services at most once. Consul is an IN-MEMORY MODEL of its documented KV and
// config-entry API (tests/support/fakeConsul.ts consulModel; it is NOT Consul). The world and its
// invariants: tests/support/engineFaults.ts.
//
// This file runs half of the random worlds, after issue 16's and 17's reproductions;
// engine.faults.more.test.ts runs the other half (assertWorlds in tests/support/engineFaults.ts).
// A failure prints fast-check's seed, path and shrunk scenario: replay it with ENGINE_FAULTS_SEED=<seed>
// ENGINE_FAULTS_PATH=<path> npx mocha <the file that failed>, or paste the scenario into ISSUE_EXAMPLES.
// `npm run test:engine-soak` runs the same property longer (ENGINE_FAULTS_RUNS, ENGINE_FAULTS_SEED).
import { expect } from "chai";
import { AslDefinition, runExecution, virtualClock } from "../support/aslDriver";
import { assertWorlds, Faults, Scenario, WORLD_RUNS } from "../support/engineFaults";

const NO_FAULTS: Faults = { since: 0, until: 0, error: 0, timeout: 0, slow: 0, lostCas: 0, crash: 0, target: "any" };
const ALL_BLUE = { blue: 100, green: 0 };
const ALL_GREEN = { blue: 0, green: 100 };
const twoEach = { blue: 2, green: 2 };

/** One service (orders, gated on the alarm), healthy, from all blue; `overrides` change the rest. */
function scenario(overrides: Partial<Scenario>): Scenario {
    return {
        services: [{ name: "orders", from: ALL_BLUE, required: twoEach, skipHealth: false, analysis: false }],
        initialPassing: {},
        releases: [{ at: 0, to: { orders: ALL_GREEN }, strategy: { steps: [10, 50], bakeSeconds: 0, bakeEachStep: false, checkIntervalSeconds: 5, readyTimeoutSeconds: 0 }, failureThreshold: 2, readLag: 0, retry: false }],
        events: [],
        faults: NO_FAULTS,
        skewMs: 0,
        seed: 1,
        ...overrides,
    };
}

/** Issue 16's reproductions, run first in every run of the property. */
const ISSUE_EXAMPLES: Scenario[] = [
    // 1. Rollout Y (15 s checks) is rolled back by an alarm event; the alarm clears; release Z
    //    (to 80/20, 5 s checks, one step) promotes before Y's Wait ends.
    scenario({
        releases: [
            { at: 0, to: { orders: ALL_GREEN }, strategy: { steps: [10, 50], bakeSeconds: 60, bakeEachStep: true, checkIntervalSeconds: 15, readyTimeoutSeconds: 0 }, failureThreshold: 3, readLag: 0, retry: false },
            { at: 17, to: { orders: { blue: 80, green: 20 } }, strategy: { steps: [], bakeSeconds: 0, bakeEachStep: false, checkIntervalSeconds: 5, readyTimeoutSeconds: 0 }, failureThreshold: 3, readLag: 0, retry: false },
        ],
        events: [{ at: 16, kind: "alarm", state: "ALARM", duplicate: false, clearsAfter: 1 }],
    }),
    // 2. Steps [10, 50], no bake, 5 s checks, and the splitter writes failing for a while.
    scenario({ faults: { ...NO_FAULTS, until: 90, error: 1, target: "splitters" } }),
    // 3. About 75 s of KV errors: the Task's retries, then the Catch's.
    scenario({ releases: [{ ...scenario({}).releases[0], strategy: { steps: [10, 50], bakeSeconds: 120, bakeEachStep: true, checkIntervalSeconds: 15, readyTimeoutSeconds: 0 } }], faults: { ...NO_FAULTS, since: 5, until: 90, error: 1, target: "kv" } }),
    // Issue 19: a sticky service whose splitter writes (its virtual splitters' too) fail for a
    // while, then an abort: no colour stays pinned, no cookie is handed out after.
    scenario({
        services: [{ name: "orders", from: ALL_BLUE, required: twoEach, skipHealth: false, analysis: false, sticky: true }],
        releases: [{ ...scenario({}).releases[0], strategy: { steps: [10, 50], bakeSeconds: 30, bakeEachStep: true, checkIntervalSeconds: 5, readyTimeoutSeconds: 0 } }],
        events: [{ at: 40, kind: "command", service: "orders", command: "abort", variant: "fresh" }],
        faults: { ...NO_FAULTS, since: 5, until: 60, error: 0.3, lostCas: 0.3, target: "splitters" },
    }),
    // 4. An alarm racing a splitter write: from 16 s, the alarm goes off as a tick is about to write
    //    the next step's splits, and that write is answered after the alarm's invocation has rolled back.
    scenario({
        releases: [{ ...scenario({}).releases[0], strategy: { steps: [10, 50], bakeSeconds: 15, bakeEachStep: true, checkIntervalSeconds: 15, readyTimeoutSeconds: 0 } }],
        events: [{ at: 16, kind: "alarm", state: "ALARM", duplicate: false, clearsAfter: null, racing: true }],
    }),
    // A command replayed after a later one was applied.
    scenario({
        releases: [{ ...scenario({}).releases[0], strategy: { steps: [10, 50], bakeSeconds: 60, bakeEachStep: true, checkIntervalSeconds: 5, readyTimeoutSeconds: 0 } }],
        events: [
            { at: 6, kind: "command", service: "orders", command: "pause", variant: "fresh" },
            { at: 20, kind: "command", service: "orders", command: "resume", variant: "fresh" },
            { at: 35, kind: "command", service: "orders", command: "pause", variant: "replay" },
        ],
    }),
    // Issue 17: two releases of disjoint services side by side; inventory is rolled back while
    // orders bakes (its answer lost, so the client invokes the same request again).
    scenario({
        services: [
            { name: "inventory", from: ALL_BLUE, required: twoEach, skipHealth: false, analysis: false },
            { name: "orders", from: ALL_BLUE, required: twoEach, skipHealth: false, analysis: false },
        ],
        releases: [
            { at: 0, to: { orders: ALL_GREEN }, strategy: { steps: [10, 50], bakeSeconds: 60, bakeEachStep: true, checkIntervalSeconds: 15, readyTimeoutSeconds: 0 }, failureThreshold: 3, readLag: 0, retry: false },
            { at: 3, to: { inventory: ALL_GREEN }, strategy: { steps: [], bakeSeconds: 0, bakeEachStep: false, checkIntervalSeconds: 5, readyTimeoutSeconds: 0 }, failureThreshold: 3, readLag: 0, retry: false },
        ],
        events: [{ at: 40, kind: "rollback", to: { inventory: ALL_BLUE }, variant: "lost-answer" }],
    }),
    // Two `pulumi up` of overlapping releases at once: both read the claims before either started;
    // the later first tick must be refused. Then a rollback of both services during the rollout,
    // with Consul faults: it aborts the release as a whole and writes each service once.
    scenario({
        services: [
            { name: "inventory", from: ALL_BLUE, required: twoEach, skipHealth: false, analysis: false, sticky: true },
            { name: "orders", from: ALL_BLUE, required: twoEach, skipHealth: false, analysis: false },
        ],
        releases: [
            { at: 0, to: { inventory: ALL_GREEN, orders: ALL_GREEN }, strategy: { steps: [10, 50], bakeSeconds: 30, bakeEachStep: true, checkIntervalSeconds: 5, readyTimeoutSeconds: 0 }, failureThreshold: 3, readLag: 10, retry: false },
            { at: 1, to: { orders: { blue: 50, green: 50 } }, strategy: { steps: [], bakeSeconds: 0, bakeEachStep: false, checkIntervalSeconds: 5, readyTimeoutSeconds: 0 }, failureThreshold: 3, readLag: 0, retry: false },
        ],
        events: [{ at: 25, kind: "rollback", to: { inventory: ALL_BLUE, orders: ALL_BLUE }, variant: "fresh" }],
        faults: { ...NO_FAULTS, since: 20, until: 60, error: 0.2, timeout: 0.1, lostCas: 0.2, target: "any" },
    }),
    // A rollback request invoked again after its rollback ended and a release took its service:
    // the request is done and must not act again (abort the release, or write again).
    scenario({
        services: [{ name: "inventory", from: ALL_GREEN, required: twoEach, skipHealth: false, analysis: false }],
        releases: [{ at: 20, to: { inventory: ALL_GREEN }, strategy: { steps: [10, 50], bakeSeconds: 60, bakeEachStep: true, checkIntervalSeconds: 15, readyTimeoutSeconds: 0 }, failureThreshold: 3, readLag: 0, retry: false }],
        events: [
            { at: 5, kind: "rollback", to: { inventory: ALL_BLUE }, variant: "fresh" },
            { at: 40, kind: "rollback", to: { inventory: ALL_BLUE }, variant: "replay" },
        ],
    }),
];

describe("rollout engine under faults (randomized: REAL handler and state machine definition; in-memory model of Consul's documented API)", () => {
    describe("the ASL driver keeps Step Functions' rules", () => {
        const definition = (): AslDefinition => ({
            StartAt: "Tick",
            States: {
                Tick: {
                    Type: "Task",
                    Resource: "arn:aws:states:::lambda:invoke",
                    Parameters: { FunctionName: "f", Payload: {} },
                    ResultSelector: { "seconds.$": "$.Payload.seconds", "reason.$": "$.Payload.reason" },
                    ResultPath: "$.tick",
                    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Caught" }],
                    Next: "Wait",
                },
                Wait: { Type: "Wait", SecondsPath: "$.tick.seconds", Next: "Done" },
                Done: { Type: "Succeed" },
                Caught: { Type: "Fail", Error: "Caught" },
            },
        });
        const run = (result: unknown) => runExecution(definition(), "x", {}, { clock: virtualClock(new Date(0)), invoke: async () => result });

        it("a result field that is undefined disappears in JSON; the ResultSelector's States.Runtime is not caught", async () => {
            const outcome = await run({ seconds: 5, reason: undefined });
            expect(outcome).to.include({ status: "FAILED", error: "States.Runtime" });
            expect(outcome.trace).to.not.include("Caught");
        });

        it("a Wait of 1.5 or -5 seconds fails the execution; 5 waits", async () => {
            expect(await run({ seconds: 1.5, reason: "" })).to.include({ status: "FAILED", error: "States.Runtime" });
            expect(await run({ seconds: -5, reason: "" })).to.include({ status: "FAILED", error: "States.Runtime" });
            expect(await run({ seconds: 5, reason: "" })).to.include({ status: "SUCCEEDED" });
        });
    });

    it(`keeps every invariant in ${Math.ceil(WORLD_RUNS / 2)} random worlds, half of ${WORLD_RUNS} (after issue 16's and 17's reproductions)`, async function () {
        this.timeout(WORLD_RUNS * 50 + 20_000);
        await assertWorlds(0, ISSUE_EXAMPLES);
    });
});
