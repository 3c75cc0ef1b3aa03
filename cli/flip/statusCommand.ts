// `status` and `history`: read-only views of a stack's rollouts from Consul. `status` exits by
// health, like `kubectl argo rollouts status`: 0 healthy, 1 degraded, 4 still progressing or paused
// (without --watch, or when --timeout ends the watch). `--watch` follows the rollout until it ends,
// printing each new event; `--json` prints the report as one JSON object (one per change with --watch).
// A watch rides out Consul not answering for a while (it says so, and keeps watching) and gives up,
// exit 3, only after WATCH_ERROR_LIMIT_MS of nothing but errors.
import { ConsulHttpError } from "../../src/consul/httpClient";
import { ENGINE_SILENCE_GRACE_SECONDS, engineSilentSince, exitCodeOf, isSettled, RolloutState, Weights } from "../../src/rollout/contract";
import { EXIT_CODES } from "../../src/shared/exitCodes";
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
        return exitCodeOf(report.health);
    }
    const deadline = request.timeoutMs === undefined ? undefined : clock.now() + request.timeoutMs;
    const seen = new Set((report.rollout?.events ?? []).map(eventKey));
    let last: RolloutState | undefined = report.rollout;
    let watched = false;
    while (!(report.rollout === undefined || isSettled(report.rollout))) {
        const silent = engineSilentSince(report.rollout, clock.now(), ENGINE_SILENCE_GRACE_SECONDS);
        if (silent !== undefined) {
            write(`stopped watching: no engine has written rollout ${report.rollout.rolloutId}'s state since ${silent} and the watchdog has not ended it; abort ends it once an engine runs, or see the Step Functions console and the Lambda's log group`);
            return exitCodeOf(report.health);
        }
        if (deadline !== undefined && clock.now() >= deadline) {
            write(`still ${report.health} after ${Math.round((request.timeoutMs ?? 0) / 1000)}s of watching; the rollout goes on in the engine`);
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
    return exitCodeOf(report.health);
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
