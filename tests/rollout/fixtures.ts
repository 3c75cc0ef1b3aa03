// Shared fixtures of the rollout tests: a two-service release (inventory is called by orders), and
// observations in which everything is healthy, to be spoilt one field at a time.
import type { ControlCommand, CommandKind, ReleaseSpec, RolloutState, Weights } from "../../src/rollout/contract";
import { decide, Decision, Observations, startRollout, TickTrigger } from "../../src/rollout/decide";
import { specHash } from "../../src/rollout/steps";

export const T0 = new Date("2026-12-01T10:00:00.000Z");
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

export const ALL_BLUE: Weights = { blue: 100, green: 0 };
export const ALL_GREEN: Weights = { blue: 0, green: 100 };

export function releaseSpec(overrides: Partial<ReleaseSpec["strategy"]> = {}, failureThreshold = 3): ReleaseSpec {
    const gate = { required: { blue: 2, green: 2 }, alarms: ["orders-5xx"], failureThreshold, skipHealth: false };
    return {
        stack: "prod",
        services: [
            { service: "inventory", to: ALL_GREEN, upstreams: [], gate: { ...gate, alarms: [] } },
            { service: "orders", to: ALL_GREEN, upstreams: ["inventory"], gate },
        ],
        strategy: { steps: [10, 50], bakeSeconds: 60, bakeEachStep: true, checkIntervalSeconds: 15, ...overrides },
    };
}

export function healthy(live: Readonly<Record<string, Weights>>): Observations {
    return {
        live,
        passing: { inventory: { blue: 2, green: 2 }, orders: { blue: 2, green: 2 } },
        alarms: { "orders-5xx": "OK" },
    };
}

export function newRollout(spec: ReleaseSpec = releaseSpec()): RolloutState {
    return startRollout(spec, "prod-abc-1", specHash(spec), "ana@laptop", T0);
}

export function command(kind: CommandKind, id = `cmd-${kind}`, rolloutId = "prod-abc-1"): ControlCommand {
    return { id, rolloutId, kind, issuedBy: "bo@ci", issuedAt: T0.toISOString() };
}

/**
 * Runs ticks the way the state machine would: each one at the time the previous asked to wait for,
 * with the live split as the previous tick's writes left it. `observe` may spoil the observations.
 */
export class Ticker {
    live: Record<string, Weights>;
    decision!: Decision;
    seconds = 0;

    constructor(
        public state: RolloutState,
        live: Record<string, Weights> = { inventory: ALL_BLUE, orders: ALL_BLUE },
    ) {
        this.live = { ...live };
    }

    tick(options: { command?: ControlCommand; trigger?: TickTrigger; observe?: (o: Observations) => Observations; advance?: boolean } = {}): Decision {
        if (options.advance !== false && this.decision) {
            this.seconds += this.decision.waitSeconds;
        }
        const base = healthy(this.live);
        const observed = options.observe ? options.observe(base) : base;
        this.decision = decide(this.state, options.trigger ?? { kind: "tick" }, observed, options.command, at(this.seconds));
        for (const write of this.decision.writes) {
            this.live[write.service] = write.weights;
        }
        this.state = this.decision.state;
        return this.decision;
    }

    /** Ticks until the state machine would stop, or `max` ticks. */
    runToEnd(max = 100, options: Parameters<Ticker["tick"]>[0] = {}): Decision {
        for (let i = 0; i < max && !(this.decision?.done ?? false); i++) {
            this.tick(options);
        }
        return this.decision;
    }

    /** Ticks until the phase is `phase` and the step index is `stepIndex`. */
    tickUntil(phase: RolloutState["phase"], stepIndex: number, max = 100): void {
        for (let i = 0; i < max; i++) {
            this.tick();
            if (this.state.phase === phase && this.state.stepIndex === stepIndex) {
                return;
            }
        }
        throw new Error(`never reached ${phase} at step ${stepIndex}; at ${this.state.phase} ${this.state.stepIndex}`);
    }
}
