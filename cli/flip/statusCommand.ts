// `status` and `history`: read-only views of a stack's rollouts from Consul. `status` shows every
// service of the selection (all of the stack's, or --service, or the services of --rollout) with
// its health and the rollout it belongs to, and every running rollout of the selection in full.
// It exits like `kubectl argo rollouts status`, by health and by how a rollout ended (the codes
// are src/shared/exitCodes.ts): each service has an outcome, 0 healthy, 1 degraded (a drifted
// split, or an operator's rollback the stack file does not say yet), 4 still progressing or paused
// (without --watch, or when --timeout ends the watch), 5 its rollout rolled back by a gate, 6
// aborted, 7 engine failed; and a watch exits 8 when an engine it follows is silent. With several
// services and rollouts THE WORST OUTCOME DECIDES, in the order of OUTCOMES_WORST_FIRST: an engine
// that cannot settle anything by itself (8, 7), then a rollout that ended without reaching its
// split (5, 6), then what else is not as asked (1), then what is not done yet (4), then 0: a
// known problem is never hidden behind a rollout still running. `--watch` follows every running
// rollout of the selection (and any that starts on it meanwhile) until all have settled, printing
// each new event; it is the deploy workflow's gate after `pulumi up`. It always ends: at once when
// none runs (it says so), at --timeout (default DEFAULT_WATCH_TIMEOUT), exit 8 when an engine stays
// silent (the contract's engineSilentSince, past the watchdog's grace), and exit 3 after
// WATCH_ERROR_LIMIT_MS of nothing but Consul errors (it rides out shorter outages, saying so).
// `--json` prints the report as one JSON object (one per change with --watch).
import { ConsulHttpError } from "../../src/consul/httpClient";
import { ENGINE_SILENCE_GRACE_SECONDS, engineSilentSince, HistoryRecord, isSettled, isTerminal, RolloutPhase, RolloutState, Weights } from "../../src/rollout/contract";
import { mapLimit } from "../../src/shared/concurrency";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { DEFAULT_WATCH_TIMEOUT_MS } from "./args";
import { Clock, Detached, FlipInputError } from "./clientErrors";
import { assertOwnHistory } from "./ownStack";
import { RolloutStore } from "./rolloutStore";
import { readStack, servicesOf } from "./stackRead";
import { describeRollout, formatHistory, formatStatus, ServiceStatus, StatusReport, statusReport } from "./statusView";

export interface StatusRequest {
    readonly stack: string;
    /** --service: the services to show; empty: every service of the stack file and of the claims (or of --rollout). */
    readonly services: readonly string[];
    /** --rollout: narrow to this rollout's services. */
    readonly rolloutId?: string;
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
/** Splitters read at a time. */
const SPLIT_READ_CONCURRENCY = 8;

const ENDED_CODES: Readonly<Partial<Record<RolloutPhase, number>>> = {
    "rolled-back": EXIT_CODES.ROLLED_BACK,
    aborted: EXIT_CODES.ABORTED,
    failed: EXIT_CODES.ENGINE_FAILED,
};

/** Which outcome decides when services differ: the first of this list that any of them has. */
const OUTCOMES_WORST_FIRST: readonly number[] = [
    EXIT_CODES.ENGINE_SILENT,
    EXIT_CODES.ENGINE_FAILED,
    EXIT_CODES.ROLLED_BACK,
    EXIT_CODES.ABORTED,
    EXIT_CODES.DEGRADED,
    EXIT_CODES.NOT_DONE,
    EXIT_CODES.OK,
];

function worstOutcome(codes: readonly number[]): number {
    return OUTCOMES_WORST_FIRST.find((code) => codes.includes(code)) ?? EXIT_CODES.OK;
}

/** One service's outcome: by its health, and for a release that ended unpromoted (and left the split it says), by how it ended. */
function serviceOutcome(row: ServiceStatus, rollouts: ReadonlyMap<string, RolloutState>): number {
    switch (row.health) {
        case "Healthy":
            return EXIT_CODES.OK;
        case "Progressing":
        case "Paused":
            return EXIT_CODES.NOT_DONE;
    }
    const state = row.rolloutId === undefined ? undefined : rollouts.get(row.rolloutId);
    const ended = state && state.kind !== "rollback" && isTerminal(state.phase) && isSettled(state) && !row.drifted ? ENDED_CODES[state.phase] : undefined;
    return ended ?? EXIT_CODES.DEGRADED;
}

function statusExitCode(report: StatusReport): number {
    const rollouts = new Map(report.rollouts.map((r) => [r.rolloutId, r]));
    return worstOutcome(report.services.map((row) => serviceOutcome(row, rollouts)));
}

async function readReport(store: RolloutStore, request: StatusRequest, nowMs: number): Promise<StatusReport> {
    let asked: readonly string[] | undefined = request.services.length > 0 ? request.services : undefined;
    if (request.rolloutId !== undefined) {
        const rollout = (await store.rollout(request.rolloutId))?.value;
        if (!rollout) {
            throw new FlipInputError(`Consul at ${store.address} has no rollout ${request.rolloutId} (an ended rollout's state is removed once no service belongs to it: see history)`);
        }
        const its = servicesOf(rollout);
        const outside = (asked ?? []).filter((s) => !its.includes(s));
        if (outside.length > 0) {
            throw new FlipInputError(`rollout ${request.rolloutId} is for ${its.join(", ")}, not ${outside.join(", ")}`);
        }
        asked ??= its;
    }
    const read = await readStack(store, request.stack, asked, request.rolloutId === undefined ? [] : [request.rolloutId]);
    const names = asked ?? [...new Set([...request.stackServices, ...Object.keys(read.claims.services)])];
    const splits = await mapLimit(names, SPLIT_READ_CONCURRENCY, (name) => store.liveSplit(name));
    const live = Object.fromEntries(names.map((name, i) => [name, splits[i] ?? null]));
    return statusReport(request.stack, names, read.claims, read.rollouts, live, request.stackFile, nowMs);
}

const eventKey = (rolloutId: string, e: { at: string; message: string }) => `${rolloutId} ${e.at} ${e.message}`;
const running = (report: StatusReport) => report.rollouts.filter((r) => !isSettled(r));

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
                throw new ConsulHttpError(`${err.message} (and every read for ${Math.round(failingFor / 1000)}s before it: stopped watching; the rollouts go on in the engine)`, err.status);
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
    if (running(report).length === 0) {
        if (!request.json) {
            const ended = report.rollouts.map((r) => `${r.rolloutId} ended ${r.phase} at ${(r.endedAt ?? r.updatedAt).replace(/\.\d{3}Z$/, "Z")}`);
            write(ended.length === 0 ? "no rollout has run in this stack: nothing to watch" : `no rollout is running (${ended.join("; ")}): nothing to watch`);
        }
        return statusExitCode(report);
    }
    const timeoutMs = request.timeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS;
    const deadline = clock.now() + timeoutMs;
    const seen = new Set(report.rollouts.flatMap((r) => r.events.map((e) => eventKey(r.rolloutId, e))));
    const known = new Set(report.rollouts.map((r) => r.rolloutId));
    let last = JSON.stringify(report);
    let watched = false;
    // Until every rollout of the selection has settled: ended, and every split its state claims live.
    while (running(report).length > 0) {
        // Silent past the bound a working engine keeps and the watchdog's grace: it cannot settle by itself.
        for (const rollout of running(report)) {
            const silent = engineSilentSince(rollout, clock.now(), ENGINE_SILENCE_GRACE_SECONDS);
            if (silent !== undefined) {
                write(
                    `the engine has not written rollout ${rollout.rolloutId}'s state since ${silent} (a working one writes at least every ${rollout.engineSilenceLimitSeconds}s), ` +
                        `and the watchdog has not ended it: it is silent; see the state machine's executions and the tick Lambda's log group`,
                );
                return EXIT_CODES.ENGINE_SILENT;
            }
        }
        if (clock.now() >= deadline) {
            write(`still ${report.health} after ${Math.round(timeoutMs / 1000)}s of watching (${running(report).map((r) => `${r.rolloutId} ${r.phase}`).join(", ")}); the rollouts go on in the engine`);
            return statusExitCode(report);
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
        if (request.json) {
            const now = JSON.stringify(report);
            if (now !== last) {
                show(report);
            }
            last = now;
            continue;
        }
        for (const rollout of report.rollouts) {
            if (!known.has(rollout.rolloutId)) {
                known.add(rollout.rolloutId);
                write(`a new ${rollout.kind === "rollback" ? "rollback" : "rollout"} started: ${rollout.rolloutId} of ${servicesOf(rollout).join(", ")}`);
            }
            for (const event of rollout.events.filter((e) => !seen.has(eventKey(rollout.rolloutId, e)))) {
                seen.add(eventKey(rollout.rolloutId, event));
                write(`${event.at.replace(/\.\d{3}Z$/, "Z")} ${rollout.rolloutId}: ${event.message}`);
            }
        }
    }
    if (watched && !request.json) {
        write(formatStatus(report, clock.now()));
    }
    return statusExitCode(report);
}

/** `history`: every ended rollout of the stack (or of --service), newest first. */
export async function runHistory(store: RolloutStore, stack: string, services: readonly string[], json: boolean, write: (text: string) => void): Promise<number> {
    await readStack(store, stack, []);
    const all = await store.history();
    assertOwnHistory(all, stack, store.address);
    const about = (r: HistoryRecord) => services.length === 0 || services.some((s) => s in r.from || s in r.to);
    const records = all.filter(about);
    write(json ? JSON.stringify(records) : formatHistory(records, services));
    return EXIT_CODES.OK;
}

/**
 * What a detached client prints, at once: what the running rollouts were doing when last read (no
 * request of its own, so a Consul that hangs cannot delay it), and how to follow them.
 */
export function detachedMessage(lastStates: readonly RolloutState[], stack: string, signal: string, what: string, nowMs: number): string {
    const runningNow = lastStates.filter((s) => !isSettled(s));
    const them = runningNow.length > 1 ? "them" : "it";
    const doing =
        runningNow.length === 0
            ? "the rollout (if one runs) goes on in the engine, unchanged by the signal"
            : `${runningNow.length > 1 ? "the rollouts go" : "the rollout goes"} on in the engine, unchanged by the signal:\n${runningNow.map((s) => describeRollout(s, nowMs)).join("\n")}`;
    return `detached on ${signal}: ${what}; ${doing}\nFollow ${them} with: npm run flip -- status --stack ${stack} --watch`;
}
