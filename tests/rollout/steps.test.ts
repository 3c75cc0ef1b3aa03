// Pure planning of a release: dependency order, the steps between two splits, the spec's hash, and
// the contract's health and exit-code mapping.
import { expect } from "chai";
import { commandSlotFree, exitCodeOf, healthOf, historyKeySuffix, rolloutIdFor, RolloutState } from "../../src/rollout/contract";
import { canonicalJson, dependencyOrder, rolloutSteps, specHash, weightsAt } from "../../src/rollout/steps";
import { ALL_BLUE, command, newRollout, releaseSpec } from "./fixtures";

const svc = (service: string, upstreams: string[] = []) => ({ ...releaseSpec().services[0], service, upstreams });

describe("rollout planning (pure)", () => {
    it("orders services callees first, keeping the given order between independent ones", () => {
        const order = dependencyOrder([svc("web", ["orders"]), svc("orders", ["inventory", "payments"]), svc("payments"), svc("inventory"), svc("mail")]);
        expect(order.map((s) => s.service)).to.deep.equal(["inventory", "payments", "orders", "web", "mail"]);
    });

    it("ignores upstreams outside the release and refuses a cycle", () => {
        expect(dependencyOrder([svc("a", ["zzz"])]).map((s) => s.service)).to.deep.equal(["a"]);
        expect(() => dependencyOrder([svc("a", ["b"]), svc("b", ["a"])])).to.throw("cycle (a -> b -> a)");
    });

    it("interpolates weights with at most 2 decimals that always sum to 100", () => {
        expect(weightsAt({ blue: 100, green: 0 }, { blue: 0, green: 100 }, 10)).to.deep.equal({ blue: 90, green: 10 });
        expect(weightsAt({ blue: 70, green: 30 }, { blue: 0, green: 100 }, 33)).to.deep.equal({ blue: 46.9, green: 53.1 });
        for (let p = 1; p <= 100; p++) {
            const w = weightsAt({ blue: 33.33, green: 66.67 }, { blue: 100, green: 0 }, p);
            expect(Math.round((w.blue + w.green) * 100)).to.equal(10000);
            expect(Math.round(w.blue * 100) / 100).to.equal(w.blue);
        }
    });

    it("plans one step per percent plus the desired split, dropping steps that change nothing", () => {
        const spec = releaseSpec({ steps: [10, 50, 100] });
        expect(rolloutSteps(spec, { inventory: ALL_BLUE, orders: ALL_BLUE }).map((s) => s.percent)).to.deep.equal([10, 50, 100]);
        expect(rolloutSteps(releaseSpec({ steps: [] }), { inventory: ALL_BLUE, orders: ALL_BLUE }).map((s) => s.percent)).to.deep.equal([100]);
        // Rolling back a half-done split with the same strategy moves from where it is.
        const back = rolloutSteps({ ...spec, services: spec.services.map((s) => ({ ...s, to: ALL_BLUE })) }, { inventory: ALL_BLUE, orders: { blue: 50, green: 50 } });
        expect(back.map((s) => s.weights.orders.blue)).to.deep.equal([55, 75, 100]);
    });

    it("hashes the spec canonically: key order does not matter, any value does", () => {
        const spec = releaseSpec();
        const reordered = JSON.parse(canonicalJson(spec));
        expect(specHash(reordered)).to.equal(specHash(spec));
        expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).to.equal('{"a":[{"c":3,"d":2}],"b":1}');
        expect(specHash(releaseSpec({ bakeSeconds: 61 }))).not.to.equal(specHash(spec));
    });

    it("names a rollout by stack, spec hash and attempt, within Step Functions' execution name rules", () => {
        const id = rolloutIdFor("my.stack/with:odd chars", "0123456789abcdef0123", 2);
        expect(id).to.equal("my_stack_with_odd_chars-0123456789abcdef-2");
        expect(id).to.match(/^[A-Za-z0-9_-]{1,80}$/);
        expect(historyKeySuffix("2026-12-01T10:00:00.000Z", id)).to.equal(`20261201T100000000Z-${id}`);
    });

    it("maps phases to health and exit codes like `kubectl argo rollouts status`", () => {
        const state = (phase: RolloutState["phase"]): RolloutState => ({ ...newRollout(), phase });
        const table = (["pending", "progressing", "baking", "paused", "promoted", "rolled-back", "aborted", "failed"] as const).map((p) => [p, healthOf(state(p)), exitCodeOf(healthOf(state(p)))]);
        expect(table).to.deep.equal([
            ["pending", "Progressing", 4],
            ["progressing", "Progressing", 4],
            ["baking", "Progressing", 4],
            ["paused", "Paused", 4],
            ["promoted", "Healthy", 0],
            ["rolled-back", "Degraded", 1],
            ["aborted", "Degraded", 1],
            ["failed", "Degraded", 1],
        ]);
        expect(healthOf(undefined)).to.equal("Healthy");
    });

    it("a client may write a command when the slot is empty, applied, or for another rollout only", () => {
        const state = { ...newRollout(), lastCommandId: "done" };
        expect(commandSlotFree(undefined, state)).to.equal(true);
        expect(commandSlotFree(command("pause", "done"), state)).to.equal(true);
        expect(commandSlotFree(command("pause", "x", "prod-other-1"), state)).to.equal(true);
        expect(commandSlotFree(command("pause", "pending"), state)).to.equal(false);
    });
});
