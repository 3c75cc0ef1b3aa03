// The rollback's decisions before anything is written (cli/flip/rollbackPlan.ts, pure): which split
// each service goes back to, when it refuses, what passing instances it asks for, the order of the
// writes, and the command line.
import { expect } from "chai";
import { parseFlipArgs } from "../../../cli/flip/args";
import { loadStackContext } from "../../../cli/flip/context";
import { callersFirst, requiredInstances, rollbackTargets, ServiceView } from "../../../cli/flip/rollbackPlan";
import { HistoryRecord, RolloutState } from "../../../src/rollout/contract";
import { ALL_BLUE, ALL_GREEN, prodRelease } from "../../support/flipClient";
import { ROOT } from "../../support/harness";

const context = loadStackContext("prod", ROOT);
const config = (name: string) => context.config.services.find((s) => s.name === name)!;
const HALF = { blue: 50, green: 50 };

function record(rolloutId: string, startedAt: string, result: HistoryRecord["result"], from: Record<string, typeof ALL_BLUE>, kind?: "rollback"): HistoryRecord {
    return { rolloutId, startedAt, endedAt: startedAt, result, from, to: {}, requestedBy: "ana@laptop", commands: [], ...(kind ? { kind } : {}) };
}

function running(rolloutId: string, from: Record<string, typeof ALL_BLUE>): RolloutState {
    return {
        schemaVersion: 3,
        rolloutId,
        specHash: "h",
        spec: prodRelease(),
        phase: "baking",
        requestedBy: "ana@laptop",
        startedAt: "2026-12-01T10:00:00.000Z",
        updatedAt: "2026-12-01T10:00:00.000Z",
        from,
        steps: [],
        stepIndex: 0,
        gates: [],
        events: [],
    };
}

describe("flip rollback: the plan", () => {
    it("goes back to the split before the newest promoted release, past later rollbacks and failed releases", () => {
        const history = [
            record("prod-a-1", "2026-12-01T09:00:00.000Z", "promoted", { orders: HALF }),
            record("prod-b-1", "2026-12-01T10:00:00.000Z", "promoted", { orders: ALL_BLUE, inventory: ALL_BLUE }),
            record("prod-c-1", "2026-12-01T11:00:00.000Z", "rolled-back", { orders: ALL_GREEN }),
            record("prod-rollback-x", "2026-12-01T12:00:00.000Z", "promoted", { orders: ALL_GREEN }, "rollback"),
        ];
        const views: ServiceView[] = [{ config: config("orders"), live: ALL_GREEN, rollout: undefined }];
        const { targets, refusals } = rollbackTargets(views, history, undefined);
        expect(refusals).to.deep.equal([]);
        expect(targets).to.deep.equal([{ service: "orders", from: ALL_GREEN, to: ALL_BLUE, why: "the split before rollout prod-b-1 promoted at 2026-12-01T10:00:00Z" }]);
    });

    it("refuses a service already at its target, or without any promoted release, all at once", () => {
        const history = [record("prod-b-1", "2026-12-01T10:00:00.000Z", "promoted", { orders: ALL_BLUE })];
        const views: ServiceView[] = [
            { config: config("orders"), live: ALL_BLUE, rollout: undefined },
            { config: config("inventory"), live: ALL_GREEN, rollout: undefined },
        ];
        const { targets, refusals } = rollbackTargets(views, history, undefined);
        expect(targets).to.deep.equal([]);
        expect(refusals).to.have.length(2);
        expect(refusals[0]).to.equal("orders already runs blue 100% / green 0% (the split before rollout prod-b-1 promoted at 2026-12-01T10:00:00Z); nothing to roll back");
        expect(refusals[1]).to.match(/^inventory: no promoted release of it is recorded/);
    });

    it("while the service's rollout runs, goes back to where it started and aborts it, even when that is what runs now", () => {
        const views: ServiceView[] = [{ config: config("orders"), live: ALL_BLUE, rollout: running("prod-r-1", { orders: ALL_BLUE, inventory: ALL_BLUE }) }];
        const { targets, refusals } = rollbackTargets(views, [], undefined);
        expect(refusals).to.deep.equal([]);
        expect(targets).to.deep.equal([{ service: "orders", from: ALL_BLUE, to: ALL_BLUE, why: "the split its running rollout prod-r-1 started from", aborts: "prod-r-1" }]);
        // --to names the colour whatever the history says.
        expect(rollbackTargets(views, [], "green").targets[0]).to.deep.include({ to: ALL_GREEN, why: "--to green", aborts: "prod-r-1" });
    });

    it("goes on with an unfinished rollback (its writes pending) instead of undoing it", () => {
        const rollback: RolloutState = { ...running("prod-rollback-r1", { orders: ALL_GREEN }), kind: "rollback", phase: "promoted", pendingWrites: [{ service: "orders", weights: ALL_BLUE }] };
        const withTarget = { ...rollback, spec: { ...rollback.spec, services: rollback.spec.services.map((s) => ({ ...s, to: ALL_BLUE })) } };
        const { targets } = rollbackTargets([{ config: config("orders"), live: ALL_GREEN, rollout: withTarget }], [], undefined);
        expect(targets).to.deep.equal([{ service: "orders", from: ALL_GREEN, to: ALL_BLUE, why: "what the unfinished rollback prod-rollback-r1 asked for", aborts: "prod-rollback-r1" }]);
    });

    it("asks for the passing instances of the latest release's gate, else the stack file's (a rollback's own spec has none)", () => {
        const release = running("prod-r-1", { orders: ALL_BLUE });
        const withGate = { ...release, spec: { ...release.spec, services: release.spec.services.map((s) => ({ ...s, gate: { ...s.gate, required: { blue: 3, green: 1 } } })) } };
        expect(requiredInstances({ config: config("orders"), live: ALL_BLUE, rollout: withGate })).to.deep.equal({ blue: 3, green: 1 });
        expect(requiredInstances({ config: config("orders"), live: ALL_BLUE, rollout: { ...withGate, kind: "rollback" } })).to.deep.equal({ blue: 2, green: 2 });
        expect(requiredInstances({ config: { ...config("orders"), gate: { ...config("orders").gate, minHealthy: 1 } }, live: ALL_BLUE, rollout: undefined })).to.deep.equal({ blue: 1, green: 1 });
    });

    it("writes callers first: orders calls inventory", () => {
        const target = (service: string) => ({ service, from: ALL_GREEN, to: ALL_BLUE, why: "--to blue" });
        expect(callersFirst([target("inventory"), target("orders")], context.config.services).map((t) => t.service)).to.deep.equal(["orders", "inventory"]);
    });

    it("checks its command line before anything is read", () => {
        const parse = (...argv: string[]) => parseFlipArgs(["rollback", "--stack", "prod", ...argv], ROOT);
        expect(parse("--service", "orders", "--to", "blue", "--force", "--break-glass", "--token-file", "t")).to.deep.include({ command: "rollback", services: ["orders"], to: "blue", force: true, breakGlass: true, tokenFile: "t" });
        expect(parse("--service", "orders")).to.deep.include({ to: undefined, force: false, breakGlass: false });
        expect(() => parse()).to.throw("rollback needs --service");
        expect(() => parse("--service", "orders", "--token-file", "t")).to.throw("--token-file goes with --break-glass");
        expect(() => parse("--service", "orders", "--to", "purple")).to.throw('--to "purple" is not a colour');
        expect(() => parseFlipArgs(["status", "--stack", "prod", "--force"], ROOT)).to.throw("--force does not go with status");
    });
});
