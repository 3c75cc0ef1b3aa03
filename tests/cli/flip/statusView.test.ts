// What `status` says about a rollout the engine has not finished writing, or no engine works on any
// more (issue 16): pure formatting over a state, with the time passed in.
import { expect } from "chai";
import { statusReport } from "../../../cli/flip/statusView";
import { RolloutState, ServiceClaims } from "../../../src/rollout/contract";
import { ALL_BLUE, newRollout, T0 } from "../../rollout/fixtures";

const live = { inventory: ALL_BLUE, orders: ALL_BLUE };

function reportOf(state: RolloutState, nowMs: number) {
    const services = state.spec.services.map((s) => s.service);
    const claims: ServiceClaims = { schemaVersion: 3, services: Object.fromEntries(services.map((s) => [s, { rolloutId: state.rolloutId, claimedAt: state.startedAt }])) };
    return statusReport("prod", services, claims, new Map([[state.rolloutId, state]]), live, undefined, nowMs);
}

describe("flip status: unsettled and silent rollouts", () => {
    it("an ended rollout whose writes are pending is Progressing, not yet its result", () => {
        const state: RolloutState = { ...newRollout(), phase: "rolled-back", from: live, pendingWrites: [{ service: "orders", weights: ALL_BLUE }] };
        const report = reportOf(state, T0.getTime());
        expect(report.health).to.equal("Progressing");
        expect(report.message).to.equal("rollout prod-abc-1 is ended rolled-back; its splits are being written");
    });

    it("a running rollout whose engine has been silent past its bound is Degraded, and says since when", () => {
        const state: RolloutState = { ...newRollout(), phase: "baking", from: live, engineWroteAt: T0.toISOString(), engineSilenceLimitSeconds: 1103 };
        expect(reportOf(state, T0.getTime() + 1103_000).health).to.equal("Progressing");
        const report = reportOf(state, T0.getTime() + 1104_000);
        expect(report.health).to.equal("Degraded");
        expect(report.message).to.match(/^rollout prod-abc-1 is baking, but no engine has written its state since 2026-12-01T10:00:00Z; the watchdog ends it/);
    });
});
