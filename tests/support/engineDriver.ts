// Runs the rollout engine's REAL handler (src/rollout/handler.ts: the tick Lambda's code) against the
// loopback fake Consul's model, in-process and on a virtual clock, the way Step Functions would: each
// started execution ticks again after the wait its last tick asked for, until it is done. Consul is
// the documented-format model (fakeConsul.ts), NOT Consul; alarms are what the test sets. The
// engine's calls go to the model directly (not over HTTP), so `state.requests` holds only what the
// client under test sent.
import { CLAIMS_KEY, historyKeySuffix, ReleaseSpec, ROLLOUT_HISTORY_PREFIX, RollbackRequest, RolloutState, rolloutIdFor, rolloutStateKey, ServiceClaims, Weights } from "../../src/rollout/contract";
import { EngineDeps, handleEvent, TickEvent, TickResult } from "../../src/rollout/handler";
import type { AlarmObservation } from "../../src/rollout/gates";
import { specHash } from "../../src/rollout/steps";
import { FakeConsul } from "./fakeConsul";
import { modelRolloutApi, putConfigEntry, readKv } from "./fakeConsulKv";

export function writeSplitter(consul: Pick<FakeConsul, "state" | "nextIndex">, service: string, weights: Weights): void {
    putConfigEntry(consul, {
        Kind: "service-splitter",
        Name: service,
        Splits: [
            { Weight: weights.blue, Service: service, ServiceSubset: "blue" },
            { Weight: weights.green, Service: service, ServiceSubset: "green" },
        ],
    });
}

export class EngineDriver {
    /** Virtual time, ms. */
    now: number;
    alarms: Record<string, AlarmObservation> = {};
    ticks = 0;
    /** The latest tick's result. */
    last?: TickResult;
    /** When each running execution ticks next (virtual ms), by rollout id. */
    readonly due = new Map<string, number>();
    /** The last rollout started (what state() reads without an id). */
    latest?: string;
    readonly log: string[] = [];

    constructor(
        readonly consul: FakeConsul,
        start = Date.parse("2026-12-01T10:00:00.000Z"),
    ) {
        this.now = start;
    }

    deps(): EngineDeps {
        return {
            consul: modelRolloutApi(async (method, path, query, body) => {
                const url = new URL(path, "http://127.0.0.1");
                for (const [k, v] of Object.entries(query)) {
                    url.searchParams.set(k, v);
                }
                return this.consul.answer(method, url, "management-token", Buffer.from(body ?? ""));
            }),
            alarms: async (names) => Object.fromEntries(names.map((name) => [name, this.alarms[name] ?? "MISSING"])),
            now: () => new Date(this.now),
            log: (message) => this.log.push(message),
        };
    }

    /**
     * What the Release resource does in `pulumi up`: reads which rollout each service belongs to,
     * then starts an execution whose first tick (run here at once) creates and claims the rollout.
     */
    async start(spec: ReleaseSpec, requestedBy = "ana@laptop"): Promise<TickResult> {
        const claims = readKv<ServiceClaims>(this.consul, CLAIMS_KEY)?.services ?? {};
        const hash = specHash(spec);
        const attempts = Object.keys(Object.fromEntries(this.consul.state.kv)).filter((k) => k.startsWith(ROLLOUT_HISTORY_PREFIX) && k.includes(`-${hash.slice(0, 16)}-`)).length;
        const rolloutId = rolloutIdFor(spec.stack, hash, attempts + 1);
        const event: TickEvent = { kind: "tick", rolloutId, specHash: hash, spec, requestedBy, startAfter: Object.fromEntries(spec.services.map((s) => [s.service, claims[s.service]?.rolloutId ?? ""])) };
        this.latest = rolloutId;
        return this.run(rolloutId, event);
    }

    /** The state of a rollout (default: the last one started), or undefined when it has none. */
    state(rolloutId = this.latest): RolloutState | undefined {
        return rolloutId === undefined ? undefined : readKv<RolloutState>(this.consul, rolloutStateKey(rolloutId));
    }

    /** One tick of a rollout's execution now (default: the last one started). */
    tick(rolloutId = this.latest): Promise<TickResult> {
        if (rolloutId === undefined) {
            throw new Error("no rollout to tick");
        }
        return this.run(rolloutId, { kind: "tick", rolloutId, specHash: "", spec: this.state(rolloutId)?.spec as ReleaseSpec, requestedBy: "" });
    }

    /** Runs every tick that falls due up to virtual time `until`, in time order. */
    async runUntil(until: number): Promise<void> {
        for (;;) {
            const next = [...this.due.entries()].sort((a, b) => a[1] - b[1])[0];
            if (next === undefined || next[1] > until) {
                break;
            }
            this.now = Math.max(this.now, next[1]);
            await this.tick(next[0]);
        }
        this.now = Math.max(this.now, until);
    }

    /** Ticks the last rollout started until its execution is done (at most `maxTicks`). */
    async runToEnd(maxTicks = 1000): Promise<RolloutState | undefined> {
        for (let i = 0; i < maxTicks && this.latest !== undefined && this.due.has(this.latest); i++) {
            await this.runUntil(this.due.get(this.latest)!);
        }
        return this.state();
    }

    /** `flip rollback`'s invocation of the function. */
    rollback(request: RollbackRequest): Promise<TickResult> {
        return handleEvent({ kind: "rollback", request }, this.deps());
    }

    /** EventBridge's alarm state change event. */
    alarm(name: string, value = "ALARM"): Promise<TickResult> {
        this.alarms[name] = value as AlarmObservation;
        return handleEvent(
            { source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", time: new Date(this.now).toISOString(), detail: { alarmName: name, state: { value } } },
            this.deps(),
        );
    }

    /** The history record of a rollout, once written. */
    history(rolloutId: string): unknown {
        const state = this.state(rolloutId);
        return state ? readKv(this.consul, `${ROLLOUT_HISTORY_PREFIX}${historyKeySuffix(state.startedAt, rolloutId)}`) : undefined;
    }

    private async run(rolloutId: string, event: TickEvent): Promise<TickResult> {
        const result = await handleEvent(event, this.deps());
        this.ticks++;
        this.last = result;
        if (result.done) {
            this.due.delete(rolloutId);
        } else {
            this.due.set(rolloutId, this.now + result.waitSeconds * 1000);
        }
        return result;
    }
}
