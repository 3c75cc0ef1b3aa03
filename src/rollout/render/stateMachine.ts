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
    /**
     * For each service of the release, the rollout it belonged to when the client read the claims
     * ("" for none; contract.ts, how a rollout starts). The first tick claims the services only if
     * each still belongs to that rollout and it is settled, so an execution never takes a service
     * from a rollout it was not asked to follow, and a retried or late tick never starts an ended
     * rollout again. A successor execution (hand-over) carries NEVER_STARTS instead: it finds its
     * rollout's state in Consul.
     */
    readonly startAfter: Readonly<Record<string, string>> | typeof NEVER_STARTS;
    /** Which execution of the rollout this is (0 first; each hand-over adds 1). */
    readonly generation: number;
    readonly count: { readonly n: number };
}

/** The startAfter of an execution that must never start a rollout (a successor, or one handed over by an older definition). */
export const NEVER_STARTS = "never";

/** The execution name of a rollout's `generation`th execution. */
export function executionNameOf(rolloutId: string, generation: number): string {
    return generation === 0 ? rolloutId : `${rolloutId}-g${generation}`;
}

/** The tick Lambda's own timeout (the RolloutEngine component sets it on the function). */
export const TICK_FUNCTION_TIMEOUT_SECONDS = 60;
/** The Task's timeout: the function's, plus room for the invocation around it. */
const TICK_TASK_TIMEOUT_SECONDS = TICK_FUNCTION_TIMEOUT_SECONDS + 10;
/** The hand-over's StartExecution call, each attempt. */
const HANDOVER_TASK_TIMEOUT_SECONDS = 30;

interface RetryRule {
    readonly ErrorEquals: readonly string[];
    readonly IntervalSeconds: number;
    readonly MaxAttempts: number;
    readonly BackoffRate: number;
}

const LAMBDA_RETRY: readonly RetryRule[] = [
    // AWS's advice for every Lambda task: retry the service's own transient errors.
    { ErrorEquals: ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
    // The tick itself failed (Consul unreachable while reading or writing the state): try again
    // before giving up; observation errors never get here, they are failed gate checks.
    { ErrorEquals: ["States.TaskFailed", "States.Timeout"], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 },
];
const HANDOVER_RETRY: readonly RetryRule[] = [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 2 }];

/** The longest a Task with these retries can run before it fails past them: every attempt timing out, every backoff waited. */
function longestTaskSeconds(timeoutSeconds: number, retries: readonly RetryRule[]): number {
    const attempts = 1 + retries.reduce((n, r) => n + r.MaxAttempts, 0);
    const backoffs = retries.reduce((total, r) => total + Array.from({ length: r.MaxAttempts }, (_, i) => r.IntervalSeconds * Math.pow(r.BackoffRate, i)).reduce((a, b) => a + b, 0), 0);
    return attempts * timeoutSeconds + backoffs;
}

/** A tick that fails every attempt: 10 attempts of 70 s and 161 s of backoff, 861 s. */
const LONGEST_TICK_SECONDS = longestTaskSeconds(TICK_TASK_TIMEOUT_SECONDS, LAMBDA_RETRY);
/** A hand-over that fails every attempt: 6 attempts of 30 s and 62 s of backoff, 242 s. */
const LONGEST_HANDOVER_SECONDS = longestTaskSeconds(HANDOVER_TASK_TIMEOUT_SECONDS, HANDOVER_RETRY);

/** The partition of an ARN (`arn:<partition>:...`): the service integrations live in the same one. */
function partitionOf(arn: string): string {
    const partition = /^arn:([a-z-]+):/.exec(arn)?.[1];
    if (partition === undefined) {
        throw new Error(`rolloutStateMachine: ${JSON.stringify(arn)} is not an ARN`);
    }
    return partition;
}

/**
 * The longest a working execution goes without writing the rollout's state: between two ticks it
 * waits at most the check interval (or, at a hand-over, which goes straight from a tick to the
 * successor's first tick, the hand-over), then a tick may take LONGEST_TICK_SECONDS before it
 * writes or fails past its retries (after which the Catch ends the rollout, as the watchdog would).
 * Longer than this without a write, no execution is working on the rollout.
 */
export function engineSilenceLimitSeconds(checkIntervalSeconds: number): number {
    return Math.max(checkIntervalSeconds, LONGEST_HANDOVER_SECONDS) + LONGEST_TICK_SECONDS;
}

/**
 * A Wait's SecondsPath must be a non-negative integer, or the execution fails with States.Runtime,
 * which no Catch catches: every wait the tick returns goes through this.
 */
export function wholeSeconds(seconds: number): number {
    return Number.isFinite(seconds) ? Math.max(0, Math.ceil(seconds)) : 0;
}

export function rolloutStateMachine(functionArn: string, stateMachineArn: string, maxTicks = MAX_TICKS_PER_EXECUTION): Record<string, unknown> {
    const invoke = (payload: Record<string, unknown>) => ({
        Type: "Task",
        Resource: `arn:${partitionOf(functionArn)}:states:::lambda:invoke`,
        Parameters: { FunctionName: functionArn, Payload: payload },
        ResultSelector: { "done.$": "$.Payload.done", "phase.$": "$.Payload.phase", "waitSeconds.$": "$.Payload.waitSeconds", "reason.$": "$.Payload.reason" },
        TimeoutSeconds: TICK_TASK_TIMEOUT_SECONDS,
        Retry: LAMBDA_RETRY,
    });
    return {
        Comment: "bluegreen rollout: one execution per release; the state is in Consul KV (bluegreen/rollout/)",
        StartAt: "StartAfter?",
        States: {
            // An execution of an older definition hands over to this one with an input that lacks
            // startAfter, and a path to a missing field fails the Tick with States.Runtime, which no
            // Catch catches. Such a successor never starts a rollout (its rollout's state is already
            // in Consul).
            "StartAfter?": {
                Type: "Choice",
                Choices: [{ Variable: "$.startAfter", IsPresent: false, Next: "NeverStarts" }],
                Default: "Count",
            },
            NeverStarts: { Type: "Pass", Result: NEVER_STARTS, ResultPath: "$.startAfter", Next: "Count" },
            Count: { Type: "Pass", Parameters: { "n.$": "States.MathAdd($.count.n, 1)" }, ResultPath: "$.count", Next: "Tick" },
            Tick: {
                ...invoke({ kind: "tick", "rolloutId.$": "$.rolloutId", "specHash.$": "$.specHash", "spec.$": "$.spec", "requestedBy.$": "$.requestedBy", "startAfter.$": "$.startAfter" }),
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
                        // The successor finds its rollout's state in Consul; it never starts one.
                        startAfter: NEVER_STARTS,
                        "generation.$": "States.MathAdd($.generation, 1)",
                        count: { n: 0 },
                    },
                },
                TimeoutSeconds: HANDOVER_TASK_TIMEOUT_SECONDS,
                Retry: HANDOVER_RETRY,
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
