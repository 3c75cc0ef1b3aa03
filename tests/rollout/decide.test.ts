// The engine's pure decision function over every transition: start, each step, each gate failure
// (health, alarm by poll, alarm by event, transient error, engine error), each control command at
// each step, and what an ended rollout does. No I/O: observations are plain values and the clock is
// the `now` argument.
import { expect } from "chai";
import { CommandKind, healthOf, RolloutState } from "../../src/rollout/contract";
import { decide, expectedSplit } from "../../src/rollout/decide";
import { ALL_BLUE, ALL_GREEN, at, command, healthy, newRollout, releaseSpec, Ticker } from "./fixtures";

const greenShort = (o: ReturnType<typeof healthy>) => ({ ...o, passing: { ...o.passing, orders: { blue: 2, green: 1 } } });
const consulDown = (o: ReturnType<typeof healthy>) => ({ ...o, passing: { ...o.passing, orders: { error: "connect ECONNREFUSED" } } });
const alarming = (o: ReturnType<typeof healthy>) => ({ ...o, alarms: { "orders-5xx": "ALARM" as const } });

describe("rollout decisions (pure)", () => {
    it("the first tick records the live split, plans the steps and writes step 1 once every gate passes", () => {
        const t = new Ticker(newRollout());
        const d = t.tick();
        expect(d.state.from).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
        expect(d.state.steps.map((s) => [s.percent, s.weights.orders.green, s.bakeSeconds])).to.deep.equal([
            [10, 10, 60],
            [50, 50, 60],
            [100, 100, 60],
        ]);
        expect(d.state.phase).to.equal("baking");
        expect(d.state.stepIndex).to.equal(0);
        // Promoting: callees first.
        expect(d.writes.map((w) => w.service)).to.deep.equal(["inventory", "orders"]);
        expect(d.writes[1].weights).to.deep.equal({ blue: 90, green: 10 });
        expect(d.waitSeconds).to.equal(15);
        expect(d.done).to.equal(false);
        expect(healthOf(d.state)).to.equal("Progressing");
    });

    it("a healthy rollout bakes each step, checking every interval, and ends promoted with a history record", () => {
        const t = new Ticker(newRollout());
        const seen: string[] = [];
        for (let i = 0; i < 50 && !t.decision?.done; i++) {
            const d = t.tick();
            seen.push(`${t.seconds}s ${d.state.phase} ${d.state.stepIndex} orders=${t.live.orders.green}`);
            expect(d.waitSeconds).to.be.within(0, 15);
        }
        expect(t.state.phase).to.equal("promoted");
        expect(t.live).to.deep.equal({ inventory: ALL_GREEN, orders: ALL_GREEN });
        // Step 1 at 0 s, bake 60 s (checks at 15, 30, 45, 60), step 2 at 60 s, step 3 at 120 s, promoted at 180 s.
        expect(seen[0]).to.equal("0s baking 0 orders=10");
        expect(seen).to.include("60s baking 1 orders=50");
        expect(seen).to.include("120s baking 2 orders=100");
        expect(seen[seen.length - 1]).to.equal("180s promoted 2 orders=100");
        expect(t.decision.history).to.include({ result: "promoted", requestedBy: "ana@laptop", rolloutId: "prod-abc-1" });
        expect(t.decision.history!.to).to.deep.equal({ inventory: ALL_GREEN, orders: ALL_GREEN });
        expect(healthOf(t.state)).to.equal("Healthy");
    });

    it("one bake after the last step only, when bakeEachStep is false", () => {
        const t = new Ticker(newRollout(releaseSpec({ bakeEachStep: false })));
        t.runToEnd();
        expect(t.state.steps.map((s) => s.bakeSeconds)).to.deep.equal([0, 0, 60]);
        expect(t.state.phase).to.equal("promoted");
        expect(t.seconds).to.equal(15 + 15 + 60);
    });

    it("a release already at its desired split ends promoted on its first tick, writing nothing", () => {
        const t = new Ticker(newRollout(), { inventory: ALL_GREEN, orders: ALL_GREEN });
        const d = t.tick();
        expect(d.state.phase).to.equal("promoted");
        expect(d.writes).to.deep.equal([]);
        expect(d.done).to.equal(true);
    });

    it("fails at once, writing nothing, when a service has no splitter in Consul", () => {
        const d = decide(newRollout(), { kind: "tick" }, { ...healthy({ inventory: ALL_BLUE }), live: { inventory: ALL_BLUE, orders: undefined } }, undefined, at(0));
        expect(d.state.phase).to.equal("failed");
        expect(d.state.reason).to.contain("no service-splitter in Consul for orders");
        expect(d.writes).to.deep.equal([]);
        expect(d.done).to.equal(true);
    });

    describe("gates", () => {
        it("before the first step, a colour that is not healthy yet holds the rollout during the ready timeout without counting", () => {
            const t = new Ticker(newRollout(releaseSpec({ readyTimeoutSeconds: 60 })));
            for (let i = 0; i < 4; i++) {
                const d = t.tick({ observe: greenShort });
                expect(d.state.phase).to.equal("progressing");
                expect(d.writes).to.deep.equal([]);
                expect(d.state.gates.find((g) => g.gate === "health:orders")!.consecutiveFailures).to.equal(0);
            }
            expect(t.state.events[t.state.events.length - 1].message).to.contain("holding before step 1: health gate failed: orders/green has 1 passing instance of 2 required (weight 10%)");
            // Healthy at last: step 1 is written.
            expect(t.tick().state.stepIndex).to.equal(0);
        });

        it("after the ready timeout, failing health checks before the first step count and roll back at the threshold", () => {
            const t = new Ticker(newRollout(releaseSpec({ readyTimeoutSeconds: 30 })));
            const phases = [];
            for (let i = 0; i < 6 && !t.decision?.done; i++) {
                phases.push(t.tick({ observe: greenShort }).state.phase);
            }
            // 0, 15: held; 30, 45, 60: counted; rolled back at the third.
            expect(phases).to.deep.equal(["progressing", "progressing", "progressing", "progressing", "rolled-back"]);
            expect(t.state.reason).to.contain("gate health:orders failed 3 checks in a row");
        });

        for (const [label, spoil] of [
            ["too few passing instances", greenShort],
            ["a transient Consul error", consulDown],
            ["an alarm in ALARM", alarming],
        ] as const) {
            it(`during a bake, ${label}: ${2} failed checks then a pass reset the count; ${3} in a row roll back to the start, callers first`, () => {
                const t = new Ticker(newRollout());
                t.tick(); // step 1 written
                t.tick({ observe: spoil });
                t.tick({ observe: spoil });
                expect(t.state.phase).to.equal("baking");
                expect(Math.max(...t.state.gates.map((g) => g.consecutiveFailures))).to.equal(2);
                t.tick();
                expect(t.state.gates.every((g) => g.consecutiveFailures === 0)).to.equal(true);
                t.tick({ observe: spoil });
                t.tick({ observe: spoil });
                const d = t.tick({ observe: spoil });
                expect(d.state.phase).to.equal("rolled-back");
                expect(d.writes.map((w) => `${w.service} ${w.weights.green}`)).to.deep.equal(["orders 0", "inventory 0"]);
                expect(t.live).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
                expect(d.done).to.equal(true);
                expect(d.history).to.include({ result: "rolled-back" });
                expect(d.history!.gates!.some((g) => g.consecutiveFailures === 3 && g.last?.ok === false)).to.equal(true);
                expect(healthOf(d.state)).to.equal("Degraded");
            });
        }

        it("the failure threshold is configurable: 1 rolls back on the first failed check", () => {
            const t = new Ticker(newRollout(releaseSpec({}, 1)));
            t.tick();
            expect(t.tick({ observe: consulDown }).state.phase).to.equal("rolled-back");
        });

        it("an alarm that does not exist is a failed check", () => {
            const t = new Ticker(newRollout(releaseSpec({}, 1)));
            t.tick();
            const d = t.tick({ observe: (o) => ({ ...o, alarms: { "orders-5xx": "MISSING" } }) });
            expect(d.state.reason).to.contain("alarm orders-5xx does not exist");
        });

        it("an alarm that goes into ALARM (EventBridge) rolls back at once, whatever the threshold", () => {
            const t = new Ticker(newRollout(releaseSpec({}, 10)));
            t.tick();
            const d = t.tick({ trigger: { kind: "alarm", alarm: "orders-5xx", state: "ALARM" }, advance: false });
            expect(d.state.phase).to.equal("rolled-back");
            expect(d.state.reason).to.equal("alarm orders-5xx went into ALARM");
            expect(t.live).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
        });

        it("an alarm event from before the rollout started (delivered late) changes nothing; one from during it rolls back", () => {
            const t = new Ticker(newRollout(releaseSpec({}, 10)));
            t.tick();
            const started = Date.parse(t.state.startedAt);
            const before = new Date(started - 60_000).toISOString();
            const late = t.tick({ trigger: { kind: "alarm", alarm: "orders-5xx", state: "ALARM", changedAt: before }, advance: false });
            expect(late.state.phase).to.equal("baking");
            expect(late.writes).to.deep.equal([]);
            expect(late.state.events.at(-1)!.message).to.contain("before this rollout started");
            const during = t.tick({ trigger: { kind: "alarm", alarm: "orders-5xx", state: "ALARM", changedAt: new Date(started + 1_000).toISOString() }, advance: false });
            expect(during.state.phase).to.equal("rolled-back");
        });

        it("an alarm event for an alarm that is not a gate, or back to OK, changes nothing and does not advance", () => {
            const t = new Ticker(newRollout());
            t.tick();
            for (const trigger of [
                { kind: "alarm", alarm: "someone-elses", state: "ALARM" },
                { kind: "alarm", alarm: "orders-5xx", state: "OK" },
            ] as const) {
                const d = t.tick({ trigger, advance: false });
                expect(d.state.phase).to.equal("baking");
                expect(d.state.stepIndex).to.equal(0);
                expect(d.writes).to.deep.equal([]);
            }
        });

        it("an engine error (the state machine's Catch) ends the rollout failed and restores the start", () => {
            const t = new Ticker(newRollout());
            t.tick();
            t.tick();
            const d = t.tick({ trigger: { kind: "engine-error", error: "Lambda.Unknown: timed out" } });
            expect(d.state).to.include({ phase: "failed", restored: false });
            expect(d.state.reason).to.contain("Lambda.Unknown: timed out");
            expect(t.live).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
        });
    });

    describe("analysis gates (where issue 12's comparison of green with blue plugs in)", () => {
        const analysed = () => {
            const spec = releaseSpec();
            return newRollout({ ...spec, services: spec.services.map((svc) => (svc.service === "orders" ? { ...svc, gate: { ...svc.gate, analysis: { maxErrorShareDelta: 1 } } } : svc)) });
        };
        const verdict = (v: "pass" | "fail" | "inconclusive") => (o: ReturnType<typeof healthy>) => ({
            ...o,
            analyses: { orders: { verdict: v, message: `orders green vs blue: ${v}`, figures: { greenErrorShare: 2.5, blueErrorShare: 0.4 } } },
        });

        it("an inconclusive verdict holds the step without counting; a pass lets it go on", () => {
            const t = new Ticker(analysed());
            t.tick({ observe: verdict("pass") });
            expect(t.state.stepIndex).to.equal(0);
            for (let i = 0; i < 10; i++) {
                t.tick({ observe: verdict("inconclusive") });
            }
            expect(t.state).to.include({ phase: "baking", stepIndex: 0 });
            const gate = t.state.gates.find((g) => g.gate === "analysis:orders")!;
            expect(gate.consecutiveFailures).to.equal(0);
            expect(gate.last).to.deep.include({ ok: false, inconclusive: true, figures: { greenErrorShare: 2.5, blueErrorShare: 0.4 } });
            expect(t.runToEnd(100, { observe: verdict("pass") }).state.phase).to.equal("promoted");
        });

        it("failing verdicts count like any gate and roll back at the threshold; a missing verdict is a failed check", () => {
            const t = new Ticker(analysed());
            t.tick({ observe: verdict("pass") });
            t.tick({ observe: verdict("fail") });
            t.tick({ observe: (o) => o });
            const d = t.tick({ observe: verdict("fail") });
            expect(d.state.phase).to.equal("rolled-back");
            expect(d.state.reason).to.equal("gate analysis:orders failed 3 checks in a row: orders green vs blue: fail");
        });
    });

    describe("control commands at each step", () => {
        // Where a command can arrive: before step 1 (held by a gate), and baking at each step.
        const positions: { label: string; reach: (t: Ticker) => void; stepIndex: number }[] = [
            { label: "before step 1", reach: (t) => t.tick({ observe: greenShort }), stepIndex: -1 },
            { label: "baking step 1", reach: (t) => t.tick(), stepIndex: 0 },
            { label: "baking step 2", reach: (t) => t.tickUntil("baking", 1), stepIndex: 1 },
            { label: "baking step 3 (the last)", reach: (t) => t.tickUntil("baking", 2), stepIndex: 2 },
        ];
        const at2 = (t: Ticker) => expectedSplit(t.state).orders.green;

        for (const position of positions) {
            describe(position.label, () => {
                let t: Ticker;
                beforeEach(() => {
                    t = new Ticker(newRollout());
                    position.reach(t);
                    expect(t.state.stepIndex).to.equal(position.stepIndex);
                });

                it("pause holds the step however long it waits; gates still roll back while paused", () => {
                    const d = t.tick({ command: command("pause") });
                    expect(d.state).to.include({ phase: "paused", pausedBy: "bo@ci", lastCommandId: "cmd-pause" });
                    expect(healthOf(d.state)).to.equal("Paused");
                    const weight = at2(t);
                    for (let i = 0; i < 20; i++) {
                        expect(t.tick({ command: command("pause") }).state.stepIndex).to.equal(position.stepIndex);
                    }
                    expect(at2(t)).to.equal(weight);
                    t.tick({ observe: consulDown });
                    t.tick({ observe: consulDown });
                    expect(t.tick({ observe: consulDown }).state.phase).to.equal("rolled-back");
                });

                it("resume continues a paused rollout, restarting the bake, to the end", () => {
                    t.tick({ command: command("pause") });
                    t.tick();
                    const d = t.tick({ command: command("resume") });
                    expect(d.state.phase).to.equal("baking");
                    expect(t.runToEnd().state.phase).to.equal("promoted");
                    expect(t.state.commandLog!.map((c) => c.kind)).to.deep.equal(["pause", "resume"]);
                });

                it("promote writes the next step at once (or promotes at the last)", () => {
                    if (position.stepIndex < 0) {
                        // Held by a gate: promote does not bypass it, and says so.
                        const d = t.tick({ command: command("promote"), observe: greenShort });
                        expect(d.state).to.include({ phase: "progressing", stepIndex: -1, lastCommandId: "cmd-promote" });
                        expect(d.state.events.some((e) => e.message.includes("promote from bo@ci: already moving"))).to.equal(true);
                        return;
                    }
                    const d = t.tick({ command: command("promote"), advance: false });
                    if (position.stepIndex === 2) {
                        expect(d.state.phase).to.equal("promoted");
                    } else {
                        expect(d.state).to.include({ phase: "baking", stepIndex: position.stepIndex + 1 });
                    }
                });

                it("promote never writes a step whose colour fails the health gate", () => {
                    if (position.stepIndex === 2) {
                        return; // nothing left to write
                    }
                    const d = t.tick({ command: command("promote"), observe: greenShort, advance: false });
                    expect(d.state.stepIndex).to.equal(position.stepIndex);
                    expect(d.writes).to.deep.equal([]);
                });

                it("promote --full writes the desired split at once, then ends promoted at the next check", () => {
                    const d = t.tick({ command: command("promote-full"), advance: false });
                    expect(t.live).to.deep.equal({ inventory: ALL_GREEN, orders: ALL_GREEN });
                    if (position.stepIndex === 2) {
                        expect(d.state.phase).to.equal("promoted");
                        return;
                    }
                    expect(d.state.phase).to.equal("baking");
                    expect(d.waitSeconds).to.equal(15);
                    expect(t.tick().state.phase).to.equal("promoted");
                });

                it("abort restores the starting split now, callers first, and ends aborted", () => {
                    const d = t.tick({ command: { ...command("abort"), reason: "wrong image" }, advance: false });
                    expect(d.state.phase).to.equal("aborted");
                    expect(d.state.reason).to.equal("aborted by bo@ci (wrong image)");
                    expect(t.live).to.deep.equal({ inventory: ALL_BLUE, orders: ALL_BLUE });
                    if (position.stepIndex >= 0) {
                        expect(d.writes.map((w) => w.service)).to.deep.equal(["orders", "inventory"]);
                    }
                    expect(d.history!.commands).to.deep.equal([{ kind: "abort", issuedBy: "bo@ci", at: d.state.updatedAt }]);
                    expect(healthOf(d.state)).to.equal("Degraded");
                });

                it("a command for another rollout, or one already applied, is ignored", () => {
                    const stale = t.tick({ command: command("abort", "old", "prod-other-1"), advance: false });
                    expect(stale.state.phase).not.to.equal("aborted");
                    expect(stale.state.lastCommandId).to.equal(undefined);
                    t.tick({ command: command("pause", "p1"), advance: false });
                    t.tick({ command: command("resume", "r1"), advance: false });
                    const again = t.tick({ command: command("resume", "r1"), advance: false });
                    expect(again.state.commandLog!.map((c) => c.kind)).to.deep.equal(["pause", "resume"]);
                });
            });
        }

        it("resume of a rollout that is not paused is refused, and marked as handled", () => {
            const t = new Ticker(newRollout());
            t.tick();
            const d = t.tick({ command: command("resume") });
            expect(d.state.lastCommandId).to.equal("cmd-resume");
            expect(d.state.commandLog).to.deep.equal([]);
            expect(d.state.events[d.state.events.length - 1].message).to.contain("not paused (baking)");
        });
    });

    describe("consistency of the live split", () => {
        it("a split changed behind the engine's back during a rollout is written back, and said", () => {
            const t = new Ticker(newRollout());
            t.tick();
            t.live.orders = { blue: 50, green: 50 };
            const d = t.tick();
            expect(d.writes).to.deep.equal([{ service: "orders", weights: { blue: 90, green: 10 } }]);
            expect(d.state.events.some((e) => e.message.includes("orders: live split is blue 50% / green 50%, not blue 90% / green 10%"))).to.equal(true);
        });

        it("an ended rollout changes no more, whatever the observations and commands, but repeats a lost rollback write", () => {
            const t = new Ticker(newRollout());
            t.tick();
            t.tick({ command: command("abort") });
            const ended: RolloutState = t.state;
            t.live.orders = { blue: 90, green: 10 }; // the rollback's write to orders was lost
            for (const kind of ["pause", "resume", "promote", "promote-full", "abort"] as CommandKind[]) {
                const d = decide(ended, { kind: "tick" }, alarming(healthy(t.live)), command(kind, `late-${kind}`), at(999));
                expect(d.state.phase).to.equal("aborted");
                expect(d.state.lastCommandId).to.equal("cmd-abort");
                expect(d.writes).to.deep.equal([{ service: "orders", weights: ALL_BLUE }]);
                expect(d.history).to.equal(undefined);
                expect(d.done).to.equal(true);
            }
        });

        it("keeps at most 50 events", () => {
            const t = new Ticker(newRollout(releaseSpec({ readyTimeoutSeconds: 100_000 })));
            for (let i = 0; i < 80; i++) {
                t.tick({ observe: greenShort });
            }
            expect(t.state.events).to.have.length(50);
        });
    });
    describe("issue 16: commands once, and the watchdog", () => {
        it("applies a command once: its id again (a duplicate, or an old write of the slot replayed) is ignored, and at most 20 ids are kept", () => {
            const t = new Ticker(newRollout());
            t.tick();
            t.tick({ command: command("pause", "a") });
            t.tick({ command: command("resume", "b") });
            expect(t.state.phase).to.equal("baking");
            const replayed = t.tick({ command: command("pause", "a") });
            expect(replayed.state.phase).to.equal("baking");
            expect(replayed.state.seenCommandIds).to.deep.equal(["a", "b"]);
            expect(replayed.state.commandLog!.map((c) => c.kind)).to.deep.equal(["pause", "resume"]);
            for (let i = 0; i < 30; i++) {
                t.tick({ command: command(i % 2 === 0 ? "pause" : "resume", `id-${i}`) });
            }
            expect(t.state.seenCommandIds).to.have.length(20);
            expect(t.state.seenCommandIds![19]).to.equal("id-29");
        });

        it("the watchdog ends a running rollout failed and restores its starting split, callers first", () => {
            const t = new Ticker(newRollout());
            t.tick();
            t.tick();
            const d = t.tick({ trigger: { kind: "watchdog", silentSince: at(0).toISOString(), limitSeconds: 1103 } });
            expect(d.state.phase).to.equal("failed");
            expect(d.state.reason).to.equal(`no engine has worked on this rollout since ${at(0).toISOString()} (a working one writes its state at least every 1103s); ended by the watchdog`);
            expect(d.writes.map((w) => [w.service, w.weights])).to.deep.equal([
                ["orders", ALL_BLUE],
                ["inventory", ALL_BLUE],
            ]);
            expect(d.history).to.include({ result: "failed" });
            expect(d.done).to.equal(true);
        });
    });
});
