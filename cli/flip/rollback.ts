// `npm run flip -- rollback --stack <s> --service <name> [--service ...] [--to blue|green]`: the
// emergency rollback. It reads what runs (claims, rollouts, history, live splits and passing
// instances from Consul), decides each service's target (rollbackPlan.ts), then invokes the engine's
// function once, synchronously, with a RollbackRequest: the engine aborts the services' running
// rollouts and writes each split once, with no steps, no bake and no gates, and records it in
// history. The client confirms the result from Consul, then writes the new splits into the stack
// file exactly as `set` does, so that git and a later `pulumi up` do not undo it.
// `--break-glass` runs the engine's own rollback code in this process with a token that may write
// the splitters, for when the engine's function cannot act; the state and history say so.
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ConsulHttpOptions } from "../../src/consul/httpClient";
import { HistoryRecord, isSettled, RollbackRequest, rollbackIdFor, ROLLOUT_HISTORY_PREFIX, RolloutState } from "../../src/rollout/contract";
import { readClaimedRollouts, readClaims, readRollout, rolloutConsulApi, RolloutConsulApi } from "../../src/rollout/consulApi";
import type { TickResult } from "../../src/rollout/handler";
import { stackValuesOf } from "../../src/offline/stackFile";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { formatWeights, sameWeights, Weights } from "../../src/shared/weights";
import type { FlipArgs } from "./args";
import { Clock, Detached, FlipInputError } from "./clientErrors";
import { confirmChange, Prompter } from "./confirm";
import { consulOptionsFrom, Environment } from "./consulOptions";
import { findService, StackContext } from "./context";
import { historyRecordOf } from "./documents";
import { EngineInvoker, InvokeOutcome, lambdaInvoker } from "./engineInvoke";
import {
    callersFirst,
    coloursToCheck,
    describeShortfall,
    forcedRisk,
    requiredInstances,
    rollbackRequest,
    rollbackTargets,
    RollbackTarget,
    ServiceView,
    shortfalls,
} from "./rollbackPlan";
import { changedLines, writeSplits } from "./set";

/** Retries of the same request after a failed invocation (the engine continues the same rollback). */
const ENGINE_RETRIES = 3;
/** Waits before each retry: short, because someone is waiting on a rollback. */
const RETRY_DELAYS_MS = [1000, 2000, 4000];
/**
 * How long one Invoke may take: the function's own timeout (60 s, src/rollout/render/stateMachine.ts
 * TICK_FUNCTION_TIMEOUT_SECONDS) and a margin for Lambda's answer.
 */
const INVOKE_TIMEOUT_MS = 70_000;

export interface RollbackEnvironment {
    readonly env: Environment;
    readonly clock: Clock;
    readonly prompter: Prompter;
    /** `user@host`, recorded in the request. */
    readonly user: string;
    readonly abort?: AbortSignal;
    readonly lockWaitMs?: number;
    /** Tests shorten it; default INVOKE_TIMEOUT_MS. */
    readonly invokeTimeoutMs?: number;
}

/** The Consul connection a rollback reads with (and, with --break-glass, writes with): --token-file, else the environment's token. */
function rollbackConsulOptions(args: FlipArgs, context: StackContext, env: Environment): ConsulHttpOptions {
    const options = consulOptionsFrom(args.consulAddress, env, context.config);
    if (!options) {
        throw new FlipInputError("Consul's address is unknown; pass --consul-address or set CONSUL_HTTP_ADDR (or bluegreen:consul.apiAddress)");
    }
    if (args.tokenFile === undefined) {
        if (args.breakGlass && !options.token) {
            throw new FlipInputError(`--break-glass needs a Consul token that may write service-splitters: --token-file <file> (${bootstrapTokenHint(args.stack)})`);
        }
        return options;
    }
    let token: string;
    try {
        token = fs.readFileSync(args.tokenFile, "utf8").trim();
    } catch (err) {
        throw new FlipInputError(`--token-file ${args.tokenFile} cannot be read: ${(err as Error).message}`);
    }
    if (token === "") {
        throw new FlipInputError(`--token-file ${args.tokenFile} is empty`);
    }
    return { ...options, token };
}

function bootstrapTokenHint(stack: string): string {
    return `the Consul bootstrap token is in Secrets Manager: aws secretsmanager get-secret-value --secret-id bluegreen/${stack}/consul/management-token --query SecretString --output text > token`;
}

/** What the client reads before it decides: each service's live split and rollout, and the history. */
async function readViews(consul: RolloutConsulApi, context: StackContext, names: readonly string[]): Promise<{ views: ServiceView[]; history: HistoryRecord[] }> {
    const claims = await readClaims(consul);
    const [rollouts, live, records] = await Promise.all([
        readClaimedRollouts(consul, claims.value, names),
        Promise.all(names.map((name) => consul.getSplit(name))),
        consul.listJson<unknown>(ROLLOUT_HISTORY_PREFIX),
    ]);
    const views = names.map((name, i): ServiceView => {
        const id = claims.value.services[name]?.rolloutId;
        return { config: findService(context, name), live: live[i], rollout: id === undefined ? undefined : rollouts.get(id)?.value };
    });
    const history = Object.keys(records)
        .sort()
        .map((key) => historyRecordOf(records[key], key));
    return { views, history };
}

/** The engine's rollback run in this process with the operator's stronger token (`--break-glass`). */
function breakGlassInvoker(options: ConsulHttpOptions, clock: Clock, log: (line: string) => void): EngineInvoker {
    return async (event) => {
        const { handleEvent } = await import("../../src/rollout/handler");
        try {
            const result = await handleEvent(event, {
                consul: rolloutConsulApi(options),
                // A rollback has no gates, and an abort does not judge them: alarms are not read.
                alarms: async () => {
                    throw new Error("not read: a break-glass rollback judges no gate");
                },
                now: () => new Date(clock.now()),
                log: (message) => log(`  engine (break-glass): ${message}`),
                breakGlass: true,
            });
            return { ok: true, result };
        } catch (err) {
            const status = (err as { status?: number }).status;
            const hint = status === 403 ? ` (Consul refused the token: it must be allowed to write the service-splitters and bluegreen/rollout/ in KV; ${bootstrapTokenHint(event.request.stack)})` : "";
            return { ok: false, retry: false, message: `the break-glass rollback failed: ${(err as Error).message}${hint}` };
        }
    };
}

/** Invokes until the engine answers, retrying the same request (the engine continues it); the last failure, or the result. */
async function invokeWithRetries(invoke: EngineInvoker, request: RollbackRequest, environment: RollbackEnvironment, write: (line: string) => void): Promise<{ outcome: InvokeOutcome; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
        const outcome = await invoke({ kind: "rollback", request }, environment.abort);
        if (environment.abort?.aborted) {
            throw new Detached(
                `stopped waiting for rollback ${rollbackIdFor(request.stack, request.id)}: an invocation the engine received runs to its end whether or not this client waits; ` +
                    `see npm run flip -- status --stack ${request.stack} ${request.services.map((s) => `--service ${s.service}`).join(" ")}, and roll back again if it did not happen`,
            );
        }
        if (outcome.ok || !outcome.retry || attempt > ENGINE_RETRIES) {
            return { outcome, attempts: attempt };
        }
        const delay = RETRY_DELAYS_MS[attempt - 1];
        write(`  ${outcome.message}`);
        write(`  retrying the same rollback (request ${request.id}) in ${delay / 1000}s: attempt ${attempt + 1} of ${ENGINE_RETRIES + 1}`);
        await environment.clock.sleep(delay);
    }
}

function shellQuote(text: string): string {
    return `'${text.replace(/'/g, "'\\''")}'`;
}

export async function runRollback(args: FlipArgs, context: StackContext, environment: RollbackEnvironment, command: string, write: (line: string) => void): Promise<number> {
    const { clock } = environment;
    const started = clock.now();
    const options = rollbackConsulOptions(args, context, environment.env);
    const consul = rolloutConsulApi(options);
    const names = args.services;

    const { views, history } = await readViews(consul, context, names);
    const { targets: unordered, refusals } = rollbackTargets(views, history, args.to);
    if (refusals.length > 0) {
        throw new FlipInputError(`nothing was rolled back:\n  ${refusals.join("\n  ")}`);
    }
    const targets = callersFirst(unordered, context.config.services);
    const viewOf = (service: string) => views.find((v) => v.config.name === service) as ServiceView;
    const checked = await Promise.all(coloursToCheck(targets).map(async (c) => ({ ...c, passing: await consul.passingInstances(c.service, c.colour) })));
    const short = shortfalls(checked, (service) => requiredInstances(viewOf(service)));
    if (short.length > 0 && !args.force) {
        throw new FlipInputError(
            `nothing was rolled back: the destination lacks passing instances:\n  ${short.map(describeShortfall).join("\n  ")}\n` +
                `Start the colour's tasks first, or pass --force to move the traffic anyway (it may not be served).`,
        );
    }
    const forced = short.length > 0 ? forcedRisk(short) : undefined;

    const mode = args.breakGlass ? " with break-glass (this client writes the splits itself, with the token given)" : "";
    write(`Rollback in ${args.stack}${mode}, callers first:`);
    for (const t of targets) {
        write(`  ${t.service}: ${t.from ? formatWeights(t.from) : "no splitter"} -> ${formatWeights(t.to)} (${t.why})${t.aborts ? `; aborts its running rollout ${t.aborts}` : ""}`);
    }
    if (forced) {
        write(`FORCED: ${forced}.`);
    }
    await confirmChange(args.stack, `roll back ${names.join(", ")} in ${args.stack}${args.breakGlass ? " with break-glass" : ""}`, args.yes, environment.prompter);

    const request = rollbackRequest(randomUUID(), args.stack, targets, environment.user, new Date(clock.now()).toISOString(), args.reason, forced);
    const rollbackId = rollbackIdFor(args.stack, request.id);
    let invoke: EngineInvoker;
    let how: string;
    if (args.breakGlass) {
        invoke = breakGlassInvoker(options, clock, write);
        how = `break-glass, in this client, as ${environment.user}, with the token given`;
    } else {
        const lambda = await lambdaInvoker(stackValuesOf(context.text, context.file), args.stack, context.config.region, environment.invokeTimeoutMs ?? INVOKE_TIMEOUT_MS);
        invoke = lambda.invoke;
        how = `the engine's function ${lambda.functionName}, as ${lambda.identity}`;
    }
    write(`Rolling back (rollback ${rollbackId}) through ${how}...`);
    const { outcome, attempts } = await invokeWithRetries(invoke, request, environment, write);
    if (!outcome.ok) {
        write(`FAILED: ${outcome.message}${attempts > 1 ? ` (${attempts} attempts)` : ""}.`);
        write(
            args.breakGlass
                ? `Rollback ${rollbackId} may be partly done; run the same command again (it aborts what is left running and writes the splits).`
                : `Rollback ${rollbackId} may be partly done; the engine continues it if invoked again. If the engine cannot act (its function failing, ` +
                      `Lambda or Step Functions unavailable), roll back with break-glass: ${bootstrapTokenHint(args.stack)}, then run ` +
                      `npm run flip -- rollback --stack ${args.stack} ${names.map((n) => `--service ${n}`).join(" ")}${args.to ? ` --to ${args.to}` : ""} --break-glass --token-file token --yes`,
        );
        return EXIT_CODES.INTERNAL;
    }
    const running = [...new Set(targets.flatMap((t) => (t.aborts ? [t.aborts] : [])))].map((id) => views.find((v) => v.rollout?.rolloutId === id)!.rollout!);
    return report(outcome.result, { args, context, environment, consul, targets, request, rollbackId, started, attempts, command, running }, write);
}

interface Done {
    readonly args: FlipArgs;
    readonly context: StackContext;
    readonly environment: RollbackEnvironment;
    readonly consul: RolloutConsulApi;
    readonly targets: readonly RollbackTarget[];
    readonly request: RollbackRequest;
    readonly rollbackId: string;
    readonly started: number;
    readonly attempts: number;
    readonly command: string;
    /** The running rollouts the rollback ends, as read before it. */
    readonly running: readonly RolloutState[];
}

/**
 * How a rollout the rollback ended now stands: its state, or, once the rollback displaced it (no
 * claim names it any more, so the engine removed its state), its history record.
 */
async function endOf(consul: RolloutConsulApi, rolloutId: string): Promise<{ phase: string; reason?: string } | undefined> {
    const state = (await readRollout(consul, rolloutId))?.value;
    if (state) {
        return { phase: state.phase, reason: state.reason };
    }
    const records = await consul.listJson<unknown>(ROLLOUT_HISTORY_PREFIX);
    const key = Object.keys(records).find((k) => k.endsWith(`-${rolloutId}`));
    const record = key === undefined ? undefined : historyRecordOf(records[key], key);
    return record && { phase: record.result, reason: record.reason };
}

/** Confirms the result from Consul (the rollback's own state, settled), says what happened, and writes the stack file. */
async function report(result: TickResult, done: Done, write: (line: string) => void): Promise<number> {
    const { args, context, consul, targets, rollbackId, environment } = done;
    const state: RolloutState | undefined = (await readRollout(consul, rollbackId))?.value;
    if (!result.done || result.phase !== "promoted" || state === undefined || !isSettled(state) || state.phase !== "promoted") {
        const seen = state ? `its state in Consul is ${state.phase}${isSettled(state) ? "" : " with splitter writes pending"}` : "it has no state in Consul";
        write(`NOT DONE: the engine answered ${result.phase}${result.reason ? ` (${result.reason})` : ""}; ${seen}.`);
        write(`Follow it with: npm run flip -- status --stack ${args.stack} ${args.services.map((s) => `--service ${s}`).join(" ")}`);
        return state && !isSettled(state) ? EXIT_CODES.NOT_DONE : EXIT_CODES.INTERNAL;
    }
    const seconds = ((environment.clock.now() - done.started) / 1000).toFixed(2);
    write(`Rolled back${state.breakGlass ? " with BREAK-GLASS" : ""} in ${seconds}s (rollback ${rollbackId}${done.attempts > 1 ? `, ${done.attempts} invocations` : ""}):`);
    for (const t of targets) {
        write(`  ${t.service}: ${t.from ? formatWeights(t.from) : "no splitter"} -> ${formatWeights(t.to)}`);
    }
    // A release of several services is aborted as a whole: its other services went back too.
    const restored: { service: string; to: Weights; why: string }[] = [];
    for (const before of done.running) {
        const id = before.rolloutId;
        const end = await endOf(consul, id);
        const services = before.spec.services.map((s) => s.service);
        write(`  ${end?.phase === "aborted" ? "aborted" : "ended"} rollout ${id} (${services.join(", ")}): ${end ? `${end.phase}${end.reason ? `, ${end.reason}` : ""}` : "neither its state nor its history record is in Consul"}`);
        for (const service of services.filter((s) => !targets.some((t) => t.service === s))) {
            const to = before.from[service];
            if (end?.phase === "aborted" && to && context.config.services.some((s) => s.name === service)) {
                restored.push({ service, to, why: `restored with the aborted release ${id}` });
            }
        }
    }
    write(`Recorded in history: by ${state.requestedBy} at ${state.endedAt ?? state.updatedAt}, reason: ${state.reason ?? "none given"} (npm run flip -- history --stack ${args.stack}).`);
    return writeBack(done, [...targets.map((t) => ({ service: t.service, to: t.to, why: "" })), ...restored], write);
}

/** The stack file: each service's new split, as `set` writes it, and how to commit it. */
async function writeBack(done: Done, splits: readonly { service: string; to: Weights; why: string }[], write: (line: string) => void): Promise<number> {
    const { context, args } = done;
    const changed = splits.filter((t) => !sameWeights(findService(context, t.service).traffic, t.to));
    const list = changed.map((t) => ({ service: findService(context, t.service), weights: t.to }));
    const file = `Pulumi.${args.stack}.yaml`;
    if (list.length === 0) {
        write(`${file} already asks for these splits; nothing to commit.`);
        return EXIT_CODES.OK;
    }
    let edit;
    try {
        edit = await writeSplits(context, list, done.command, { onWait: write, waitMs: done.environment.lockWaitMs });
    } catch (err) {
        write(
            `The rollback is done in Consul, but ${context.file} was NOT updated: ${(err as Error).message}. ` +
                `Set ${list.map((c) => `${c.service.name} to ${formatWeights(c.weights)}`).join(", ")} in its traffic by hand and commit it, ` +
                `or a later pulumi up asks for the old split again.`,
        );
        return EXIT_CODES.DEGRADED;
    }
    write(`Wrote the rolled-back split to ${context.file}:`);
    for (const t of changed) {
        write(`  ${t.service}: ${formatWeights(findService(context, t.service).traffic)} -> ${formatWeights(t.to)}${t.why ? ` (${t.why})` : ""}`);
    }
    write(changedLines(edit.before, edit.after));
    const message = `Roll back ${list.map((c) => `${c.service.name} to ${formatWeights(c.weights)}`).join(", ")}${args.reason ? `: ${args.reason}` : ""} (${done.rollbackId})`;
    write(`commit ${file}, so that git says what runs and a later pulumi up does not undo the rollback:`);
    // As the operator would type it from where they ran the flip (the project folder, usually).
    const relative = path.relative(process.cwd(), context.file);
    write(`  git add ${shellQuote(relative.startsWith("..") || path.isAbsolute(relative) ? context.file : relative)}`);
    write(`  git commit -m ${shellQuote(message)}`);
    return EXIT_CODES.OK;
}
