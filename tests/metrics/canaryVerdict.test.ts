// The analysis as a rollout gate: which colour is judged, when it is not applicable, and how each
// verdict maps onto the engine's gate outcomes (inconclusive holds, an error counts as a failure).
import { expect } from "chai";
import { canaryPair, checkCanary } from "../../src/metrics/canaryVerdict";
import type { CanaryFigures } from "../../src/metrics/analysis";

const THRESHOLDS = { maxErrorRateIncrease: 1, maxLatencyRatio: 2, minRequests: 100, windowSeconds: 300 };
const FULL = { start: new Date("2026-12-01T10:05:00Z"), end: new Date("2026-12-01T10:10:00Z"), seconds: 300, full: true };
const figures = (greenErrors: number, greenRequests = 200): CanaryFigures => ({
    baseline: { colour: "blue", requests: 1800, errors: 0, p99Ms: 100 },
    canary: { colour: "green", requests: greenRequests, errors: greenErrors, p99Ms: 110 },
});

describe("canary analysis as a rollout gate", () => {
    it("the canary is the colour the rollout moves weight to", () => {
        expect(canaryPair({ blue: 100, green: 0 }, { blue: 0, green: 100 })).to.deep.equal({ baseline: "blue", canary: "green" });
        expect(canaryPair({ blue: 10, green: 90 }, { blue: 100, green: 0 })).to.deep.equal({ baseline: "green", canary: "blue" });
        expect(canaryPair({ blue: 50, green: 50 }, { blue: 50, green: 50 })).to.equal(undefined);
    });

    it("judges while both colours serve: pass, fail, and inconclusive holds the step", () => {
        const pair = { baseline: "blue" as const, canary: "green" as const };
        const at10 = { blue: 90, green: 10 };
        expect(checkCanary("orders", THRESHOLDS, at10, pair, figures(0), FULL).outcome).to.equal("pass");
        const fail = checkCanary("orders", THRESHOLDS, at10, pair, figures(10), FULL);
        expect(fail.outcome).to.equal("fail");
        expect(fail.message).to.equal("orders: fail: green is worse than blue: error share green 5% vs blue 0% (+5 points, at most +1)");
        expect(fail.judgement?.canary).to.deep.equal({ colour: "green", requests: 200, errors: 10, errorRatePercent: 5, p99Ms: 110 });
        const hold = checkCanary("orders", THRESHOLDS, at10, pair, figures(0, 40), FULL);
        expect(hold.outcome).to.equal("hold");
        expect(hold.message).to.match(/^orders: inconclusive: too little traffic: green served 40 /);
    });

    it("over fewer minutes than the window (a young step): a failure counts, a pass holds until the whole window, too little traffic holds", () => {
        const pair = { baseline: "blue" as const, canary: "green" as const };
        const at10 = { blue: 90, green: 10 };
        const partial = { start: new Date("2026-12-01T10:08:00Z"), end: new Date("2026-12-01T10:10:00Z"), seconds: 120, full: false };
        const fail = checkCanary("orders", THRESHOLDS, at10, pair, figures(10), partial);
        expect(fail.outcome).to.equal("fail");
        expect(fail.judgement?.windowSeconds).to.equal(120);
        const pass = checkCanary("orders", THRESHOLDS, at10, pair, figures(0), partial);
        expect(pass.outcome).to.equal("hold");
        expect(pass.message).to.match(/^orders: inconclusive: passing so far over 2 of 5 min since this split was written; a pass needs the whole window: green is within bounds/);
        const short = checkCanary("orders", THRESHOLDS, at10, pair, figures(0, 40), partial);
        expect(short.outcome).to.equal("hold");
        expect(short.message).to.include("of the 100 requests each colour needs in 2 min");
        const none = checkCanary("orders", THRESHOLDS, at10, pair, undefined, undefined);
        expect(none).to.deep.equal({ outcome: "hold", message: "orders: inconclusive: no whole minute of figures since this split was written yet" });
    });

    it("an error reading CloudWatch is a failed check (counted), never a pass", () => {
        const check = checkCanary("orders", THRESHOLDS, { blue: 90, green: 10 }, { baseline: "blue", canary: "green" }, { error: "ThrottlingException" }, FULL);
        expect(check).to.deep.equal({ outcome: "fail", message: "orders: could not read the canary figures from CloudWatch: ThrottlingException" });
        expect(checkCanary("orders", THRESHOLDS, { blue: 90, green: 10 }, { baseline: "blue", canary: "green" }, undefined, FULL).outcome).to.equal("fail");
    });

    it("does not hold a split where one colour serves all (before the first step, at 100%)", () => {
        const pair = { baseline: "blue" as const, canary: "green" as const };
        for (const weights of [
            { blue: 100, green: 0 },
            { blue: 0, green: 100 },
        ]) {
            const check = checkCanary("orders", THRESHOLDS, weights, pair, figures(50), FULL);
            expect(check.outcome).to.equal("pass");
            expect(check.message).to.include("not applicable");
        }
    });
});
