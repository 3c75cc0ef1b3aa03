// The rollout state machine's definition, checked with a real Amazon States Language validator
// (asl-validator: the ASL JSON schemas plus its path and ARN checks), and its shape: every task is
// retried and caught, and an execution stays well inside Step Functions' 25,000-event history.
import { expect } from "chai";
import aslValidator from "asl-validator";
import { engineSilenceLimitSeconds, HISTORY_EVENT_LIMIT, HISTORY_EVENTS_PER_TICK, MAX_TICKS_PER_EXECUTION, rolloutStateMachine } from "../../src/rollout/render/stateMachine";

const FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:prod-rollout";
const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-rollout";

type States = Record<string, { Type: string; Next?: string; Retry?: unknown[]; Catch?: { Next: string }[]; Resource?: string }>;

describe("rollout state machine definition", () => {
    const definition = rolloutStateMachine(FUNCTION, MACHINE);
    const states = definition.States as States;

    it("is valid Amazon States Language (asl-validator), as registered and with the short hand-over the tests use", () => {
        for (const candidate of [definition, rolloutStateMachine(FUNCTION, MACHINE, 5)]) {
            const result = aslValidator(candidate);
            expect(result.errorsText(), "validator errors").to.equal("");
            expect(result.isValid).to.equal(true);
        }
    });

    it("the validator does reject a broken definition (it is not a check that cannot fail)", () => {
        const broken = structuredClone(definition) as { States: States };
        broken.States.Wait.Next = "Nowhere";
        expect(aslValidator(broken).isValid).to.equal(false);
        const noWait = structuredClone(definition) as { States: Record<string, unknown> };
        delete noWait.States.Wait;
        expect(aslValidator(noWait).isValid).to.equal(false);
    });

    it("retries and catches every task, and every catch leads to a Fail that rolled back", () => {
        for (const [name, state] of Object.entries(states).filter(([, s]) => s.Type === "Task")) {
            expect(state.Retry, `${name} Retry`).to.have.length.greaterThan(0);
            expect(state.Catch, `${name} Catch`).to.have.length(1);
        }
        expect(states.Tick.Catch![0].Next).to.equal("RollBackOnError");
        expect(states.RollBackOnError.Next).to.equal("EngineFailed");
        expect(states.EngineFailed.Type).to.equal("Fail");
        expect(states.Tick.Resource).to.equal("arn:aws:states:::lambda:invoke");
    });

    it("an execution's ticks fit in the history limit; longer rollouts hand over to a successor", () => {
        const worstCase = MAX_TICKS_PER_EXECUTION * HISTORY_EVENTS_PER_TICK + 50;
        expect(worstCase).to.be.lessThan(HISTORY_EVENT_LIMIT);
        expect(JSON.stringify(definition)).to.contain(`"NumericGreaterThanEquals":${MAX_TICKS_PER_EXECUTION}`);
        expect(states.ContinueAsNew.Resource).to.equal("arn:aws:states:::states:startExecution");
    });
});

describe("the engine's silence bound (docs/rollouts.md, guarantee 3)", () => {
    it("is the check interval (or the hand-over, if longer) plus a tick that fails every retry", () => {
        // 10 attempts of 70 s and 2+4+8+16+32+64 + 5+10+20 s of backoff; a hand-over: 6 of 30 s and 62 s.
        expect(engineSilenceLimitSeconds(15)).to.equal(242 + 861);
        expect(engineSilenceLimitSeconds(600)).to.equal(600 + 861);
    });
});
