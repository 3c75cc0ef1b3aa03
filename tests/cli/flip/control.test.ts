// status, history and the control commands, from the client's side, against the loopback fake
// Consul (KV and config entries in Consul's documented format; it is NOT Consul). The engine that
// acknowledges the commands is the engine's real handler (src/rollout/handler.ts), driven by
// tests/support/engineDriver.ts on the virtual clock of tests/support/flipClient.ts.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { classify } from "../../../cli/flip/clientErrors";
import { consulRolloutStore, RolloutStore } from "../../../cli/flip/rolloutStore";
import { ConsulHttpOptions } from "../../../src/consul/httpClient";
import { ControlCommand, ENGINE_SILENCE_GRACE_SECONDS, RolloutState } from "../../../src/rollout/contract";
import { engineSilenceLimitSeconds } from "../../../src/rollout/render/stateMachine";
import { putKv, readKv } from "../../support/fakeConsulKv";
import { writeSplitter } from "../../support/engineDriver";
import { ALL_BLUE, ALL_GREEN, FlipWorld, prodRelease } from "../../support/flipClient";
import { editTrafficText } from "../../../cli/flip/stackFile";

describe("npm run flip -- status, history and control commands", () => {
    const world = new FlipWorld();
    beforeEach(() => world.setUp());
    afterEach(() => world.tearDown());
    const state = () => world.state();

    describe("status", () => {
        it("is Healthy (exit 0) with no rollout, showing each service's live split from its service-splitter", async () => {
            expect(await world.run(["status", "--stack", "prod"])).to.equal(0);
            expect(world.text()).to.include("Stack prod: Healthy: no rollout has run in this stack");
            expect(world.text()).to.match(/orders\s+Healthy\s+blue 100% \/ green 0%\s+-\s+-\s+blue 100% \/ green 0%\s+-/);
            expect(world.text()).to.include("Mesh dashboard (both colours' requests, errors and latency): https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=bluegreen-prod-mesh");
            expect(world.consul.state.requests).to.include("GET /v1/config/service-splitter/orders");
            // A desired split in the stack file that no rollout has carried out yet is said so.
            fs.writeFileSync(path.join(world.dir, "Pulumi.prod.yaml"), editTrafficText(world.original.prod, "orders", ALL_GREEN));
            world.output = [];
            expect(await world.run(["status", "--stack", "prod"])).to.equal(0);
            expect(world.text()).to.include("the stack file asks for a new split of orders (pulumi up starts it)");
            expect(world.text()).to.match(/orders\s+Healthy\s+blue 100% \/ green 0%\s+-\s+-\s+blue 0% \/ green 100%\s+-/);
        });

        it("shows a running rollout's phase, step, bake and next check, and exits 4 (not done)", async () => {
            await world.startRollout();
            await world.runEngineUntil(world.engine.now + 60_000);
            expect(await world.run(["status", "--stack", "prod"])).to.equal(4);
            expect(world.text()).to.match(/Stack prod: Progressing: rollout prod-[0-9a-f]{16}-1 is baking/);
            expect(world.text()).to.include("step 1 of 3 (10%)");
            expect(world.text()).to.match(/baking until \S+ \(\d+s left\)/);
            expect(world.text()).to.match(/next check at \S+/);
            expect(world.text()).to.match(/orders\s+Progressing\s+blue 90% \/ green 10%\s+blue 90% \/ green 10%\s+blue 0% \/ green 100%\s+blue 0% \/ green 100%\s+prod-[0-9a-f]{16}-1/);
            expect(world.text()).to.match(/health:orders\s+ok\s+0 of 3/);
        });

        it("--json prints the report as one JSON object", async () => {
            world.startRollout();
            expect(await world.run(["status", "--stack", "prod", "--json"])).to.equal(4);
            const report = JSON.parse(world.text()) as { health: string; rollouts: RolloutState[]; services: { service: string; health: string; live: unknown; rolloutId: string }[] };
            expect(report.health).to.equal("Progressing");
            expect(report.rollouts.map((r) => r.spec.services.map((s) => s.service))).to.deep.equal([["inventory", "orders"]]);
            expect(report.services.find((s) => s.service === "orders")).to.deep.include({ health: "Progressing", live: { blue: 90, green: 10 }, rolloutId: state().rolloutId });
        });

        it("--watch follows a promote to the end and exits 0", async () => {
            world.startRollout();
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.include("step 2 of 3 (50%)");
            expect(world.text()).to.include("step 3 of 3 (100%)");
            expect(world.text()).to.include("promoted: inventory blue 0% / green 100%, orders blue 0% / green 100%");
            expect(world.text()).to.include("Stack prod: Healthy: rollout");
        });

        it("--watch --json prints one JSON report per change, the last one final", async () => {
            world.startRollout();
            expect(await world.run(["status", "--stack", "prod", "--watch", "--json", "--poll", "10s"])).to.equal(0);
            const reports = world.output.map((line) => JSON.parse(line) as { health: string; rollouts: RolloutState[] });
            expect(reports.length).to.be.greaterThan(3);
            expect(reports[0].health).to.equal("Progressing");
            expect(reports[reports.length - 1]).to.deep.include({ health: "Healthy" });
            expect(reports[reports.length - 1].rollouts[0].phase).to.equal("promoted");
            expect(new Set(reports.map((r) => r.rollouts[0].updatedAt)).size).to.equal(reports.length);
        });

        it("--watch shows a failing gate rolled back by the platform, and exits 5 (rolled back)", async () => {
            await world.startRollout();
            world.onSleep = (n) => {
                if (n === 3) {
                    // orders/green loses its instances: the engine's gate fails after 3 checks in a row.
                    world.consul.state.instances = world.consul.state.instances.filter((i) => !(i.service === "orders" && i.version === "green"));
                }
            };
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"])).to.equal(5);
            expect(world.text()).to.match(/rolled-back: gate health:orders failed 3 checks in a row/);
            expect(world.text()).to.match(/Stack prod: Degraded: rollout \S+ rolled-back/);
            expect(world.text()).to.include("orders runs blue 100% / green 0%, the stack file asks for blue 0% / green 100%: fix the cause and retry (BLUEGREEN_ROLLOUT_RETRY=1 pulumi up)");
            expect(world.text()).to.match(/orders\s+Degraded\s+blue 100% \/ green 0%\s+blue 100% \/ green 0%\s+blue 0% \/ green 100%/);
        });

        it("--watch exits 6 when an operator aborts the rollout it follows, and 7 when the engine fails", async () => {
            await world.startRollout();
            world.onSleep = (n) => {
                if (n === 2) {
                    putKv(world.consul, world.commandKey(), { id: "c-1", rolloutId: state().rolloutId, kind: "abort", issuedBy: "cy@laptop-3", issuedAt: new Date(world.engine.now).toISOString(), reason: "latency" });
                }
            };
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"])).to.equal(6);
            expect(world.text()).to.match(/Stack prod: Degraded: rollout \S+ aborted/);
            world.output = [];
            world.onSleep = undefined;
            world.engine.now += 3600_000;
            const orders = await world.startRollout(prodRelease({ bakeSeconds: 60 }, ["orders"]));
            world.engine.now += 1000;
            await world.engineError(orders, "States.Timeout", "the tick timed out");
            // orders' rollout failed (7), inventory's aborted (6): the worse decides.
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"])).to.equal(7);
            expect(world.text()).to.match(new RegExp(`no rollout is running \\(prod-[0-9a-f]{16}-1 ended aborted at \\S+; ${orders} ended failed at \\S+\\): nothing to watch`));
            expect(world.text()).to.match(new RegExp(`orders\\s+Degraded\\s+blue 100% / green 0%\\s+blue 100% / green 0%\\s+blue 0% / green 100%\\s+blue 0% / green 100%\\s+${orders}`));
        });

        it("--watch ends at once when no rollout has run (0) or the last one already ended (its code), saying which", async () => {
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.include("no rollout has run in this stack: nothing to watch");
            expect(world.sleeps).to.equal(0);
            await world.startRollout(prodRelease({ steps: [], bakeSeconds: 0 }));
            await world.runEngineUntil(world.engine.now + 3600_000);
            world.output = [];
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.match(/no rollout is running \(prod-[0-9a-f]{16}-1 ended promoted at \S+\): nothing to watch/);
            expect(world.sleeps).to.equal(0);
            // --json: the one report, nothing else on the line stream.
            world.output = [];
            expect(await world.run(["status", "--stack", "prod", "--watch", "--json"])).to.equal(0);
            expect(world.output.map((line) => (JSON.parse(line) as { rollouts: RolloutState[] }).rollouts.map((r) => r.phase))).to.deep.equal([["promoted"]]);
        });

        it("--watch exits 8 when the engine stops writing the rollout's state (past the bound a working one keeps, and the watchdog's grace), not before", async () => {
            await world.startRollout();
            await world.runEngineUntil(world.engine.now + 60_000);
            // The execution is gone (stopped in the console, say) and no watchdog runs: nothing writes any more.
            world.stopExecution();
            const last = state();
            const wrote = Date.parse(last.engineWroteAt!);
            const bound = (last.engineSilenceLimitSeconds! + ENGINE_SILENCE_GRACE_SECONDS) * 1000;
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "1m"])).to.equal(8);
            expect(world.text()).to.match(/the engine has not written rollout prod-[0-9a-f]{16}-1's state since \S+ \(a working one writes at least every \d+s\), and the watchdog has not ended it: it is silent/);
            expect(world.engine.now - wrote).to.be.greaterThan(bound);
            expect(world.engine.now - wrote).to.be.at.most(bound + 60_000);
            // The bound is the state's own: its check interval (or a hand-over) plus a tick failing every retry.
            expect(last.engineSilenceLimitSeconds).to.equal(engineSilenceLimitSeconds(last.spec.strategy.checkIntervalSeconds));
        });

        it("--watch without --timeout still ends: after a day of a paused rollout it exits 4", async () => {
            await world.startRollout();
            const paused = { ...state(), phase: "paused" as const, pausedBy: "cy@laptop-3", pausedAt: new Date(world.engine.now).toISOString() };
            putKv(world.consul, world.stateKey(), paused);
            world.stopExecution();
            // The engine keeps checking a paused rollout: its state stays fresh.
            world.onSleep = () =>
                putKv(world.consul, world.stateKey(), {
                    ...paused,
                    updatedAt: new Date(world.engine.now).toISOString(),
                    engineWroteAt: new Date(world.engine.now).toISOString(),
                    nextCheckAt: new Date(world.engine.now + 30_000).toISOString(),
                });
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10m"])).to.equal(4);
            expect(world.text()).to.match(/still Paused after 86400s of watching \(prod-[0-9a-f]{16}-1 paused\); the rollouts go on in the engine/);
        });

        it("--watch --timeout stops watching with exit 4, and the rollout goes on", async () => {
            world.startRollout();
            expect(await world.run(["status", "--stack", "prod", "--watch", "--timeout", "1m", "--poll", "10s"])).to.equal(4);
            expect(world.text()).to.match(/still Progressing after 60s of watching \(prod-[0-9a-f]{16}-1 baking\); the rollouts go on in the engine/);
        });

        it("is Degraded when the live split drifted from what the last rollout left", async () => {
            await world.startRollout(prodRelease({ steps: [], bakeSeconds: 0 }));
            await world.runEngineUntil(world.engine.now + 3600_000);
            expect(state().phase).to.equal("promoted");
            writeSplitter(world.consul, "orders", ALL_BLUE);
            expect(await world.run(["status", "--stack", "prod"])).to.equal(1);
            expect(world.text()).to.match(/Stack prod: Degraded: orders runs blue 100% \/ green 0%, but its last rollout prod-[0-9a-f]{16}-1 left blue 0% \/ green 100% \(changed behind the engine\)/);
        });

        it("says when Consul does not answer, exit 3", async () => {
            await world.consul.close();
            const err = await world.run(["status", "--stack", "prod"]).catch((e: unknown) => e);
            expect(classify(err).code).to.equal(3);
            expect(classify(err).line).to.match(/^error: Consul: GET \/v1\/kv\/bluegreen\/rollout\/claims on 127.0.0.1:\d+ failed/);
            world.consul = await (await import("../../support/fakeConsul")).startFakeConsul();
        });
    });

    describe("control", () => {
        it("pause and resume: written with CAS, applied by the engine, and reported", async () => {
            await world.startRollout();
            expect(await world.run(["pause", "--stack", "prod", "--yes", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.match(/pause sent to rollout \S+ \(command [0-9a-f-]{36}\); waiting for the engine to apply it/);
            expect(world.text()).to.include("applied: pause from bo@laptop-2: paused at step 1 of 3");
            expect(world.text()).to.include("paused by bo@laptop-2");
            expect(state().phase).to.equal("paused");
            expect(world.consul.state.requests).to.include(`PUT /v1/kv/${world.commandKey()}?cas=0`);
            // Paused holds past the bake.
            await world.runEngineUntil(world.engine.now + 3600_000);
            expect(state().phase).to.equal("paused");
            world.output = [];
            expect(await world.run(["resume", "--stack", "prod", "--yes", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.include("applied: resume from bo@laptop-2: resumed");
            expect(state().phase).to.equal("baking");
            const slot = world.consul.state.requests.filter((r) => r.startsWith(`PUT /v1/kv/${world.commandKey()}?cas=`));
            expect(slot[1]).to.not.equal(`PUT /v1/kv/${world.commandKey()}?cas=0`);
        });

        it("promote moves to the next step now; promote --full to the desired split", async () => {
            await world.startRollout();
            expect(await world.run(["promote", "--stack", "prod", "--yes", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.include("applied: promote from bo@laptop-2: skipping the rest of this bake");
            await world.runEngineUntil(world.engine.now + 30_000);
            expect(state().stepIndex).to.equal(1);
            expect(await world.run(["promote", "--full", "--stack", "prod", "--yes", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.include("applied: promote-full from bo@laptop-2: moving to the desired split now");
            await world.runEngineUntil(world.engine.now + 120_000);
            expect(state().phase).to.equal("promoted");
        });

        it("abort from a second machine (no stack file, only Consul's address) rolls back, and history records it", async () => {
            await world.startRollout();
            await world.runEngineUntil(world.engine.now + 400_000);
            const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-elsewhere-"));
            try {
                const code = await world.run(["abort", "--stack", "prod", "--yes", "--reason", "latency", "--poll", "10s", "--dir", elsewhere]);
                expect(code).to.equal(0);
            } finally {
                fs.rmSync(elsewhere, { recursive: true, force: true });
            }
            expect(world.text()).to.include("applied: abort from bo@laptop-2: rolling back");
            expect(world.text()).to.include("aborted (Degraded)");
            expect(state().phase).to.equal("aborted");
            expect(world.consul.state.config.get("service-splitter/orders")).to.deep.include({ Splits: [{ Weight: 100, Service: "orders", ServiceSubset: "blue" }, { Weight: 0, Service: "orders", ServiceSubset: "green" }] });
            world.output = [];
            expect(await world.run(["history", "--stack", "prod"])).to.equal(0);
            expect(world.text()).to.match(/ana@laptop\s+inventory 100\/0, orders 100\/0\s+inventory 0\/100, orders 0\/100\s+aborted\s+\S+\s+aborted by bo@laptop-2 \(latency\); abort by bo@laptop-2/);
            world.output = [];
            expect(await world.run(["history", "--stack", "prod", "--json"])).to.equal(0);
            expect((JSON.parse(world.text()) as { result: string }[]).map((r) => r.result)).to.deep.equal(["aborted"]);
        });

        it("asks before controlling a production stack, and refuses without a terminal", async () => {
            await world.startRollout();
            const err = await world.run(["abort", "--stack", "prod"]).catch((e: unknown) => e);
            expect((err as Error).message).to.equal(`prod is a production stack: pass --yes to abort rollout ${state().rolloutId} of prod without a terminal to confirm on`);
            expect(readKv(world.consul, world.commandKey())).to.equal(undefined);
        });

        it("refuses with exit 2 when there is nothing to control, a command is pending, or the rollout is not paused", async () => {
            const refused = async (args: string[]) => {
                const err = await world.run([...args, "--stack", "prod", "--yes"]).catch((e: unknown) => e);
                expect(classify(err).code, args.join(" ")).to.equal(2);
                return (err as Error).message;
            };
            expect(await refused(["pause"])).to.include("no rollout has run in stack prod");
            await world.startRollout();
            expect(await refused(["resume"])).to.match(/is baking, not paused; nothing to resume/);
            const pending: ControlCommand = { id: "c-1", rolloutId: state().rolloutId, kind: "pause", issuedBy: "cy@ci", issuedAt: "2026-12-01T10:00:00Z" };
            putKv(world.consul, world.commandKey(), pending);
            expect(await refused(["abort"])).to.include("a pause from cy@ci (at 2026-12-01T10:00:00Z) is pending");
            await world.runEngineUntil(world.engine.now + 60_000);
            expect(await refused(["pause"])).to.include("is already paused (by cy@ci");
            await world.runEngineUntil(world.engine.now + 1);
            putKv(world.consul, world.commandKey(), { ...pending, id: "c-2", kind: "abort" });
            await world.runEngineUntil(world.engine.now + 60_000);
            expect(await refused(["pause"])).to.equal("no rollout is running in stack prod; nothing to pause. A command applies to a running rollout only; to change traffic now: npm run flip -- rollback, or set and pulumi up");
            expect(await refused(["pause", "--service", "orders"])).to.match(/^rollout prod-[0-9a-f]{16}-1 \(inventory, orders\) ended aborted at \S+; a command applies to a running rollout only/);
        });

        it("retries when another client wins the CAS, and writes against the new index", async () => {
            await world.startRollout();
            let raced = false;
            const store = (options: ConsulHttpOptions): RolloutStore => {
                const real = consulRolloutStore(options);
                return {
                    ...real,
                    async putCommand(command: ControlCommand, cas: number) {
                        if (!raced) {
                            raced = true;
                            // Another client's command lands (and is applied) between our read and our write.
                            putKv(world.consul, world.commandKey(), { ...command, id: "other", kind: "promote", issuedBy: "cy@ci" });
                            await world.engine.tick();
                        }
                        return real.putCommand(command, cas);
                    },
                };
            };
            expect(await world.run(["pause", "--stack", "prod", "--yes", "--poll", "10s"], { store })).to.equal(0);
            const puts = world.consul.state.requests.filter((r) => r.startsWith(`PUT /v1/kv/${world.commandKey()}`));
            expect(puts).to.have.length(2);
            expect(puts[0]).to.equal(`PUT /v1/kv/${world.commandKey()}?cas=0`);
            expect(state().phase).to.equal("paused");
        });

        it("exits 4 when the engine does not take the command in time; it stays pending", async () => {
            await world.startRollout();
            world.stopExecution(); // the engine does not tick
            expect(await world.run(["pause", "--stack", "prod", "--yes", "--poll", "10s"])).to.equal(4);
            expect(world.text()).to.include("the engine has not taken the pause within 90s; it stays pending");
            expect(readKv<ControlCommand>(world.consul, world.commandKey())?.kind).to.equal("pause");
        });

        it("an abort of a rollout whose engine is gone says so, and that the watchdog ends it (exit 4, the command stays pending)", async () => {
            await world.startRollout();
            await world.runEngineUntil(world.engine.now + 30_000);
            world.stopExecution(); // the execution is gone
            world.engine.now += (state().engineSilenceLimitSeconds! + 1) * 1000;
            expect(await world.run(["abort", "--stack", "prod", "--yes", "--poll", "10s"])).to.equal(4);
            expect(world.text()).to.match(/no engine has written rollout prod-[0-9a-f]{16}-1's state since \S+: its execution is gone, and the abort stays pending\. The watchdog ends the rollout/);
        });

        it("detaches on a signal: says what the rollout does and how to follow it, and changes nothing", async () => {
            await world.startRollout();
            world.detachOnSleep = 2;
            const before = state().phase;
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"])).to.equal(143);
            expect(world.text()).to.include("detached on SIGTERM: stopped watching; the rollout goes on in the engine, unchanged by the signal:");
            expect(world.text()).to.include("Follow it with: npm run flip -- status --stack prod --watch");
            expect(readKv(world.consul, world.commandKey())).to.equal(undefined);
            expect(before).to.equal("baking");
        });
    });
});
