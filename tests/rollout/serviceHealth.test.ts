// One service's health (src/rollout/serviceHealth.ts) in every row of the consistency table of
// docs/rollouts.md: the stack file's `traffic`, the state of the rollout the service belongs to, and
// Consul's live split. Pure.
import { expect } from "chai";
import { RolloutState } from "../../src/rollout/contract";
import { serviceHealth, worstHealth } from "../../src/rollout/serviceHealth";
import { ALL_BLUE, ALL_GREEN, newRollout, T0 } from "./fixtures";

const NOW = T0.getTime() + 3_600_000;
const ended = (patch: Partial<RolloutState>): RolloutState => ({
    ...newRollout(),
    from: { inventory: ALL_BLUE, orders: ALL_BLUE },
    steps: [{ percent: 100, weights: { inventory: ALL_GREEN, orders: ALL_GREEN }, bakeSeconds: 0 }],
    stepIndex: 0,
    endedAt: T0.toISOString(),
    pendingWrites: [],
    ...patch,
});
const promoted = ended({ phase: "promoted" });
const rolledBackByGate = ended({ phase: "rolled-back", reason: "gate health:orders failed 3 checks in a row" });
const rolledBackByAlarm = ended({ phase: "rolled-back", reason: "alarm orders-5xx went into ALARM" });
const operatorRollback = ended({
    rolloutId: "prod-rollback-r1",
    kind: "rollback",
    phase: "promoted",
    requestedBy: "cy@laptop",
    reason: "5xx after deploy",
    from: { orders: ALL_GREEN },
    steps: [{ percent: 100, weights: { orders: ALL_BLUE }, bakeSeconds: 0 }],
    spec: { ...newRollout().spec, services: [{ ...newRollout().spec.services[1], to: ALL_BLUE }] },
});
const health = (state: RolloutState | undefined, live: typeof ALL_BLUE | null, stackFile?: typeof ALL_BLUE) => serviceHealth("orders", state, live, stackFile, NOW);

describe("a service's health in each row of the consistency table", () => {
    it("nothing asked: no rollout ever ran, the stack file asks for what runs -> Healthy", () => {
        expect(health(undefined, ALL_BLUE, ALL_BLUE)).to.deep.include({ health: "Healthy" });
    });

    it("a changed stack file not yet deployed (pulumi up started nothing yet) -> Healthy, and says pulumi up starts it", () => {
        const h = health(promoted, ALL_GREEN, { blue: 50, green: 50 });
        expect(h.health).to.equal("Healthy");
        expect(h.message).to.match(/the stack file asks for blue 50% \/ green 50% \(pulumi up starts it\)/);
    });

    it("promoted: stack file, Pulumi and Consul all new -> Healthy", () => {
        expect(health(promoted, ALL_GREEN, ALL_GREEN)).to.deep.include({ health: "Healthy", rolloutId: "prod-abc-1" });
    });

    it("a rollout runs (followed or not) -> Progressing; paused by an operator -> Paused", () => {
        expect(health({ ...newRollout(), phase: "baking" }, { blue: 90, green: 10 }, ALL_GREEN).health).to.equal("Progressing");
        expect(health({ ...newRollout(), phase: "paused" }, { blue: 90, green: 10 }, ALL_GREEN).health).to.equal("Paused");
        // Ended, its last writes not acknowledged yet: still on its way.
        expect(health({ ...rolledBackByGate, pendingWrites: [{ service: "orders", weights: ALL_BLUE }] }, { blue: 90, green: 10 }, ALL_GREEN).health).to.equal("Progressing");
    });

    it("rolled back by a gate or by an alarm, the stack file still new -> Degraded, saying why and how to retry", () => {
        for (const state of [rolledBackByGate, rolledBackByAlarm]) {
            const h = health(state, ALL_BLUE, ALL_GREEN);
            expect(h.health).to.equal("Degraded");
            expect(h.message).to.include(state.reason!);
            expect(h.message).to.match(/BLUEGREEN_ROLLOUT_RETRY=1 pulumi up/);
        }
    });

    it("rolled back by a gate, the stack file put back to what runs -> Healthy", () => {
        expect(health(rolledBackByGate, ALL_BLUE, ALL_BLUE).health).to.equal("Healthy");
    });

    it("rolled back by the operator's client, the stack file written back by it -> Healthy, saying who and why", () => {
        const h = health(operatorRollback, ALL_BLUE, ALL_BLUE);
        expect(h.health).to.equal("Healthy");
        expect(h.message).to.match(/rolled back by cy@laptop at 2026-12-01T10:00:00Z: 5xx after deploy/);
    });

    it("rolled back by the operator's client, the stack file still new (the write-back not committed, or run elsewhere) -> Degraded: commit it", () => {
        const h = health(operatorRollback, ALL_BLUE, ALL_GREEN);
        expect(h.health).to.equal("Degraded");
        expect(h.message).to.match(/commit the stack file flip rollback wrote/);
        // Without the stack file the client cannot know git agrees: it says so, Degraded.
        expect(health(operatorRollback, ALL_BLUE).health).to.equal("Degraded");
    });

    it("a rollback of another service during this one's rollout leaves this one's health its own", () => {
        // orders bakes in its own rollout; inventory was rolled back by the operator meanwhile.
        const baking = { ...newRollout(), phase: "baking" as const };
        expect(serviceHealth("orders", baking, { blue: 90, green: 10 }, ALL_GREEN, NOW).health).to.equal("Progressing");
        expect(serviceHealth("inventory", { ...operatorRollback, spec: { ...operatorRollback.spec, services: [{ ...newRollout().spec.services[0], to: ALL_BLUE }] }, from: { inventory: ALL_GREEN }, steps: [{ percent: 100, weights: { inventory: ALL_BLUE }, bakeSeconds: 0 }] }, ALL_BLUE, ALL_BLUE, NOW).health).to.equal("Healthy");
    });

    it("a split changed behind the engine's back -> Degraded, naming what runs and what the rollout left", () => {
        const h = health(promoted, { blue: 30, green: 70 }, ALL_GREEN);
        expect(h.health).to.equal("Degraded");
        expect(h.message).to.match(/orders runs blue 30% \/ green 70%, but its last rollout prod-abc-1 left blue 0% \/ green 100%/);
    });

    it("a running rollout no engine has written for longer than the bound -> Degraded", () => {
        const silent = { ...newRollout(), phase: "baking" as const, engineWroteAt: T0.toISOString(), engineSilenceLimitSeconds: 600 };
        expect(health(silent, { blue: 90, green: 10 }, ALL_GREEN).health).to.equal("Degraded");
    });

    it("a stack is as healthy as its worst service", () => {
        expect(worstHealth([])).to.equal("Healthy");
        expect(worstHealth(["Healthy", "Progressing", "Healthy"])).to.equal("Progressing");
        expect(worstHealth(["Paused", "Progressing"])).to.equal("Paused");
        expect(worstHealth(["Healthy", "Degraded", "Paused"])).to.equal("Degraded");
    });
});
