// Shared setup of the flip client tests: copies of the example stack files in a temporary folder,
// the loopback fake Consul (fakeConsul.ts), the engine driver (engineDriver.ts: the engine's real
// handler ticking each started rollout) and a virtual clock on which the client's waits run: each sleep of the client
// advances virtual time and runs the engine ticks that fall due in it, so a 10-minute rollout takes
// milliseconds and no test waits on real time.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FlipEnvironment, flip } from "../../cli/flip/main";
import { Clock } from "../../cli/flip/clientErrors";
import { editTrafficText } from "../../cli/flip/stackFile";
import { ReleaseSpec, rolloutCommandKey, RolloutState, rolloutStateKey, Weights } from "../../src/rollout/contract";
import { handleEvent } from "../../src/rollout/handler";
import { EngineDriver, writeSplitter } from "./engineDriver";
import { FakeConsul, FakeInstance, startFakeConsul } from "./fakeConsul";
import { ROOT } from "./harness";

export const ALL_BLUE: Weights = { blue: 100, green: 0 };
export const ALL_GREEN: Weights = { blue: 0, green: 100 };

export function prodRelease(overrides: Partial<ReleaseSpec["strategy"]> = {}, services: readonly string[] = ["inventory", "orders"]): ReleaseSpec {
    const gate = { required: { blue: 2, green: 2 }, alarms: [] as string[], failureThreshold: 3, skipHealth: false };
    const all = [
        { service: "inventory", to: ALL_GREEN, upstreams: [], gate },
        { service: "orders", to: ALL_GREEN, upstreams: ["inventory"], gate: { ...gate, alarms: ["orders-5xx"] } },
    ];
    return {
        stack: "prod",
        services: all.filter((s) => services.includes(s.service)),
        strategy: { steps: [10, 50], bakeSeconds: 300, bakeEachStep: true, checkIntervalSeconds: 30, ...overrides },
    };
}

export function healthyInstances(): FakeInstance[] {
    return ["inventory", "orders"].flatMap((service) => ["blue", "green"].flatMap((version) => [0, 1].map(() => ({ service, version, status: "passing" as const }))));
}

/** The loopback fake Consul at rest: both example services healthy in both colours, each splitter all blue. */
export async function startConsulAtRest(): Promise<FakeConsul> {
    const consul = await startFakeConsul({ instances: healthyInstances() });
    for (const service of ["inventory", "orders"]) {
        writeSplitter(consul, service, ALL_BLUE);
    }
    return consul;
}

export class FlipWorld {
    dir = "";
    consul!: FakeConsul;
    engine!: EngineDriver;
    output: string[] = [];
    /** Called after each client sleep (tests use it to act "meanwhile"). */
    onSleep?: (sleeps: number) => void;
    sleeps = 0;
    detachOnSleep?: number;
    original = { dev: "", prod: "" };

    /** A fresh world: nothing printed or slept yet, no hooks, new stack files, Consul and engine. */
    async setUp(): Promise<void> {
        this.output = [];
        this.sleeps = 0;
        this.onSleep = undefined;
        this.detachOnSleep = undefined;
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-flip-"));
        for (const stack of ["dev", "prod"] as const) {
            this.original[stack] = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            fs.writeFileSync(path.join(this.dir, `Pulumi.${stack}.yaml`), this.original[stack]);
        }
        this.consul = await startConsulAtRest();
        this.engine = new EngineDriver(this.consul);
        this.engine.alarms = { "orders-5xx": "OK" };
    }

    async tearDown(): Promise<void> {
        await this.consul.close();
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    /**
     * Starts a rollout as `pulumi up` would, from a stack file that asks for its splits (written
     * here first): its execution's first tick runs at once. Its id.
     */
    async startRollout(spec: ReleaseSpec = prodRelease()): Promise<string> {
        this.setTraffic(spec.stack as "dev" | "prod", Object.fromEntries(spec.services.map((s) => [s.service, s.to])));
        await this.engine.start(spec);
        return this.engine.latest!;
    }

    /** A rollout's state (default: the last one started). */
    state(rolloutId = this.engine.latest): RolloutState {
        const state = this.engine.state(rolloutId);
        if (!state) {
            throw new Error(`no state of rollout ${rolloutId}`);
        }
        return state;
    }

    /** The KV keys of a rollout's state and command slot (default: the last one started). */
    stateKey(rolloutId = this.engine.latest!): string {
        return rolloutStateKey(rolloutId);
    }

    commandKey(rolloutId = this.engine.latest!): string {
        return rolloutCommandKey(rolloutId);
    }

    /** A rollout's execution is gone (stopped in the console, say): nothing ticks it any more (default: every rollout's). */
    stopExecution(rolloutId?: string): void {
        if (rolloutId === undefined) {
            this.engine.due.clear();
        } else {
            this.engine.due.delete(rolloutId);
        }
    }

    /** What the state machine's Catch hands the Lambda after a tick of the rollout failed past its retries. */
    async engineError(rolloutId: string, error: string, cause: string): Promise<void> {
        await handleEvent({ kind: "engine-error", rolloutId, error: { Error: error, Cause: cause } }, this.engine.deps());
        this.engine.due.delete(rolloutId);
    }

    /**
     * Runs every engine tick due up to virtual time `until`. Faults injected into the fake Consul
     * (state.faults) are what the client meets: the engine, in the stack's VPC, does not meet them.
     */
    async runEngineUntil(until: number): Promise<void> {
        const faults = this.consul.state.faults;
        this.consul.state.faults = [];
        try {
            await this.engine.runUntil(until);
        } finally {
            this.consul.state.faults = faults;
        }
    }

    clock(): Clock {
        let detached = false;
        return {
            now: () => this.engine.now,
            detached: () => detached,
            sleep: async (ms) => {
                await this.runEngineUntil(this.engine.now + ms);
                this.sleeps++;
                this.onSleep?.(this.sleeps);
                if (this.detachOnSleep !== undefined && this.sleeps >= this.detachOnSleep) {
                    detached = true;
                }
            },
        };
    }

    environment(overrides: Partial<FlipEnvironment> = {}): FlipEnvironment {
        return {
            out: { write: (text: string) => this.output.push(text) },
            env: { CONSUL_HTTP_TOKEN: "management-token" },
            clock: this.clock(),
            prompter: { interactive: false, ask: async () => "" },
            lockWaitMs: 0,
            user: "bo@laptop-2",
            detachedBy: () => (this.detachOnSleep !== undefined ? "SIGTERM" : undefined),
            ...overrides,
        };
    }

    /** Runs the client with --dir and --consul-address of this world. */
    run(args: string[], overrides?: Partial<FlipEnvironment>): Promise<number> {
        return flip([...args, "--dir", this.dir, "--consul-address", `http://${this.consul.address}`], this.environment(overrides));
    }

    text(): string {
        return this.output.join("");
    }

    /** Sets services' `traffic` in the stack file here, as a commit would. */
    setTraffic(stack: "dev" | "prod", traffic: Readonly<Record<string, Weights>>): void {
        const text = Object.entries(traffic).reduce((t, [service, weights]) => editTrafficText(t, service, weights), this.file(stack));
        fs.writeFileSync(path.join(this.dir, `Pulumi.${stack}.yaml`), text);
    }

    file(stack: "dev" | "prod"): string {
        return fs.readFileSync(path.join(this.dir, `Pulumi.${stack}.yaml`), "utf8");
    }
}
