// Following a rollout from `pulumi up`, only on request (BLUEGREEN_ROLLOUT_FOLLOW; by default
// `pulumi up` returns once the rollout started and `npm run flip -- status --watch` follows it): the
// program (never the Release's dynamic provider, which cannot see a Ctrl-C; release.ts says why)
// reads the state of the rollout this `pulumi up` started or attached to (its own key: rollouts of
// other services may run beside it) from Consul, prints each new event on the Release, and stops when the
// rollout ends, when the time limit is reached, or at once on the first Ctrl-C. Stopping never
// touches the rollout: it goes on in the engine.
import { durationMs } from "../shared/durations";
import { KvDocument, readClaims, readRollout } from "./consulApi";
import { ENGINE_SILENCE_GRACE_SECONDS, engineSilentSince, HistoryRecord, historyKeySuffix, isSettled, ROLLOUT_HISTORY_PREFIX, RolloutPhase, RolloutState } from "./contract";

export interface FollowRuntime {
    readonly consul: { getJson<T>(key: string): Promise<KvDocument<T> | undefined> };
    /** Waits, or less once `stop` is aborted. */
    sleep(ms: number): Promise<void>;
    now(): number;
    log(message: string): void;
    /** Aborted on the first Ctrl-C: following ends at once, even while a Consul read hangs. */
    readonly stop: AbortSignal;
    readonly pollMs: number;
}

export type FollowResult =
    | { readonly kind: "promoted" }
    | { readonly kind: "ended"; readonly phase: RolloutPhase; readonly reason: string }
    /** Its state is gone without a history record: another rollout (`by`, "" when unknown) took its services since the last read. */
    | { readonly kind: "replaced"; readonly by: string }
    /** Not settled, and no engine has written its state since `since`, past the watchdog's bound and grace. */
    | { readonly kind: "engine silent"; readonly since: string; readonly phase: RolloutPhase }
    | { readonly kind: "stopped" }
    | { readonly kind: "time limit" };

/** How a `pulumi up` follows the rollout it started: BLUEGREEN_ROLLOUT_FOLLOW. */
export interface FollowMode {
    readonly follow: boolean;
    /** Stop following after this long (always set when following: `pulumi up` holds the stack meanwhile). */
    readonly limitMs?: number;
}

/**
 * How long `BLUEGREEN_ROLLOUT_FOLLOW=1` follows: while `pulumi up` follows, Pulumi holds the stack's
 * lock, so no other change (a security group, a scaling fix) can be deployed. Thirty minutes covers
 * a rollout without long bakes; a longer one is followed without holding the stack, with
 * `npm run flip -- status --watch --timeout <d>`.
 */
export const DEFAULT_FOLLOW_MS = 30 * 60_000;
/** Longer than any rollout should take to be followed from one terminal; refused above it. */
const MAX_FOLLOW_MS = 24 * 3_600_000;

/**
 * BLUEGREEN_ROLLOUT_FOLLOW: unset, empty or `0` does not follow (`pulumi up` returns once the
 * rollout started); `1` follows for at most DEFAULT_FOLLOW_MS; a duration (`30m`, `1h30m`, `90s`)
 * follows at most that long. Anything else is refused with what is allowed.
 */
export function followMode(value: string | undefined): FollowMode {
    if (value === undefined || value === "" || value === "0") {
        return { follow: false };
    }
    if (value === "1") {
        return { follow: true, limitMs: DEFAULT_FOLLOW_MS };
    }
    const ms = durationMs(value);
    if (ms === undefined || ms < 1000 || ms > MAX_FOLLOW_MS) {
        throw new Error(`BLUEGREEN_ROLLOUT_FOLLOW=${JSON.stringify(value)} is not 0, 1 or a duration between 1s and 24h (like 30m, 1h30m, 90s)`);
    }
    return { follow: true, limitMs: Math.round(ms) };
}

const STOPPED = Symbol("stopped");

/** `promise`, or STOPPED as soon as `signal` is aborted (a hung Consul read does not hold a Ctrl-C). */
function unlessStopped<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof STOPPED> {
    if (signal.aborted) {
        promise.catch(() => undefined);
        return Promise.resolve(STOPPED);
    }
    return new Promise((resolve, reject) => {
        const onAbort = () => resolve(STOPPED);
        signal.addEventListener("abort", onAbort, { once: true });
        promise.then(
            (value) => {
                signal.removeEventListener("abort", onAbort);
                resolve(value);
            },
            (err: unknown) => {
                signal.removeEventListener("abort", onAbort);
                reject(err);
            },
        );
    });
}

/**
 * How a followed rollout whose state is gone ended: the engine removes an ended rollout's state once
 * another rollout took its services (an operator's rollback of a service mid-rollout aborts it and
 * takes it at once), having written its history record first.
 */
async function endOf(last: RolloutState, consul: FollowRuntime["consul"]): Promise<FollowResult> {
    const record = (await consul.getJson<HistoryRecord>(`${ROLLOUT_HISTORY_PREFIX}${historyKeySuffix(last.startedAt, last.rolloutId)}`))?.value;
    if (record?.result === "promoted") {
        return { kind: "promoted" };
    }
    if (record) {
        return { kind: "ended", phase: record.result, reason: record.reason ?? "no reason recorded" };
    }
    const claims = await readClaims(consul);
    return { kind: "replaced", by: claims.value.services[last.spec.services[0]?.service ?? ""]?.rolloutId ?? "" };
}

const eventKey = (e: { at: string; message: string }) => `${e.at} ${e.message}`;

/**
 * Follows rollout `rolloutId` until it is settled (ended, and every split its state claims is live:
 * its result, also when its state is gone because another rollout took its services between two
 * reads: its history record says it), no engine works on it any more (silent past the
 * watchdog's bound and grace: it cannot settle by itself), `limitMs` passes, or `runtime.stop` is
 * aborted. Prints every event once, in order, however the polls fall
 * (events past the state's last 50 that were never seen are skipped; the history keeps them).
 */
export async function followRollout(rolloutId: string, runtime: FollowRuntime, limitMs?: number): Promise<FollowResult> {
    const deadline = limitMs === undefined ? undefined : runtime.now() + limitMs;
    const seen = new Set<string>();
    let last: RolloutState | undefined;
    for (;;) {
        const read = await unlessStopped(readRollout(runtime.consul, rolloutId), runtime.stop);
        if (read === STOPPED) {
            return { kind: "stopped" };
        }
        const state = read?.value;
        if (state === undefined && last !== undefined) {
            const gone = await unlessStopped(endOf(last, runtime.consul), runtime.stop);
            return gone === STOPPED ? { kind: "stopped" } : gone;
        }
        last = state ?? last;
        for (const event of state?.events ?? []) {
            if (!seen.has(eventKey(event))) {
                seen.add(eventKey(event));
                runtime.log(eventKey(event));
            }
        }
        if (state && isSettled(state)) {
            return state.phase === "promoted" ? { kind: "promoted" } : { kind: "ended", phase: state.phase, reason: state.reason ?? "no reason recorded" };
        }
        const silent = state && engineSilentSince(state, runtime.now(), ENGINE_SILENCE_GRACE_SECONDS);
        if (state && silent) {
            return { kind: "engine silent", since: silent, phase: state.phase };
        }
        if (deadline !== undefined && runtime.now() >= deadline) {
            return { kind: "time limit" };
        }
        await runtime.sleep(deadline === undefined ? runtime.pollMs : Math.min(runtime.pollMs, Math.max(0, deadline - runtime.now())));
        if (runtime.stop.aborted) {
            return { kind: "stopped" };
        }
    }
}

/** How to watch a rollout after `pulumi up` stopped following it (or did not follow it): that one rollout, by its id. */
export function watchHint(stack: string, rolloutId: string): string {
    return `watch it with: npm run flip -- status --stack ${stack} --rollout ${rolloutId} --watch`;
}

/** The line `pulumi up` prints for a follow's result, and whether the update must fail. */
export function reportFollow(rolloutId: string, stack: string, result: FollowResult, limitMs?: number): { readonly line: string; readonly failed: boolean } {
    switch (result.kind) {
        case "promoted":
            return { line: `rollout ${rolloutId} promoted`, failed: false };
        case "ended":
            return {
                line:
                    `rollout ${rolloutId} ended ${result.phase}: ${result.reason}. The platform restored the split it started from; ` +
                    `the stack file still says otherwise (Degraded: see npm run flip -- status --stack ${stack})`,
                failed: true,
            };
        case "replaced":
            return {
                line: `rollout ${rolloutId} ended and ${result.by ? `rollout ${result.by}` : "another rollout"} took its services while it was followed; how it ended: npm run flip -- history --stack ${stack}`,
                failed: true,
            };
        case "engine silent":
            return {
                line:
                    `rollout ${rolloutId} is ${result.phase} but no engine has written its state since ${result.since}: its execution is gone and the watchdog has not ended it ` +
                    `(can the Lambda reach Consul?). See the Step Functions console and the Lambda's log group; npm run flip -- status --stack ${stack} says what runs, and abort ends it`,
                failed: true,
            };
        case "stopped":
            return { line: `stopped following rollout ${rolloutId} at the first Ctrl-C; it goes on in the engine: ${watchHint(stack, rolloutId)}`, failed: false };
        case "time limit":
            return { line: `stopped following rollout ${rolloutId} after ${Math.round((limitMs ?? 0) / 1000)}s (BLUEGREEN_ROLLOUT_FOLLOW); it goes on in the engine: ${watchHint(stack, rolloutId)}`, failed: false };
    }
}
