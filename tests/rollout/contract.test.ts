// The contract's rules for readers of a rollout's state (src/rollout/contract.ts): what a document
// must be, when its claims are live (isSettled), when no engine works on it (engineSilentSince),
// and when a client's command took effect (commandDone). Pure.
import { expect } from "chai";
import {
    commandDone,
    commandSlotFree,
    engineSilentSince,
    healthOf,
    isSettled,
    parseRolloutState,
    parseServiceClaims,
    rollbackIdFor,
    rolloutCommandKey,
    rolloutStateKey,
    ROLLOUT_SCHEMA_VERSION,
    RolloutState,
} from "../../src/rollout/contract";
import { ALL_BLUE, command, newRollout, T0 } from "./fixtures";

const at = (seconds: number) => T0.getTime() + seconds * 1000;
const rolledBack = (): RolloutState => ({ ...newRollout(), phase: "rolled-back", from: { inventory: ALL_BLUE, orders: ALL_BLUE }, reason: "gate failed" });

describe("the rollout contract's reading rules", () => {
    it("parses a state of version 1, 2 or 3 and says plainly what is wrong with any other", () => {
        const state = newRollout();
        expect(parseRolloutState(JSON.parse(JSON.stringify(state)))).to.deep.equal({ ok: true, state });
        expect(parseRolloutState({ ...state, schemaVersion: 1 }).ok).to.equal(true);
        expect(parseRolloutState({ ...state, schemaVersion: 2 }).ok).to.equal(true);
        const newer = parseRolloutState({ ...state, schemaVersion: ROLLOUT_SCHEMA_VERSION + 1 });
        expect(newer).to.deep.include({ ok: false });
        expect((newer as { error: string }).error).to.match(/^has schema version 4, newer than this client knows \(up to 3\)/);
        const bad = parseRolloutState({ ...state, pendingWrites: [{ service: "orders" }], seenCommandIds: "a", engineSilenceLimitSeconds: -1 });
        expect((bad as { error: string }).error).to.equal(
            "is not a rollout document this client can read: pendingWrites is not a list of { service, weights }; seenCommandIds is not a list of command ids; engineSilenceLimitSeconds is not a positive number",
        );
    });

    it("accepts a spec whose services say whether they are sticky (an additive field of version 2), and nothing but true or false there", () => {
        const state = newRollout();
        const sticky = { ...state, spec: { ...state.spec, services: state.spec.services.map((s) => ({ ...s, sticky: s.service === "orders" })) } };
        expect(parseRolloutState(JSON.parse(JSON.stringify(sticky)))).to.deep.equal({ ok: true, state: sticky });
        expect(sticky.schemaVersion).to.equal(ROLLOUT_SCHEMA_VERSION);
        const bad = parseRolloutState({ ...state, spec: { ...state.spec, services: state.spec.services.map((s) => ({ ...s, sticky: "yes" })) } });
        expect((bad as { error: string }).error).to.equal("is not a rollout document this client can read: spec.services holds a sticky that is not true or false");
    });

    it("an ended rollout is settled only once its writes are done; until then its health is Progressing", () => {
        const pending: RolloutState = { ...rolledBack(), pendingWrites: [{ service: "orders", weights: ALL_BLUE }] };
        expect(isSettled(pending)).to.equal(false);
        expect(healthOf(pending)).to.equal("Progressing");
        expect(isSettled({ ...pending, pendingWrites: [] })).to.equal(true);
        expect(healthOf({ ...pending, pendingWrites: [] })).to.equal("Degraded");
        expect(isSettled({ ...newRollout(), phase: "baking" })).to.equal(false);
    });

    it("says the engine is silent only past the bound the state carries (plus a grace), and never for a settled state", () => {
        const running: RolloutState = { ...newRollout(), phase: "baking", engineWroteAt: T0.toISOString(), engineSilenceLimitSeconds: 1000 };
        expect(engineSilentSince(running, at(1000))).to.equal(undefined);
        expect(engineSilentSince(running, at(1001))).to.equal(T0.toISOString());
        expect(engineSilentSince(running, at(1001), 180)).to.equal(undefined);
        expect(engineSilentSince(running, at(1181), 180)).to.equal(T0.toISOString());
        expect(engineSilentSince({ ...rolledBack(), engineSilenceLimitSeconds: 1 }, at(10_000))).to.equal(undefined);
        // A state of an older engine, without the bound: never called silent by a client.
        expect(engineSilentSince({ ...running, engineSilenceLimitSeconds: undefined }, at(1e6))).to.equal(undefined);
    });

    it("a command is done once the engine has seen its id and the state has no pending writes", () => {
        const cmd = command("abort", "c1");
        const seen: RolloutState = { ...rolledBack(), seenCommandIds: ["c0", "c1"], lastCommandId: "c1" };
        expect(commandDone(seen, "c1")).to.equal(true);
        expect(commandDone({ ...seen, pendingWrites: [{ service: "orders", weights: ALL_BLUE }] }, "c1")).to.equal(false);
        expect(commandDone(seen, "c2")).to.equal(false);
        // An older command still in the slot, already seen, leaves the slot free.
        expect(commandSlotFree({ ...cmd, id: "c0" }, { ...seen, lastCommandId: "c1" })).to.equal(true);
    });

    it("schema 3 keeps each rollout at its own keys and reads its additive fields strictly", () => {
        expect(rolloutStateKey("prod-abc-1")).to.equal("bluegreen/rollout/rollouts/prod-abc-1");
        expect(rolloutCommandKey("prod-abc-1")).to.equal("bluegreen/rollout/commands/prod-abc-1");
        const rollback: RolloutState = { ...newRollout(), kind: "rollback", startAfter: { orders: "prod-abc-0", inventory: "" }, breakGlass: true };
        expect(parseRolloutState(JSON.parse(JSON.stringify(rollback)))).to.deep.equal({ ok: true, state: rollback });
        const bad = parseRolloutState({ ...rollback, kind: "revert", startAfter: { orders: 3 }, breakGlass: "yes" });
        expect((bad as { error: string }).error).to.equal(
            "is not a rollout document this client can read: kind is \"revert\", not release or rollback; startAfter is not a rollout id per service; breakGlass is not true or false",
        );
    });

    it("reads a claims document, refuses a newer one or a malformed claim by name", () => {
        const claims = { schemaVersion: 3, services: { orders: { rolloutId: "prod-abc-1", claimedAt: T0.toISOString() } } };
        expect(parseServiceClaims(claims)).to.deep.equal({ ok: true, claims });
        expect(parseServiceClaims({ ...claims, schemaVersion: 4 })).to.deep.include({ ok: false });
        expect(parseServiceClaims({ schemaVersion: 3, services: { orders: { rolloutId: 7 }, inventory: claims.services.orders } })).to.deep.equal({
            ok: false,
            error: "holds a claim that is not { rolloutId, claimedAt }: orders",
        });
        expect(parseServiceClaims([])).to.deep.include({ ok: false });
    });

    it("a rollback's id is a valid execution-style name whatever the stack and request id hold", () => {
        const id = rollbackIdFor("prod/eu west", "0f8e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
        expect(id).to.equal("prod_eu_west-rollback-0f8e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
        expect(id).to.match(/^[A-Za-z0-9_-]{1,80}$/);
        expect(rollbackIdFor("x".repeat(200), "y".repeat(200)).length).to.be.at.most(80);
    });
});
