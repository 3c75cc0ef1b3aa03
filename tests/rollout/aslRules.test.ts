// The two rules of Step Functions the local ASL driver (tests/support/aslDriver.ts) applies because
// the engine must survive them (issue 16, point 5), as AWS documents them ("Handling errors" in the
// Step Functions developer guide): a Lambda's result reaches the state machine as JSON, so a field
// that is `undefined` is gone and a ResultSelector path to it fails; a Wait's SecondsPath must be a
// non-negative integer. Both are States.Runtime, which no Retry or Catch matches, not even States.ALL.
import { expect } from "chai";
import { wholeSeconds } from "../../src/rollout/render/stateMachine";
import { AslDefinition, runExecution, virtualClock } from "../support/aslDriver";
import { T0 } from "./fixtures";

const catchAll = [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Caught" }];

function machine(waitSeconds: unknown, reason: unknown): { definition: AslDefinition; run: () => ReturnType<typeof runExecution> } {
    const definition: AslDefinition = {
        StartAt: "Tick",
        States: {
            Tick: {
                Type: "Task",
                Resource: "arn:aws:states:::lambda:invoke",
                Parameters: { FunctionName: "fn", Payload: {} },
                ResultSelector: { "waitSeconds.$": "$.Payload.waitSeconds", "reason.$": "$.Payload.reason" },
                ResultPath: "$.tick",
                Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
                Catch: catchAll,
                Next: "Wait",
            },
            Wait: { Type: "Wait", SecondsPath: "$.tick.waitSeconds", Next: "Done" },
            Done: { Type: "Succeed" },
            Caught: { Type: "Fail", Error: "Caught" },
        },
    };
    return { definition, run: () => runExecution(definition, "x", {}, { clock: virtualClock(T0), invoke: async () => ({ waitSeconds, reason }) }) };
}

describe("the ASL driver applies Step Functions' JSON and Wait rules (issue 16, point 5)", () => {
    it("runs a well-formed result through", async () => {
        expect((await machine(15, "").run()).status).to.equal("SUCCEEDED");
    });

    it("a result field that is undefined does not survive JSON: the ResultSelector fails with States.Runtime, and no Catch catches it", async () => {
        const outcome = await machine(15, undefined).run();
        expect(outcome).to.include({ status: "FAILED", error: "States.Runtime" });
        expect(outcome.trace).not.to.include("Caught");
    });

    for (const bad of [1.5, -5, "15", null]) {
        it(`a SecondsPath value of ${JSON.stringify(bad)} fails the execution with States.Runtime, uncaught`, async () => {
            const outcome = await machine(bad, "").run();
            expect(outcome).to.include({ status: "FAILED", error: "States.Runtime" });
            expect(outcome.cause).to.contain("is not a whole number from 0 to 99999999");
            expect(outcome.trace).not.to.include("Caught");
        });
    }

    it("the engine's waits are whole, non-negative seconds whatever it computes", () => {
        expect([1.5, -5, 0, 14.0001, Number.NaN, Infinity].map(wholeSeconds)).to.deep.equal([2, 0, 0, 15, 0, 0]);
    });
});
