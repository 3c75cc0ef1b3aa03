// The canary analysis as a pure function over windows of figures: worse, equal, better, too little
// traffic, missing data, and the edges of each threshold.
import { expect } from "chai";
import { AnalysisThresholds, CanaryFigures, ColourWindow, judgeCanary } from "../../src/metrics/analysis";

const THRESHOLDS: AnalysisThresholds = { maxErrorRateIncrease: 1, maxLatencyRatio: 1.5, minRequests: 100, windowSeconds: 300 };

function figures(blue: ColourWindow, green: ColourWindow): CanaryFigures {
    return { baseline: { colour: "blue", ...blue }, canary: { colour: "green", ...green } };
}

describe("canary analysis (judgeCanary)", () => {
    it("equal: same error share and latency passes, with the figures it used", () => {
        const j = judgeCanary(figures({ requests: 900, errors: 9, p99Ms: 120 }, { requests: 100, errors: 1, p99Ms: 120 }), THRESHOLDS);
        expect(j.verdict).to.equal("pass");
        expect(j.baseline).to.deep.equal({ colour: "blue", requests: 900, errors: 9, errorRatePercent: 1, p99Ms: 120 });
        expect(j.canary).to.deep.equal({ colour: "green", requests: 100, errors: 1, errorRatePercent: 1, p99Ms: 120 });
        expect(j.thresholds).to.equal(THRESHOLDS);
        expect(j.reason).to.equal("green is within bounds of blue: error share green 1% vs blue 1% (+0 points, at most +1); p99 green 120 ms vs blue 120 ms (x1, at most x1.5)");
    });

    it("better: fewer errors and faster passes", () => {
        expect(judgeCanary(figures({ requests: 1000, errors: 50, p99Ms: 300 }, { requests: 200, errors: 0, p99Ms: 90 }), THRESHOLDS).verdict).to.equal("pass");
    });

    it("worse errors: more than N points above the baseline fails, exactly N passes", () => {
        const fail = judgeCanary(figures({ requests: 1000, errors: 10, p99Ms: 100 }, { requests: 200, errors: 5, p99Ms: 100 }), THRESHOLDS);
        expect(fail.verdict).to.equal("fail");
        expect(fail.reason).to.equal("green is worse than blue: error share green 2.5% vs blue 1% (+1.5 points, at most +1)");
        expect(judgeCanary(figures({ requests: 1000, errors: 10, p99Ms: 100 }, { requests: 200, errors: 4, p99Ms: 100 }), THRESHOLDS).verdict).to.equal("pass");
    });

    it("worse latency: a p99 above the factor of the baseline's fails, at the factor passes", () => {
        const fail = judgeCanary(figures({ requests: 1000, errors: 0, p99Ms: 200 }, { requests: 200, errors: 0, p99Ms: 301 }), THRESHOLDS);
        expect(fail.verdict).to.equal("fail");
        expect(fail.reason).to.match(/p99 green 301 ms vs blue 200 ms \(x1\.5\d*, at most x1\.5\)/);
        expect(judgeCanary(figures({ requests: 1000, errors: 0, p99Ms: 200 }, { requests: 200, errors: 0, p99Ms: 300 }), THRESHOLDS).verdict).to.equal("pass");
    });

    it("worse on both: names both failures", () => {
        const j = judgeCanary(figures({ requests: 1000, errors: 0, p99Ms: 100 }, { requests: 200, errors: 20, p99Ms: 400 }), THRESHOLDS);
        expect(j.verdict).to.equal("fail");
        expect(j.reason).to.include("error share").and.include("p99");
    });

    it("too little traffic on either colour is inconclusive, never a pass", () => {
        const short = judgeCanary(figures({ requests: 5000, errors: 0, p99Ms: 100 }, { requests: 99, errors: 0, p99Ms: 100 }), THRESHOLDS);
        expect(short.verdict).to.equal("inconclusive");
        expect(short.reason).to.equal("too little traffic: green served 99 of the 100 requests each colour needs in 5 min");
        expect(judgeCanary(figures({ requests: 10, errors: 0, p99Ms: 100 }, { requests: 500, errors: 0, p99Ms: 100 }), THRESHOLDS).verdict).to.equal("inconclusive");
        // Even a canary that fails every request is not judged before it has served enough.
        expect(judgeCanary(figures({ requests: 5000, errors: 0, p99Ms: 100 }, { requests: 50, errors: 50, p99Ms: 100 }), THRESHOLDS).verdict).to.equal("inconclusive");
    });

    it("missing data: no request data point is no traffic; no p99 while requests were served is inconclusive", () => {
        expect(judgeCanary(figures({ requests: 5000, p99Ms: 100 }, {}), THRESHOLDS).reason).to.match(/^too little traffic: green served 0 /);
        const noP99 = judgeCanary(figures({ requests: 5000, errors: 1 }, { requests: 500, errors: 0, p99Ms: 80 }), THRESHOLDS);
        expect(noP99.verdict).to.equal("inconclusive");
        expect(noP99.reason).to.equal("missing data: no p99 latency for blue although it served requests");
        // Without a latency threshold, a missing p99 does not matter.
        expect(judgeCanary(figures({ requests: 5000, errors: 1 }, { requests: 500 }), { ...THRESHOLDS, maxLatencyRatio: undefined }).verdict).to.equal("pass");
    });

    it("no error data point means no errors (metric filters publish nothing for a minute without a match)", () => {
        const j = judgeCanary(figures({ requests: 1000, p99Ms: 50 }, { requests: 300, p99Ms: 50 }), THRESHOLDS);
        expect(j.verdict).to.equal("pass");
        expect([j.baseline.errorRatePercent, j.canary.errorRatePercent]).to.deep.equal([0, 0]);
    });

    it("a sub-millisecond baseline (Envoy prints 0 ms) is compared as 1 ms", () => {
        expect(judgeCanary(figures({ requests: 1000, p99Ms: 0 }, { requests: 300, p99Ms: 1 }), THRESHOLDS).verdict).to.equal("pass");
        expect(judgeCanary(figures({ requests: 1000, p99Ms: 0 }, { requests: 300, p99Ms: 2 }), THRESHOLDS).verdict).to.equal("fail");
    });

    it("judges the colours it is told: green as baseline, blue as canary (a rollback's analysis)", () => {
        const j = judgeCanary({ baseline: { colour: "green", requests: 1000, errors: 0, p99Ms: 100 }, canary: { colour: "blue", requests: 500, errors: 50, p99Ms: 100 } }, THRESHOLDS);
        expect(j.verdict).to.equal("fail");
        expect(j.reason).to.match(/^blue is worse than green: error share blue 10% vs green 0%/);
    });
});
