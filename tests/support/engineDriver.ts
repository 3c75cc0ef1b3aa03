// Drives the rollout engine's PURE DECISION FUNCTION (src/rollout/decide.ts, the engine branch's
// code) against the loopback fake Consul, the way the engine's tick does in AWS: read the state and
// the command slot from KV, observe each service's live split (its service-splitter entry), passing
// instances per colour (the fake's health data) and alarms, call decide(), then write the splitters
// it asks for, the state with CAS and the history record. It is the test's stand-in for the Lambda
// and Step Functions around decide(), on a virtual clock; it is not the engine's handler.
import { ControlCommand, historyKeySuffix, ReleaseSpec, ROLLOUT_COMMAND_KEY, ROLLOUT_HISTORY_PREFIX, ROLLOUT_STATE_KEY, RolloutState, Weights } from "../../src/rollout/contract";
import { decide, Decision, startRollout, TickTrigger } from "../../src/rollout/decide";
import { AlarmObservation, PassingObservation } from "../../src/rollout/gates";
import { rolloutIdFor, } from "../../src/rollout/contract";
import { specHash } from "../../src/rollout/steps";
import { engineSilenceLimitSeconds } from "../../src/rollout/render/stateMachine";
import { FakeConsul } from "./fakeConsul";
import { putConfigEntry, putKv, readKv } from "./fakeConsulKv";

export function writeSplitter(consul: FakeConsul, service: string, weights: Weights): void {
    putConfigEntry(consul, {
        Kind: "service-splitter",
        Name: service,
        Splits: [
            { Weight: weights.blue, ServiceSubset: "blue" },
            { Weight: weights.green, ServiceSubset: "green" },
        ],
    });
}

export class EngineDriver {
    /** Virtual time, ms. */
    now: number;
    alarms: Record<string, AlarmObservation> = {};
    ticks = 0;
    last?: Decision;

    constructor(
        readonly consul: FakeConsul,
        start = Date.parse("2026-12-01T10:00:00.000Z"),
    ) {
        this.now = start;
    }

    /** What the Release resource does in `pulumi up`: writes the new rollout's first state. */
    start(spec: ReleaseSpec, requestedBy = "ana@laptop"): RolloutState {
        const hash = specHash(spec);
        const state = startRollout(spec, rolloutIdFor(spec.stack, hash, 1), hash, requestedBy, new Date(this.now));
        putKv(this.consul, ROLLOUT_STATE_KEY, state);
        return state;
    }

    state(): RolloutState | undefined {
        return readKv<RolloutState>(this.consul, ROLLOUT_STATE_KEY);
    }

    tick(trigger: TickTrigger = { kind: "tick" }): Decision {
        const state = this.state();
        if (!state) {
            throw new Error("no rollout to tick");
        }
        const services = state.spec.services.map((s) => s.service);
        const live: Record<string, Weights | undefined> = {};
        const passing: Record<string, PassingObservation> = {};
        for (const service of services) {
            const entry = this.consul.state.config.get(`service-splitter/${service}`) as { Splits: { Weight: number; ServiceSubset: "blue" | "green" }[] } | undefined;
            live[service] = entry ? { blue: entry.Splits.find((s) => s.ServiceSubset === "blue")?.Weight ?? 0, green: entry.Splits.find((s) => s.ServiceSubset === "green")?.Weight ?? 0 } : undefined;
            const count = (colour: string) => this.consul.state.instances.filter((i) => i.service === service && i.version === colour && i.status === "passing").length;
            passing[service] = { blue: count("blue"), green: count("green") };
        }
        const command = readKv<ControlCommand>(this.consul, ROLLOUT_COMMAND_KEY);
        const decision = decide(state, trigger, { live, passing, alarms: this.alarms }, command, new Date(this.now));
        for (const write of decision.writes) {
            writeSplitter(this.consul, write.service, write.weights);
        }
        // As the handler writes it: the writes made above (none pending), when the execution wrote, and its silence bound.
        putKv(this.consul, ROLLOUT_STATE_KEY, {
            ...decision.state,
            pendingWrites: [],
            engineWroteAt: new Date(this.now).toISOString(),
            engineSilenceLimitSeconds: engineSilenceLimitSeconds(decision.state.spec.strategy.checkIntervalSeconds),
        } satisfies RolloutState);
        if (decision.history) {
            putKv(this.consul, `${ROLLOUT_HISTORY_PREFIX}${historyKeySuffix(decision.history.startedAt, decision.history.rolloutId)}`, decision.history);
        }
        this.ticks++;
        this.last = decision;
        return decision;
    }

    /** Advances the virtual clock by the wait the last decision asked for, then ticks. */
    next(): Decision {
        this.now += (this.last?.waitSeconds ?? 0) * 1000;
        return this.tick();
    }
}
