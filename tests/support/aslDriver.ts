// A tiny interpreter of the subset of the Amazon States Language that the rollout state machine
// uses, so that the engine's code runs end to end on this machine through the REAL definition
// (src/rollout/render/stateMachine.ts). It is NOT Step Functions: no durability, no history, no
// concurrency, a virtual clock instead of time. It follows the spec's semantics for what it
// supports (Pass, Task with lambda:invoke and states:startExecution, Choice, Wait with SecondsPath,
// Succeed, Fail with Cause/CausePath; Parameters with ".$" paths and the intrinsics States.MathAdd
// and States.Format; ResultSelector, ResultPath, Retry with backoff, Catch) and throws on anything
// else rather than guess.
//
// Two rules of Step Functions it keeps, because a kinder driver hid defects (issue 16):
// - A Lambda's result reaches the state machine as JSON (the function's response is serialized), so
//   every Task result goes through a JSON round-trip before ResultSelector and Choice read it: a field
//   that is `undefined` disappears. A path that then does not exist is a States.Runtime error, and
//   AWS's error-handling page says States.ALL "cannot catch States.DataLimitExceeded terminal errors
//   or Runtime error types": no Retry or Catch applies, the execution fails.
// - The Wait state's page says of SecondsPath: "You must specify an integer value for this field"
//   (Seconds: "a positive, integer value from 0 up to 99999999"); any other value fails the
//   execution (States.Runtime here), it is never rounded.
// A Task's TimeoutSeconds is not enforced: the rollout's is longer than the function's own timeout,
// which the invoke callback models (the function's error then reaches Retry and Catch).

export interface VirtualClock {
    now(): Date;
    advance(seconds: number): void;
}

export function virtualClock(start: Date): VirtualClock {
    let ms = start.getTime();
    return { now: () => new Date(ms), advance: (seconds) => (ms += seconds * 1000) };
}

export interface DriverServices {
    /** lambda:invoke: the handler, called with the task's Payload; its result is JSON round-tripped. */
    invoke(functionName: string, payload: unknown): Promise<unknown>;
    /** Waits `seconds` of virtual time (Wait states, Retry intervals); default: clock.advance. */
    sleep?(seconds: number): Promise<void>;
    /** states:startExecution (the hand-over to a successor execution). */
    startExecution?(stateMachineArn: string, name: string, input: unknown): void;
    clock: VirtualClock;
    /** Called before each state is entered (tests use it to act "between" ticks). */
    onState?(name: string, input: Json): void | Promise<void>;
}

export type Json = unknown;

export interface ExecutionOutcome {
    readonly status: "SUCCEEDED" | "FAILED";
    readonly error?: string;
    readonly cause?: string;
    readonly output?: Json;
    /** Every state entered, in order. */
    readonly trace: string[];
}

class StatesError extends Error {
    constructor(
        readonly errorName: string,
        readonly cause: string,
    ) {
        super(`${errorName}: ${cause}`);
    }
}

function readPath(path: string, input: Json, context: Json): Json {
    const [root, rest] = path.startsWith("$$") ? [context, path.slice(2)] : [input, path.slice(1)];
    if (rest !== "" && !/^(\.[A-Za-z0-9_]+)+$/.test(rest)) {
        throw new Error(`aslDriver: unsupported path ${path}`);
    }
    let value: unknown = root;
    for (const key of rest.split(".").slice(1)) {
        if (value === null || typeof value !== "object" || !(key in (value as object))) {
            throw new StatesError("States.Runtime", `the path ${path} does not exist in the input`);
        }
        value = (value as Record<string, unknown>)[key];
    }
    return value;
}

/** A Choice rule's IsPresent: whether the path names a field of the input (ASL's Choice state). */
function isPresent(path: string, input: Json): boolean {
    try {
        readPath(path, input, {});
        return true;
    } catch (err) {
        if (err instanceof StatesError) {
            return false;
        }
        throw err;
    }
}

/** Evaluates a path or intrinsic-function expression (the value of a ".$" field). */
function evaluate(expression: string, input: Json, context: Json): Json {
    const text = expression.trim();
    const call = /^(States\.[A-Za-z]+)\((.*)\)$/s.exec(text);
    if (!call) {
        if (text.startsWith("'")) {
            return text.slice(1, -1);
        }
        if (/^-?\d+(\.\d+)?$/.test(text)) {
            return Number(text);
        }
        return readPath(text, input, context);
    }
    const args = splitArguments(call[2]).map((a) => evaluate(a, input, context));
    switch (call[1]) {
        case "States.MathAdd":
            return Number(args[0]) + Number(args[1]);
        case "States.Format": {
            let i = 1;
            return String(args[0]).replace(/\{\}/g, () => String(args[i++]));
        }
        default:
            throw new Error(`aslDriver: unsupported intrinsic ${call[1]}`);
    }
}

function splitArguments(text: string): string[] {
    const args: string[] = [];
    let depth = 0;
    let quoted = false;
    let current = "";
    for (const ch of text) {
        if (ch === "'") quoted = !quoted;
        if (!quoted && ch === "(") depth++;
        if (!quoted && ch === ")") depth--;
        if (!quoted && depth === 0 && ch === ",") {
            args.push(current);
            current = "";
            continue;
        }
        current += ch;
    }
    if (current.trim() !== "") args.push(current);
    return args;
}

function applyTemplate(template: Json, input: Json, context: Json): Json {
    if (Array.isArray(template)) {
        return template.map((t) => applyTemplate(t, input, context));
    }
    if (template === null || typeof template !== "object") {
        return template;
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template as Record<string, unknown>)) {
        if (key.endsWith(".$")) {
            out[key.slice(0, -2)] = evaluate(String(value), input, context);
        } else {
            out[key] = applyTemplate(value, input, context);
        }
    }
    return out;
}

function withResult(input: Json, resultPath: string | null | undefined, result: Json): Json {
    if (resultPath === null) {
        return input;
    }
    if (resultPath === undefined || resultPath === "$") {
        return result;
    }
    if (!/^\$\.[A-Za-z0-9_]+$/.test(resultPath)) {
        throw new Error(`aslDriver: unsupported ResultPath ${resultPath}`);
    }
    return { ...(input as Record<string, unknown>), [resultPath.slice(2)]: result };
}

/** Errors no Retry or Catch handles, States.ALL included (AWS's error-handling documentation). */
const UNCATCHABLE = ["States.Runtime", "States.DataLimitExceeded"];

function matches(errorEquals: readonly string[], errorName: string): boolean {
    if (UNCATCHABLE.includes(errorName)) {
        return false;
    }
    return errorEquals.includes("States.ALL") || errorEquals.includes(errorName) || (errorEquals.includes("States.TaskFailed") && errorName !== "States.Timeout");
}

/** What the state machine receives of a function's result: its JSON serialization, parsed. */
function throughJson(value: unknown): Json {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as Json);
}

/** A Wait's seconds: a whole number from 0 to 99999999, or the execution fails. */
function waitSeconds(value: unknown, where: string): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 99_999_999) {
        throw new StatesError("States.Runtime", `${where}: the Wait's seconds ${JSON.stringify(value)} is not a whole number from 0 to 99999999`);
    }
    return value;
}

interface RetryRule {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
}

interface CatchRule {
    ErrorEquals: string[];
    ResultPath?: string | null;
    Next: string;
}

interface AslState {
    Type: string;
    Next?: string;
    Default?: string;
    Parameters?: Json;
    Result?: Json;
    ResultPath?: string | null;
    ResultSelector?: Json;
    SecondsPath?: string;
    Seconds?: number;
    Choices?: Rule[];
    Error?: string;
    Cause?: string;
    CausePath?: string;
    Resource?: string;
    Retry?: RetryRule[];
    Catch?: CatchRule[];
}

export interface AslDefinition {
    StartAt: string;
    States: Record<string, AslState>;
}

type Rule = { Variable?: string; And?: Rule[]; BooleanEquals?: boolean; StringEquals?: string; NumericGreaterThanEquals?: number; IsPresent?: boolean; Next?: string };

function choose(rule: Rule, input: Json, context: Json): boolean {
    if (rule.And) {
        return rule.And.every((r) => choose(r, input, context));
    }
    if ("IsPresent" in rule) return isPresent(rule.Variable!, input) === rule.IsPresent;
    const value = readPath(rule.Variable!, input, context);
    if ("BooleanEquals" in rule) return value === rule.BooleanEquals;
    if ("StringEquals" in rule) return value === rule.StringEquals;
    if ("NumericGreaterThanEquals" in rule) return typeof value === "number" && value >= rule.NumericGreaterThanEquals!;
    throw new Error(`aslDriver: unsupported choice rule ${JSON.stringify(rule)}`);
}

/**
 * Runs one execution of `definition` to its end. `maxStates` guards against a loop that never ends.
 * An error no Catch handles ends the execution FAILED with that error, as in Step Functions.
 */
export async function runExecution(definition: AslDefinition, name: string, input: Json, services: DriverServices, maxStates = 100_000): Promise<ExecutionOutcome> {
    const trace: string[] = [];
    try {
        return await run(definition, name, input, services, maxStates, trace);
    } catch (err) {
        if (err instanceof StatesError) {
            return { status: "FAILED", error: err.errorName, cause: err.cause, trace };
        }
        throw err;
    }
}

async function run(definition: AslDefinition, name: string, input: Json, services: DriverServices, maxStates: number, trace: string[]): Promise<ExecutionOutcome> {
    const sleep = services.sleep ?? (async (seconds: number) => services.clock.advance(seconds));
    const context = { Execution: { Name: name, Input: input }, StateMachine: { Id: "local" } };
    let current: string | undefined = definition.StartAt;
    let data: Json = input;
    for (let n = 0; n < maxStates; n++) {
        if (current === undefined || !(current in definition.States)) {
            throw new Error(`aslDriver: no state ${current}`);
        }
        const state: AslState = definition.States[current];
        trace.push(current);
        await services.onState?.(current, data);
        switch (state.Type) {
            case "Pass":
                data = withResult(data, state.ResultPath, "Result" in state ? state.Result! : state.Parameters ? applyTemplate(state.Parameters, data, context) : data);
                current = state.Next;
                break;
            case "Wait":
                await sleep(waitSeconds(state.SecondsPath ? readPath(state.SecondsPath, data, context) : state.Seconds, current));
                current = state.Next;
                break;
            case "Choice": {
                const rule = (state.Choices as Rule[]).find((r) => choose(r, data, context));
                current = rule?.Next ?? state.Default;
                if (!current) throw new StatesError("States.NoChoiceMatched", `no choice matched in ${trace[trace.length - 1]}`);
                break;
            }
            case "Succeed":
                return { status: "SUCCEEDED", output: data, trace };
            case "Fail":
                return { status: "FAILED", error: state.Error, cause: state.CausePath ? String(readPath(state.CausePath, data, context)) : state.Cause, trace };
            case "Task": {
                const outcome = await runTask(state, data, context, services, sleep);
                if ("caught" in outcome) {
                    data = withResult(data, outcome.catcher.ResultPath, { Error: outcome.caught.errorName, Cause: outcome.caught.cause });
                    current = outcome.catcher.Next;
                } else {
                    data = withResult(data, state.ResultPath, state.ResultSelector ? applyTemplate(state.ResultSelector, outcome.result, context) : outcome.result);
                    current = state.Next;
                }
                break;
            }
            default:
                throw new Error(`aslDriver: unsupported state type ${state.Type}`);
        }
    }
    throw new Error(`aslDriver: more than ${maxStates} states entered`);
}

type TaskOutcome = { readonly result: Json } | { readonly caught: StatesError; readonly catcher: CatchRule };

async function runTask(state: AslState, data: Json, context: Json, services: DriverServices, sleep: (seconds: number) => Promise<void>): Promise<TaskOutcome> {
    const parameters = applyTemplate(state.Parameters, data, context) as { FunctionName: string; Payload: Json; StateMachineArn: string; Name: string; Input: Json };
    const retriesUsed = new Map<number, number>();
    for (;;) {
        try {
            if (state.Resource === "arn:aws:states:::lambda:invoke") {
                return { result: { Payload: throughJson(await services.invoke(parameters.FunctionName, throughJson(parameters.Payload))), StatusCode: 200 } };
            }
            if (state.Resource === "arn:aws:states:::states:startExecution") {
                services.startExecution?.(parameters.StateMachineArn, parameters.Name, parameters.Input);
                return { result: { ExecutionArn: `local:${parameters.Name}` } };
            }
            throw new Error(`aslDriver: unsupported resource ${state.Resource}`);
        } catch (err) {
            const caught = err instanceof StatesError ? err : new StatesError((err as Error).name || "Error", (err as Error).message);
            const retries = state.Retry ?? [];
            const retryIndex = retries.findIndex((r) => matches(r.ErrorEquals, caught.errorName));
            if (retryIndex >= 0) {
                const retry = retries[retryIndex];
                const used = retriesUsed.get(retryIndex) ?? 0;
                if (used < (retry.MaxAttempts ?? 3)) {
                    await sleep((retry.IntervalSeconds ?? 1) * Math.pow(retry.BackoffRate ?? 2, used));
                    retriesUsed.set(retryIndex, used + 1);
                    continue;
                }
            }
            const catcher = (state.Catch ?? []).find((c) => matches(c.ErrorEquals, caught.errorName));
            if (!catcher) {
                throw caught;
            }
            return { caught, catcher };
        }
    }
}
