// src/shared/weights.ts: the one home of a split's rules, used by config validation, the engine, the
// flip client and the policy pack.
import { expect } from "chai";
import { formatWeights, sameWeights, weightProblem, weightSumProblem } from "../../src/shared/weights";

describe("shared weight rules", () => {
    it("judge one weight as Consul does: a number from 0 to 100, at most 2 decimals", () => {
        expect([0, 100, 33.33, 0.01, 12.5].map(weightProblem)).to.deep.equal([undefined, undefined, undefined, undefined, undefined]);
        expect(weightProblem("50")).to.match(/is not a number/);
        expect(weightProblem(Number.NaN)).to.match(/is not a number/);
        expect(weightProblem(-1)).to.match(/outside 0\.\.100/);
        expect(weightProblem(100.01)).to.match(/outside 0\.\.100/);
        expect(weightProblem(33.333)).to.match(/more than 2 decimals/);
    });

    it("judge the sum in hundredths, so 33.33 + 66.67 is exactly 100 despite floating point", () => {
        expect(weightSumProblem([33.33, 66.67])).to.equal(undefined);
        expect(weightSumProblem([0.1, 99.9])).to.equal(undefined);
        expect(weightSumProblem([50, 49.99])).to.equal("weights sum to 99.99; blue + green must be exactly 100");
    });

    it("call two splits the same only when both exist and every colour's weight is equal", () => {
        expect(sameWeights({ blue: 90, green: 10 }, { blue: 90, green: 10 })).to.equal(true);
        expect(sameWeights({ blue: 90, green: 10 }, { blue: 10, green: 90 })).to.equal(false);
        expect(sameWeights(undefined, { blue: 90, green: 10 })).to.equal(false);
        expect(sameWeights({ blue: 90, green: 10 }, undefined)).to.equal(false);
    });

    it("write a split one way for people, colours in order, with percent signs", () => {
        expect(formatWeights({ blue: 90, green: 10 })).to.equal("blue 90% / green 10%");
        expect(formatWeights({ green: 0.5, blue: 99.5 })).to.equal("blue 99.5% / green 0.5%");
    });
});
