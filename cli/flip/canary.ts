// The flip itself: for each step, pass the gates, write the weights, apply; between steps, bake
// while polling the gates. A failing gate, a failed apply or Ctrl-C returns the traffic to the
// split the command started from, through the same write-and-apply path, and the command exits
// non-zero with what failed.
import * as fs from "fs";
import { Colour, ServiceConfig } from "../../src/config";
import { formatDuration } from "./args";
import { Applier, NothingAppliedError } from "./apply";
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../shared/exitCodes";
import { StackContext } from "./context";
import { AlarmReader, configGate, formatGates, GateOutcome, HealthSource, liveGates } from "./gates";
import { Progress } from "./progress";
import { editTrafficText, StackLock, writeFileAtomic } from "./stackFile";
import { formatWeights, planSteps, sameWeights, Weights } from "./steps";

/** Delivers Ctrl-C (SIGINT) to the flip; returns a function that stops listening. */
export interface Interrupts {
    onInterrupt(handler: () => void): () => void;
}

export interface CanaryDeps {
    readonly applier: Applier;
    readonly consul?: HealthSource;
    readonly alarms?: AlarmReader;
    readonly progress: Progress;
    readonly interrupts: Interrupts;
    /** Waits `ms`, or less when `signal` aborts. */
    readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
    readonly now: () => number;
}

export interface CanaryRequest {
    readonly context: StackContext;
    readonly service: ServiceConfig;
    readonly to: Colour;
    readonly steps?: readonly number[];
    readonly intervalMs: number;
    readonly pollMs: number;
    /** Recorded in the lock file, so a refused flip can say who holds the stack. */
    readonly command: string;
}

export function processInterrupts(): Interrupts {
    return {
        onInterrupt(handler) {
            process.on("SIGINT", handler);
            return () => process.off("SIGINT", handler);
        },
    };
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        if (signal.aborted) {
            return resolve();
        }
        const timer = setTimeout(done, ms);
        function done() {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            resolve();
        }
        signal.addEventListener("abort", done);
    });
}

type Outcome = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly interrupted: boolean };

export async function runCanary(request: CanaryRequest, deps: CanaryDeps): Promise<number> {
    const { context, service, to, progress } = { ...request, progress: deps.progress };
    const original = service.traffic;
    const steps = planSteps(original, to, request.steps);
    if (steps.length === 0) {
        progress.event(`nothing to do: ${to} already has 100% (${formatWeights(original)})`);
        return EXIT_OK;
    }
    // Whatever cannot work at all stops the flip here, before any gate runs or anything is written.
    editTrafficText(context.text, service.name, steps[0]);
    await deps.applier.ready?.();
    const lock = StackLock.acquire(context.file, request.command);
    const interrupt = new AbortController();
    const stopListening = deps.interrupts.onInterrupt(() => {
        if (interrupt.signal.aborted) {
            progress.event("interrupted again: the return to the starting split is already under way; let it finish");
            return;
        }
        progress.event(`interrupted: returning ${service.name} to ${formatWeights(original)} once the current action ends`);
        interrupt.abort();
    });
    const interrupted = (): Outcome => ({ ok: false, reason: "interrupted (Ctrl-C)", interrupted: true });

    /** True once the stack may run weights other than the original ones (a step's apply was tried). */
    let changed = false;
    const write = (weights: Weights) => {
        const text = fs.readFileSync(context.file, "utf8");
        writeFileAtomic(context.file, editTrafficText(text, service.name, weights));
    };
    const apply = (weights: Weights, reason: "step" | "rollback") =>
        deps.applier.apply({
            stack: context.stack,
            service: service.name,
            weights,
            workDir: context.dir,
            reason,
            onOutput: (text) => {
                for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
                    progress.status(`pulumi: ${line.trim()}`);
                }
            },
        });

    async function runSteps(): Promise<Outcome> {
        for (let i = 0; i < steps.length; i++) {
            const weights = steps[i];
            const label = `step ${i + 1}/${steps.length}`;
            progress.event(`${label}: ${formatWeights(weights)}`);
            const gates: GateOutcome[] = [configGate(service, to), ...(await liveGates(service, weights, deps.consul, deps.alarms))];
            progress.event(`${label} gates: ${formatGates(gates)}`);
            if (interrupt.signal.aborted) {
                return interrupted();
            }
            const failed = gates.filter((g) => !g.ok);
            if (failed.length > 0) {
                return { ok: false, reason: `gate failed before ${label}: ${formatGates(failed)}`, interrupted: false };
            }
            try {
                write(weights);
            } catch (err) {
                return { ok: false, reason: `writing ${label} to ${context.file} failed: ${(err as Error).message}`, interrupted: false };
            }
            changed = true;
            try {
                await apply(weights, "step");
            } catch (err) {
                if (interrupt.signal.aborted) {
                    // Ctrl-C reaches the pulumi process too, which cancels its update.
                    return { ok: false, reason: `interrupted (Ctrl-C) while applying ${label}: ${(err as Error).message}`, interrupted: true };
                }
                if (err instanceof NothingAppliedError && i === 0) {
                    // Stopped before anything was applied: only the file needs restoring.
                    write(original);
                    changed = false;
                }
                return { ok: false, reason: `applying ${label} failed: ${(err as Error).message}`, interrupted: false };
            }
            progress.event(`${label} applied: ${service.name} runs ${formatWeights(weights)}`);
            if (interrupt.signal.aborted) {
                return interrupted();
            }
            if (i < steps.length - 1) {
                const baked = await bake(weights, `before step ${i + 2}/${steps.length}`);
                if (!baked.ok) {
                    return baked;
                }
            }
        }
        return { ok: true };
    }

    async function bake(weights: Weights, label: string): Promise<Outcome> {
        const end = deps.now() + request.intervalMs;
        let last = "no check yet";
        for (;;) {
            const left = end - deps.now();
            if (left <= 0) {
                progress.event(`baked ${formatDuration(request.intervalMs)} ${label}: gates held (${last})`);
                return { ok: true };
            }
            progress.status(`baking ${label}: ${formatDuration(left)} left at ${formatWeights(weights)}; last check: ${last}`);
            await deps.sleep(Math.min(request.pollMs, left), interrupt.signal);
            if (interrupt.signal.aborted) {
                return interrupted();
            }
            const gates = await liveGates(service, weights, deps.consul, deps.alarms);
            const failed = gates.filter((g) => !g.ok);
            if (failed.length > 0) {
                progress.event(`gate failed while baking ${label}: ${formatGates(failed)}`);
                return { ok: false, reason: `gate failed while baking ${label}: ${formatGates(failed)}`, interrupted: false };
            }
            last = formatGates(gates);
        }
    }

    async function rollback(outcome: Extract<Outcome, { ok: false }>): Promise<number> {
        const code = outcome.interrupted ? EXIT_INTERRUPTED : EXIT_FAILED;
        if (!changed) {
            progress.event(`FLIP STOPPED: ${outcome.reason}. Nothing was changed: ${service.name} stays at ${formatWeights(original)}.`);
            return code;
        }
        progress.event(`rolling back ${service.name} to ${formatWeights(original)}: ${outcome.reason}`);
        try {
            write(original);
            await apply(original, "rollback");
        } catch (err) {
            progress.event(
                `ROLLBACK FAILED: ${(err as Error).message}\n` +
                    `  The flip failed first: ${outcome.reason}\n` +
                    `  Pulumi.${context.stack}.yaml holds ${formatWeights(original)}, but the stack may still run another split. ` +
                    `Check with \`npm run flip -- --stack ${context.stack} --status\` and run \`pulumi up --stack ${context.stack}\` to restore it.`,
            );
            return EXIT_FAILED;
        }
        progress.event(`FLIP FAILED: ${outcome.reason}. Traffic is back where it started: ${service.name} runs ${formatWeights(original)}.`);
        return code;
    }

    try {
        const outcome = await runSteps();
        if (outcome.ok) {
            const final = steps[steps.length - 1];
            progress.event(`done: ${service.name} runs ${formatWeights(final)}${sameWeights(final, original) ? "" : ` (was ${formatWeights(original)})`}`);
            return EXIT_OK;
        }
        return await rollback(outcome);
    } finally {
        stopListening();
        lock.release();
        progress.done();
    }
}
