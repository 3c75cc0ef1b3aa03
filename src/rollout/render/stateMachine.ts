// The rollout state machine's Amazon States Language definition (a Standard workflow, one execution
// per rollout). Pure: the Lambda's and the state machine's ARNs in, the JSON document out.
//
//   Count -> Tick (Lambda) -> Done? --no--> Wait (SecondsPath) -> Count ...
//                 |              |--promoted--> Promoted (Succeed)
//                 |              |--ended otherwise--> NotPromoted (Fail, the reason as cause)
//                 |              `--MAX_TICKS_PER_EXECUTION ticks--> ContinueAsNew -> HandedOver (Succeed)
//                 `--error past retries (Catch)--> RollBackOnError (Lambda) -> EngineFailed (Fail)
//
// A Standard execution keeps at most 25,000 history events; one loop (Pass, Task, Choice, Wait) adds
// about 11, so after MAX_TICKS_PER_EXECUTION ticks the execution starts its successor with the same
// input (the rollout's state lives in Consul, not in the execution) and ends. A rollout may thus be
// paused or bake for as long as it needs.

/** One loop adds: Pass entered/exited (2), Task entered/scheduled/started/succeeded/exited (5), Choice (2), Wait (2). */
export const HISTORY_EVENTS_PER_TICK = 11;
export const HISTORY_EVENT_LIMIT = 25_000;
/** Leaves room for the Catch path and the hand-over. */
export const MAX_TICKS_PER_EXECUTION = 2_000;

/** The execution input the Release resource starts a rollout with. */
export interface ExecutionInput {
    readonly rolloutId: string;
    readonly specHash: string;
    readonly spec: unknown;
    readonly requestedBy: string;
    /** Which execution of the rollout this is (0 first; each hand-over adds 1). */
    readonly generation: number;
    readonly count: { readonly n: number };
}

/** The execution name of a rollout's `generation`th execution. */
export function executionNameOf(rolloutId: string, generation: number): string {
    return generation === 0 ? rolloutId : `${rolloutId}-g${generation}`;
}

const LAMBDA_RETRY = [
    // AWS's advice for every Lambda task: retry the service's own transient errors.
    { ErrorEquals: ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
    // The tick itself failed (Consul unreachable while reading or writing the state): try again
    // before giving up; observation errors never get here, they are failed gate checks.
    { ErrorEquals: ["States.TaskFailed", "States.Timeout"], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 },
];

/** The partition of an ARN (`arn:<partition>:...`): the service integrations live in the same one. */
function partitionOf(arn: string): string {
    const partition = /^arn:([a-z-]+):/.exec(arn)?.[1];
    if (partition === undefined) {
        throw new Error(`rolloutStateMachine: ${JSON.stringify(arn)} is not an ARN`);
    }
    return partition;
}

/** Step Functions' limit on one attempt of a Lambda task (the Tick, and the rollback after an engine error). */
const TASK_TIMEOUT_SECONDS = 120;

/**
 * The longest Step Functions may spend on one Lambda task before it gives up: every attempt (the
 * first, and each retrier's MaxAttempts, counted apart as the States Language says) running to
 * TASK_TIMEOUT_SECONDS, plus every retrier's backoff. Past this after a tick was due, plus the same
 * for the rollback the Catch runs, the engine will write nothing more by itself.
 */
export function longestTaskSeconds(): number {
    const attempts = 1 + LAMBDA_RETRY.reduce((n, r) => n + r.MaxAttempts, 0);
    const backoff = LAMBDA_RETRY.reduce((sum, r) => sum + Array.from({ length: r.MaxAttempts }, (_, i) => r.IntervalSeconds * Math.pow(r.BackoffRate, i)).reduce((a, b) => a + b, 0), 0);
    return attempts * TASK_TIMEOUT_SECONDS + backoff;
}

export function rolloutStateMachine(functionArn: string, stateMachineArn: string, maxTicks = MAX_TICKS_PER_EXECUTION): Record<string, unknown> {
    const invoke = (payload: Record<string, unknown>) => ({
        Type: "Task",
        Resource: `arn:${partitionOf(functionArn)}:states:::lambda:invoke`,
        Parameters: { FunctionName: functionArn, Payload: payload },
        ResultSelector: { "done.$": "$.Payload.done", "phase.$": "$.Payload.phase", "waitSeconds.$": "$.Payload.waitSeconds", "reason.$": "$.Payload.reason" },
        TimeoutSeconds: TASK_TIMEOUT_SECONDS,
        Retry: LAMBDA_RETRY,
    });
    return {
        Comment: "bluegreen rollout: one execution per release; the state is in Consul KV (bluegreen/rollout/)",
        StartAt: "Count",
        States: {
            Count: { Type: "Pass", Parameters: { "n.$": "States.MathAdd($.count.n, 1)" }, ResultPath: "$.count", Next: "Tick" },
            Tick: {
                ...invoke({ kind: "tick", "rolloutId.$": "$.rolloutId", "specHash.$": "$.specHash", "spec.$": "$.spec", "requestedBy.$": "$.requestedBy" }),
                ResultPath: "$.tick",
                Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "RollBackOnError" }],
                Next: "Done?",
            },
            "Done?": {
                Type: "Choice",
                Choices: [
                    { And: [{ Variable: "$.tick.done", BooleanEquals: false }, { Variable: "$.count.n", NumericGreaterThanEquals: maxTicks }], Next: "ContinueAsNew" },
                    { Variable: "$.tick.done", BooleanEquals: false, Next: "Wait" },
                    { Variable: "$.tick.phase", StringEquals: "promoted", Next: "Promoted" },
                ],
                Default: "NotPromoted",
            },
            Wait: { Type: "Wait", SecondsPath: "$.tick.waitSeconds", Next: "Count" },
            ContinueAsNew: {
                Type: "Task",
                Resource: `arn:${partitionOf(stateMachineArn)}:states:::states:startExecution`,
                Parameters: {
                    StateMachineArn: stateMachineArn,
                    "Name.$": "States.Format('{}-g{}', $.rolloutId, States.MathAdd($.generation, 1))",
                    Input: {
                        "rolloutId.$": "$.rolloutId",
                        "specHash.$": "$.specHash",
                        "spec.$": "$.spec",
                        "requestedBy.$": "$.requestedBy",
                        "generation.$": "States.MathAdd($.generation, 1)",
                        count: { n: 0 },
                    },
                },
                Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 2 }],
                Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "RollBackOnError" }],
                ResultPath: null,
                Next: "HandedOver",
            },
            HandedOver: { Type: "Succeed", Comment: "the next execution of this rollout goes on from the state in Consul" },
            Promoted: { Type: "Succeed" },
            NotPromoted: { Type: "Fail", Error: "RolloutNotPromoted", CausePath: "$.tick.reason" },
            RollBackOnError: {
                ...invoke({ kind: "engine-error", "rolloutId.$": "$.rolloutId", "error.$": "$.error" }),
                ResultPath: "$.rollback",
                Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.rollbackError", Next: "EngineFailed" }],
                Next: "EngineFailed",
            },
            EngineFailed: {
                Type: "Fail",
                Error: "RolloutEngineFailed",
                Cause: "the tick failed past its retries; the engine tried to restore the starting split (npm run flip -- status says whether it did)",
            },
        },
    };
}
