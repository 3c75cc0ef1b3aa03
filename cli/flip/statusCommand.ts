// `status` and `history`: read-only views of a stack's rollouts from Consul. `status` exits by
// health, like `kubectl argo rollouts status`, and by how the last rollout ended (statusExitCode;
// the codes are in src/shared/exitCodes.ts): 0 healthy, 5 rolled back, 6 aborted, 7 engine failed,
// 1 a drifted split, 4 still progressing or paused (without --watch, or when --timeout ends the
// watch). `--watch` follows the stack's rollout until it ends, printing each new event, and is the
// deploy workflow's gate after `pulumi up`; it always ends: at once when no rollout ran or the last
// one already ended (it says which), at --timeout (default DEFAULT_WATCH_TIMEOUT), exit 8 when the
// engine stays silent (the contract's engineSilentSince, past the watchdog's grace), and exit 3 after WATCH_ERROR_LIMIT_MS of nothing but
// Consul errors (it rides out shorter outages, saying so). `--json` prints the report as one JSON
// object (one per change with --watch).
import { ConsulHttpError } from "../../src/consul/httpClient";
import { ENGINE_SILENCE_GRACE_SECONDS, engineSilentSince, exitCodeOf, isSettled, RolloutPhase, RolloutState, Weights } from "../../src/rollout/contract";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { DEFAULT_WATCH_TIMEOUT_MS } from "./args";
import { Clock, Detached } from "./clientErrors";
import { assertOwnHistory, assertOwnStack } from "./ownStack";
import { RolloutStore } from "./rolloutStore";
import { describeRollout, formatHistory, formatStatus, StatusReport, statusReport } from "./statusView";

export interface StatusRequest {
    readonly stack: string;
    /** Services to show; empty: those of the stack file and of the rollout. */
    readonly services: readonly string[];
    readonly stackServices: readonly string[];
    /** Each service's `traffic` in the stack file here, when there is one. */
    readonly stackFile?: Readonly<Record<string, Weights>>;
    readonly watch: boolean;
    readonly timeoutMs?: number;
    readonly json: boolean;
    readonly pollMs: number;
    /** The stack's mesh dashboard (src/metrics/names.ts), printed under the first report. */
    readonly dashboardUrl?: string;
}

/** How long a watch goes on while every read of Consul fails, before it gives up with exit 3. */
const WATCH_ERROR_LIMIT_MS = 60_000;

const ENDED_CODES: Readonly<Partial<Record<RolloutPhase, number>>> = {
    "rolled-back": EXIT_CODES.ROLLED_BACK,
    aborted: EXIT_CODES.ABORTED,
    failed: EXIT_CODES.ENGINE_FAILED,
};

/** The exit code of a report: by health, and for a rollout that ended unpromoted (and left the split it says), by how it ended. */
function statusExitCode(report: StatusReport): number {
    const ended = report.rollout && !report.drifted ? ENDED_CODES[report.rollout.phase] : undefined;
    return ended ?? exitCodeOf(report.health);
}

async function readReport(store: RolloutStore, request: StatusRequest, nowMs: number): Promise<StatusReport> {
    const state = (await store.state())?.value;
    assertOwnStack(state, request.stack, store.address);
    const names = request.services.length > 0 ? request.services : [...new Set([...request.stackServices, ...(state?.spec.services.map((s) => s.service) ?? [])])];
    const live: Record<string, Weights | null> = {};
    for (const name of names) {
        live[name] = (await store.liveSplit(name)) ?? null;
    }
    return statusReport(request.stack, state, live, request.stackFile, nowMs);
}

const eventKey = (e: { at: string; message: string }) => `${e.at} ${e.message}`;

export async function runStatus(store: RolloutStore, request: StatusRequest, clock: Clock, write: (text: string) => void): Promise<number> {
    let failingSince: number | undefined;
    /** A read of the report; while watching, a Consul error is a note and undefined, until the limit. */
    const read = async (): Promise<StatusReport | undefined> => {
        try {
            const report = await readReport(store, request, clock.now());
            if (failingSince !== undefined) {
                write(`Consul answers again after ${Math.round((clock.now() - failingSince) / 1000)}s; still watching`);
            }
            failingSince = undefined;
            return report;
        } catch (err) {
            if (!request.watch || !(err instanceof ConsulHttpError)) {
                throw err;
            }
            failingSince ??= clock.now();
            const failingFor = clock.now() - failingSince;
            if (failingFor >= WATCH_ERROR_LIMIT_MS) {
                throw new ConsulHttpError(`${err.message} (and every read for ${Math.round(failingFor / 1000)}s before it: stopped watching; the rollout goes on in the engine)`, err.status);
            }
            write(`Consul did not answer (${err.message}); still watching, for up to ${Math.round((WATCH_ERROR_LIMIT_MS - failingFor) / 1000)}s more of errors`);
            return undefined;
        }
    };
    let first = await read();
    while (first === undefined) {
        await clock.sleep(request.pollMs);
        if (clock.detached()) {
            throw new Detached("stopped watching");
        }
        first = await read();
    }
    let report: StatusReport = first;
    const show = (r: StatusReport) => write(request.json ? JSON.stringify(r) : formatStatus(r, clock.now()));
    show(report);
    if (request.dashboardUrl && !request.json) {
        write(`Mesh dashboard (both colours' requests, errors and latency): ${request.dashboardUrl}`);
    }
    if (!request.watch) {
        return statusExitCode(report);
    }
    // With --json the report above says it; a line of text would break a reader of JSON lines.
    if (report.rollout === undefined) {
        if (!request.json) {
            write("no rollout has run in this stack: nothing to watch");
        }
        return statusExitCode(report);
    }
    if (isSettled(report.rollout)) {
        if (!request.json) {
            write(`rollout ${report.rollout.rolloutId} already ended ${report.rollout.phase} at ${report.rollout.endedAt ?? report.rollout.updatedAt}: nothing to watch`);
        }
        return statusExitCode(report);
    }
    const timeoutMs = request.timeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS;
    const deadline = clock.now() + timeoutMs;
    const seen = new Set((report.rollout?.events ?? []).map(eventKey));
    let last: RolloutState | undefined = report.rollout;
    let watched = false;
    // Until the rollout is settled: ended, and every split its state claims live.
    while (!(report.rollout === undefined || isSettled(report.rollout))) {
        // Silent past the bound a working engine keeps and the watchdog's grace: it cannot settle by itself.
        const silent = engineSilentSince(report.rollout, clock.now(), ENGINE_SILENCE_GRACE_SECONDS);
        if (silent !== undefined) {
            write(
                `the engine has not written rollout ${report.rollout.rolloutId}'s state since ${silent} (a working one writes at least every ${report.rollout.engineSilenceLimitSeconds}s), ` +
                    `and the watchdog has not ended it: it is silent; see the state machine's executions and the tick Lambda's log group`,
            );
            return EXIT_CODES.ENGINE_SILENT;
        }
        if (clock.now() >= deadline) {
            write(`still ${report.health} after ${Math.round(timeoutMs / 1000)}s of watching; the rollout goes on in the engine`);
            return EXIT_CODES.NOT_DONE;
        }
        await clock.sleep(request.pollMs);
        if (clock.detached()) {
            throw new Detached("stopped watching");
        }
        const next = await read();
        if (next === undefined) {
            continue;
        }
        report = next;
        watched = true;
        const now = report.rollout;
        if (request.json) {
            if (now && JSON.stringify(now) !== JSON.stringify(last)) {
                show(report);
            }
        } else if (now) {
            if (now.rolloutId !== last?.rolloutId) {
                write(`a new rollout started: ${now.rolloutId}`);
            }
            for (const event of now.events.filter((e) => !seen.has(eventKey(e)))) {
                seen.add(eventKey(event));
                write(`${event.at.replace(/\.\d{3}Z$/, "Z")} ${event.message}`);
            }
        }
        last = now;
    }
    if (watched && !request.json) {
        write(formatStatus(report, clock.now()));
    }
    return statusExitCode(report);
}

export async function runHistory(store: RolloutStore, stack: string, json: boolean, write: (text: string) => void): Promise<number> {
    assertOwnStack((await store.state())?.value, stack, store.address);
    const records = await store.history();
    assertOwnHistory(records, stack, store.address);
    write(json ? JSON.stringify(records) : formatHistory(records));
    return EXIT_CODES.OK;
}

/**
 * What a detached client prints, at once: what the rollout was doing when last read (no request of
 * its own, so a Consul that hangs cannot delay it), and how to follow it.
 */
export function detachedMessage(lastState: RolloutState | undefined, stack: string, signal: string, what: string, nowMs: number): string {
    const doing = lastState
        ? `the rollout goes on in the engine, unchanged by the signal:\n${describeRollout(lastState, nowMs)}`
        : "the rollout (if one runs) goes on in the engine, unchanged by the signal";
    return `detached on ${signal}: ${what}; ${doing}\nFollow it with: npm run flip -- status --stack ${stack} --watch`;
}
