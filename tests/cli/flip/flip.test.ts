// The flip CLI's decisions, on copies of the example stack files in a temporary folder.
//
// Two stand-ins, said plainly:
// - Consul is a loopback HTTP server answering in Consul's health API format (tests/fakeConsul.ts);
//   the flip reaches it through its real code path (--consul-address http://..., CONSUL_HTTP_TOKEN).
// - The apply step is a RECORDING STAND-IN: it records which weights would be applied and can be
//   told to fail. The real apply (cli/flip/apply.ts) runs `pulumi preview` and `pulumi up` through
//   Pulumi's Automation API, which needs the Pulumi CLI and a deployed stack; it is documented in the
//   README, and only its pure part (reading a preview's engine events) is tested here.
// Bake intervals run on a virtual clock, so a 5-minute canary takes milliseconds.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { flip, FlipEnvironment } from "../../../cli/flip/main";
import { parseDuration, parseFlipArgs, parseSteps } from "../../../cli/flip/args";
import { Applier, ApplyRefusedError, ApplyRequest, changesFromEvents } from "../../../cli/flip/apply";
import { Interrupts, processInterrupts } from "../../../cli/flip/canary";
import { AlarmReader } from "../../../cli/flip/gates";
import { progress } from "../../../cli/flip/progress";
import { editTrafficText, lockFilePath, StackLock, StackLockedError, TrafficNotEditableError, writeFileAtomic } from "../../../cli/flip/stackFile";
import { planSteps } from "../../../cli/flip/steps";
import { reportError } from "../../../cli/shared/run";
import { planStack } from "../../../src/offline/runtime";
import { UsageError } from "../../../src/offline/errors";
import { checkFlipChanges } from "../../../src/offline/planDiff";
import { FakeConsul, FakeInstance, startFakeConsul } from "../../support/fakeConsul";
import { ROOT } from "../../support/harness";
import { trafficProgram } from "../../../src/offline/trafficOnlyProgram";
import { T } from "../../support/typeTokens";

const healthy = (version: string, n: number): FakeInstance[] => Array.from({ length: n }, () => ({ service: "orders", version, status: "passing" as const }));

/** The apply step's recording stand-in (see the header). */
class RecordingApplier implements Applier {
    readonly applied: { reason: string; weights: Record<string, number>; file: string }[] = [];
    attempts = 0;
    /** Asked before each apply (attempts count from 0); an error returned makes that apply fail. */
    failWith?: (request: ApplyRequest, attempt: number) => Error | undefined;

    async apply(request: ApplyRequest): Promise<void> {
        const failure = this.failWith?.(request, this.attempts++);
        if (failure) {
            throw failure;
        }
        const file = fs.readFileSync(path.join(request.workDir, `Pulumi.${request.stack}.yaml`), "utf8");
        this.applied.push({ reason: request.reason, weights: { ...request.weights }, file });
    }
}

class TestInterrupts implements Interrupts {
    private readonly handlers = new Set<() => void>();
    onInterrupt(handler: () => void) {
        this.handlers.add(handler);
        return () => this.handlers.delete(handler);
    }
    fire() {
        this.handlers.forEach((h) => h());
    }
    get listening() {
        return this.handlers.size;
    }
}

describe("npm run flip", () => {
    let dir: string;
    let consul: FakeConsul;
    let output: string[];
    let applier: RecordingApplier;
    let interrupts: TestInterrupts;
    let clock: number;
    let onSleep: (() => void) | undefined;
    const original = { dev: "", prod: "" };

    beforeEach(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-flip-"));
        for (const stack of ["dev", "prod"] as const) {
            original[stack] = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), original[stack]);
        }
        consul = await startFakeConsul({ instances: [...healthy("blue", 2), ...healthy("green", 2)] });
        output = [];
        applier = new RecordingApplier();
        interrupts = new TestInterrupts();
        clock = 0;
        onSleep = undefined;
    });
    afterEach(async () => {
        await consul.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const environment = (overrides: Partial<FlipEnvironment> = {}): FlipEnvironment => ({
        out: { write: (text: string) => output.push(text) },
        env: { CONSUL_HTTP_TOKEN: "management-token" },
        applier,
        interrupts,
        now: () => clock,
        sleep: async (ms, signal) => {
            if (!signal.aborted) {
                clock += ms;
                onSleep?.();
            }
        },
        ...overrides,
    });
    const run = (args: string[], overrides?: Partial<FlipEnvironment>) =>
        flip([...args, "--dir", dir, "--consul-address", `http://${consul.address}`], environment(overrides));
    const file = (stack: "dev" | "prod") => fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8");
    const withTraffic = (text: string, blue: number, green: number) => {
        // The orders service is the last one in both example files; its traffic line is the last.
        const at = text.lastIndexOf("traffic: { blue: 100, green: 0 }");
        return `${text.slice(0, at)}traffic: { blue: ${blue}, green: ${green} }${text.slice(at + "traffic: { blue: 100, green: 0 }".length)}`;
    };
    const text = () => output.join("");
    /** Adds a line to the orders service (the last one in both example files), after its traffic line. */
    const addToOrders = (content: string, line: string) => {
        const at = content.lastIndexOf("traffic: {");
        const end = content.indexOf("\n", at) + 1;
        return `${content.slice(0, end)}      ${line}\n${content.slice(end)}`;
    };

    describe("--dry-run", () => {
        it("prints the steps, the config change and the offline plan's resource diff (the real program), and writes nothing", async function () {
            // Two plans of the whole program.
            this.timeout(90_000);
            const code = await run(["--stack", "dev", "--service", "orders", "--to", "green", "--steps", "10,50,100", "--dry-run"]);
            expect(code).to.equal(0);
            expect(text()).to.include("1. blue 90% / green 10%\n  2. blue 50% / green 50%\n  3. blue 0% / green 100%");
            expect(text()).to.include("Config gate: config ok (orders/green runs 1 task");
            expect(text()).to.include("-       traffic: { blue: 100, green: 0 }\n  +       traffic: { blue: 90, green: 10 }");
            // Under the rollout engine (src/rollout) a traffic change changes the stack's Release only; this
            // in-process flip predates it and says so (the engine's client replaces it).
            expect(text()).to.match(/resources whose inputs change \(1 of \d+\):\n {2}~ pulumi-nodejs:dynamic\/bluegreen:Release {2}rollout-release\n/);
            expect(text()).to.include("WARNING: a real flip would refuse this change: it touches more than the splitter and health gate of orders");
            expect(file("dev")).to.equal(original.dev);
            expect(fs.readdirSync(dir).sort()).to.deep.equal(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
            expect(applier.applied).to.be.empty;
            expect(consul.state.requests).to.be.empty;
        });

        it("warns when the plan would change more than the splitter and gate, or no splitter at all", async () => {
            const planOffline = (stack: string, config: Record<string, unknown>) => planStack({ stack, config, program: trafficProgram });
            const withoutPolicies = (stack: string, config: Record<string, unknown>) => planStack({ stack, config, program: () => ({}) });
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green", "--dry-run"], { planOffline: withoutPolicies })).to.equal(0);
            expect(text()).to.include("WARNING: the offline plan changes no splitter of orders");
            output = [];
            const alsoRoute = async (stack: string, config: Record<string, unknown>) => {
                const services = config["bluegreen:services"] as Record<string, { traffic: { green: number }; route?: unknown }>;
                if (services.orders.traffic.green > 0) {
                    services.orders.route = { pathPrefix: "/elsewhere" };
                }
                return planOffline(stack, config);
            };
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green", "--dry-run"], { planOffline: alsoRoute })).to.equal(0);
            expect(text()).to.match(/WARNING: a real flip would refuse this change: it touches more than the splitter and health gate of orders:\n {2}changed .*::mesh-route-orders/);
        });

        it("runs the config gate only, and fails it for a colour without an image", async () => {
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), original.dev.replace('green: { image: "nicholasjackson/fake-service:v0.26.2", count: 1, env: { MESSAGE: "orders green" } }', "green: { count: 0 }"));
            const code = await run(["--stack", "dev", "--service", "orders", "--to", "green", "--dry-run"]);
            expect(code).to.equal(1);
            expect(text()).to.include("config FAILED (orders/green has no image; set bluegreen:services.orders.green.image");
            expect(consul.state.requests).to.be.empty;
        });
    });

    describe("--no-up", () => {
        it("edits only the service's weights in Pulumi.<stack>.yaml, keeping comments, order and style, atomically", async () => {
            const code = await run(["--stack", "dev", "--service", "orders", "--to", "green", "--no-up"]);
            expect(code).to.equal(0);
            expect(file("dev")).to.equal(withTraffic(original.dev, 0, 100));
            expect(file("dev")).to.include("# No certificateArn: the ALB listens on HTTP only in dev.");
            expect(file("prod")).to.equal(original.prod);
            expect(fs.readdirSync(dir).sort()).to.deep.equal(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
            expect(applier.applied).to.be.empty;
            expect(consul.state.requests, "the health gate runs where the change is applied").to.be.empty;
        });

        it("writes the first step's weights with --steps, and the next step when run again", async () => {
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "10,50,100", "--no-up"])).to.equal(0);
            expect(file("prod")).to.equal(withTraffic(original.prod, 90, 10));
            expect(text()).to.include("That is step 1 of 3");
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "10,50,100", "--no-up"])).to.equal(0);
            expect(file("prod")).to.equal(withTraffic(original.prod, 50, 50));
        });

        it("refuses while another flip holds the stack", async () => {
            const lock = StackLock.acquire(path.join(dir, "Pulumi.dev.yaml"), "another flip");
            try {
                const err = await run(["--stack", "dev", "--service", "orders", "--to", "green", "--no-up"]).catch((e: unknown) => e);
                expect(err).to.be.instanceOf(StackLockedError);
                expect((err as Error).message).to.match(/another flip holds Pulumi.dev.yaml \(pid \d+ on .*: another flip\)/);
                const printed: string[] = [];
                expect(reportError(err, (t) => printed.push(t))).to.equal(1);
                expect(printed.join("")).to.not.include("    at ");
            } finally {
                lock.release();
            }
            expect(file("dev")).to.equal(original.dev);
        });
    });

    describe("apply (with the recording stand-in for pulumi up)", () => {
        it("passes the gates, writes the final weights and applies them once", async () => {
            const code = await run(["--stack", "prod", "--service", "orders", "--to", "green"]);
            expect(code).to.equal(0);
            expect(applier.applied.map((a) => [a.reason, a.weights])).to.deep.equal([["step", { blue: 0, green: 100 }]]);
            expect(applier.applied[0].file).to.equal(withTraffic(original.prod, 0, 100));
            expect(file("prod")).to.equal(withTraffic(original.prod, 0, 100));
            expect(text()).to.include("step 1/1 gates: config ok (orders/green runs 2 tasks of nicholasjackson/fake-service:v0.26.2); health ok (health gate passed: orders/green has 2 passing instances of 2 required (weight 100%))");
            expect(text()).to.include("done: orders runs blue 0% / green 100% (was blue 100% / green 0%)");
            expect(fs.existsSync(lockFilePath(path.join(dir, "Pulumi.prod.yaml")))).to.equal(false);
            expect(interrupts.listening).to.equal(0);
        });

        it("stops before any change when the health gate fails, naming the service, colour and counts", async () => {
            consul.state.instances = [...healthy("blue", 2), ...healthy("green", 1), { service: "orders", version: "green", status: "critical" }];
            const code = await run(["--stack", "prod", "--service", "orders", "--to", "green"]);
            expect(code).to.equal(1);
            expect(applier.applied).to.be.empty;
            expect(file("prod")).to.equal(original.prod);
            expect(text()).to.include("FLIP STOPPED: gate failed before step 1/1: health FAILED (health gate failed: orders/green has 1 passing instance of 2 required (weight 100%)). Nothing was changed");
        });

        it("lets gate.minHealthy lower what a colour needs", async () => {
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), addToOrders(original.prod, "gate: { minHealthy: 1 }"));
            consul.state.instances = [...healthy("blue", 2), ...healthy("green", 1)];
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green"])).to.equal(0);
            expect(applier.applied).to.have.length(1);
        });

        it("refuses without Consul's address unless gate.skip is set, which it reports", async () => {
            const noConsul = (args: string[]) => flip([...args, "--dir", dir], environment({ env: {} }));
            expect(await noConsul(["--stack", "prod", "--service", "orders", "--to", "green"])).to.equal(1);
            expect(text()).to.include("health FAILED (Consul's address is unknown; pass --consul-address or set CONSUL_HTTP_ADDR");
            expect(applier.applied).to.be.empty;
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), addToOrders(original.prod, "gate: { skip: true }"));
            expect(await noConsul(["--stack", "prod", "--service", "orders", "--to", "green"])).to.equal(0);
            expect(text()).to.include("health ok (SKIPPED: bluegreen:services.orders.gate.skip is true; no health check is made)");
        });

        it("runs the canary steps with a bake between them while polling the gates", async () => {
            const code = await run(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "10,50,100", "--interval", "5m", "--poll", "1m"]);
            expect(code).to.equal(0);
            expect(applier.applied.map((a) => a.weights.green)).to.deep.equal([10, 50, 100]);
            expect(clock).to.equal(2 * 5 * 60_000);
            const polls = consul.state.requests.filter((r) => r.startsWith("GET /v1/health/service/orders")).length;
            // Before each step: blue and/or green; while baking: five polls of both colours, twice.
            expect(polls).to.equal(2 + 2 + 1 + 2 * 5 * 2);
            expect(text()).to.include("baking before step 2/3: 5m00s left at blue 90% / green 10%");
            expect(text()).to.include("baked 5m00s before step 3/3: gates held");
        });

        it("rolls back to where it started when a gate fails mid-canary, and exits non-zero with what failed", async () => {
            let sleeps = 0;
            onSleep = () => {
                if (++sleeps === 3) {
                    consul.state.instances = [...healthy("blue", 2), ...healthy("green", 1)];
                }
            };
            const code = await run(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "10,50,100", "--interval", "5m", "--poll", "1m"]);
            expect(code).to.equal(1);
            expect(applier.applied.map((a) => [a.reason, a.weights])).to.deep.equal([
                ["step", { blue: 90, green: 10 }],
                ["rollback", { blue: 100, green: 0 }],
            ]);
            expect(applier.applied[1].file).to.equal(original.prod);
            expect(file("prod")).to.equal(original.prod);
            expect(text()).to.include("gate failed while baking before step 2/3: health FAILED (health gate failed: orders/green has 1 passing instance of 2 required (weight 10%))");
            expect(text()).to.include("FLIP FAILED: gate failed while baking before step 2/3");
            expect(text()).to.include("Traffic is back where it started: orders runs blue 100% / green 0%.");
        });

        it("rolls back when a CloudWatch alarm named in gate.alarms leaves OK", async () => {
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), original.prod.replace("      gate: { alarms: [] }\n", "      gate: { alarms: [inventory-5xx] }\n"));
            consul.state.instances.push(...healthy("blue", 2).map((i) => ({ ...i, service: "inventory" })), ...healthy("green", 2).map((i) => ({ ...i, service: "inventory" })));
            const states = new Map([["inventory-5xx", "OK"]]);
            const alarms = (): AlarmReader => ({ states: async (names) => new Map(names.filter((n) => states.has(n)).map((n) => [n, states.get(n)!])) });
            onSleep = () => states.set("inventory-5xx", "ALARM");
            const code = await run(["--stack", "prod", "--service", "inventory", "--to", "green", "--steps", "50,100", "--interval", "2m"], { alarms });
            expect(code).to.equal(1);
            expect(text()).to.include("step 1/2 gates: config ok");
            expect(text()).to.include("alarms ok (1 alarm OK)");
            expect(text()).to.include("alarms FAILED (alarm not OK: inventory-5xx is ALARM)");
            expect(applier.applied.map((a) => a.reason)).to.deep.equal(["step", "rollback"]);
            expect(applier.applied[1].weights).to.deep.equal({ blue: 100, green: 0 });
        });

        it("returns traffic to where it started on Ctrl-C during a canary, and exits 130", async () => {
            onSleep = () => interrupts.fire();
            const code = await run(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "10,50,100", "--interval", "5m"]);
            expect(code).to.equal(130);
            expect(applier.applied.map((a) => [a.reason, a.weights])).to.deep.equal([
                ["step", { blue: 90, green: 10 }],
                ["rollback", { blue: 100, green: 0 }],
            ]);
            expect(file("prod")).to.equal(original.prod);
            expect(text()).to.include("interrupted: returning orders to blue 100% / green 0%");
            expect(text()).to.include("FLIP FAILED: interrupted (Ctrl-C)");
            expect(interrupts.listening).to.equal(0);
            expect(fs.existsSync(lockFilePath(path.join(dir, "Pulumi.prod.yaml")))).to.equal(false);
        });

        it("treats an update cancelled by the same Ctrl-C as an interruption, and rolls back", async () => {
            applier.failWith = (_r, attempt) => {
                if (attempt === 0) {
                    interrupts.fire();
                    return new Error("update canceled");
                }
                return undefined;
            };
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green"])).to.equal(130);
            expect(applier.applied.map((a) => [a.reason, a.weights])).to.deep.equal([["rollback", { blue: 100, green: 0 }]]);
            expect(file("prod")).to.equal(original.prod);
            expect(text()).to.include("FLIP FAILED: interrupted (Ctrl-C) while applying step 1/1: update canceled");
        });

        it("restores the file without an apply when the first preview is refused", async () => {
            applier.failWith = () => new ApplyRefusedError("refusing to run pulumi up on prod: besides the splitter ...", ["changed urn:...::other"]);
            const code = await run(["--stack", "prod", "--service", "orders", "--to", "green"]);
            expect(code).to.equal(1);
            expect(applier.applied).to.be.empty;
            expect(file("prod")).to.equal(original.prod);
            expect(text()).to.include("FLIP STOPPED: applying step 1/1 failed: refusing to run pulumi up on prod");
        });

        it("rolls back when an apply fails after the file changed, and says so loudly when the rollback fails too", async () => {
            applier.failWith = (_r, attempt) => (attempt === 1 ? new Error("pulumi up failed: health gate failed: orders/green ...") : undefined);
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "50,100", "--interval", "1m"])).to.equal(1);
            expect(applier.applied.map((a) => [a.reason, a.weights.green])).to.deep.equal([
                ["step", 50],
                ["rollback", 0],
            ]);
            output = [];
            applier.applied.length = 0;
            applier.attempts = 0;
            applier.failWith = (r) => (r.reason === "rollback" ? new Error("network down") : r.weights.green === 100 ? new Error("pulumi up failed") : undefined);
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "50,100", "--interval", "1m"])).to.equal(1);
            expect(text()).to.include("ROLLBACK FAILED: network down");
            expect(text()).to.include("Pulumi.prod.yaml holds blue 100% / green 0%, but the stack may still run another split");
        });

        it("refuses a second flip on the same stack while one runs, and takes over a stale lock", async () => {
            let second: unknown;
            onSleep = () => {
                if (second === undefined) {
                    second = "pending";
                    run(["--stack", "prod", "--service", "inventory", "--to", "green", "--no-up"]).then(
                        (code) => (second = code),
                        (err: unknown) => (second = err),
                    );
                }
            };
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "50,100", "--interval", "1m"])).to.equal(0);
            expect(second).to.be.instanceOf(StackLockedError);
            // A lock whose process is gone (on this host) is stale.
            const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid as number;
            fs.writeFileSync(lockFilePath(path.join(dir, "Pulumi.dev.yaml")), JSON.stringify({ pid: dead, host: os.hostname(), startedAt: "then", command: "crashed flip" }));
            expect(await run(["--stack", "dev", "--service", "orders", "--to", "green", "--no-up"])).to.equal(0);
            expect(fs.existsSync(lockFilePath(path.join(dir, "Pulumi.dev.yaml")))).to.equal(false);
        });

        it("does nothing when the target colour already has all the traffic", async () => {
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), withTraffic(original.prod, 0, 100));
            expect(await run(["--stack", "prod", "--service", "orders", "--to", "green"])).to.equal(0);
            expect(text()).to.include("nothing to do: green already has 100%");
            expect(applier.applied).to.be.empty;
        });
    });

    describe("--status and errors", () => {
        it("prints the traffic table with passing instances per colour from Consul", async () => {
            consul.state.instances.push({ service: "orders", version: "green", status: "critical" }, { service: "inventory", version: "blue", status: "passing" });
            expect(await run(["--stack", "prod", "--status"])).to.equal(0);
            expect(text()).to.match(/orders\s+green\s+nicholasjackson\/fake-service:v0.26.2\s+2\s+0%\s+2\n/);
            expect(text()).to.match(/inventory\s+blue\s+nicholasjackson\/fake-service:v0.26.2\s+2\s+100%\s+1\n/);
            expect(text()).to.include("passing instances from Consul");
        });

        it("shows the table from config alone when Consul does not answer", async () => {
            await consul.close();
            consul = await startFakeConsul();
            expect(await flip(["--stack", "dev", "--status", "--service", "orders", "--dir", dir, "--consul-address", `http://${consul.address}`], environment({ env: {} }))).to.equal(0);
            expect(text()).to.match(/orders\s+blue\s+\S+\s+1\s+100%\s+-\n/);
            expect(text()).to.match(/Passing instances not shown: Consul did not answer: .*403/);
        });

        it("names unknown stacks, services and colours, and bad steps and durations, as usage errors", async () => {
            const usage = async (args: string[]) => {
                const err = await run(args).then(
                    () => undefined,
                    (e: unknown) => e,
                );
                expect(err, args.join(" ")).to.be.instanceOf(UsageError);
                return (err as Error).message;
            };
            expect(await usage(["--stack", "staging", "--status"])).to.include('unknown stack "staging": there is no Pulumi.staging.yaml in');
            expect(await usage(["--stack", "prod", "--service", "payments", "--to", "green"])).to.include('unknown service "payments" in stack prod; its services: inventory, orders');
            expect(await usage(["--stack", "prod", "--service", "orders", "--to", "red"])).to.include('--to "red" is not a colour; use blue or green');
            expect(await usage(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "50,10,100"])).to.include("steps must increase");
            expect(await usage(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "10,50"])).to.include("must end at 100");
            expect(await usage(["--stack", "prod", "--service", "orders", "--to", "green", "--interval", "5m"])).to.include("--interval needs --steps");
            expect(await usage(["--stack", "prod", "--service", "orders", "--to", "green", "--steps", "50,100", "--interval", "5 minutes"])).to.include("is not a duration");
            expect(await usage(["--stack", "prod", "--service", "orders", "--to", "green", "--dry-run", "--no-up"])).to.include("--dry-run and --no-up cannot be combined");
        });
    });
});

describe("flip building blocks", () => {
    it("parses durations and steps", () => {
        expect(parseDuration("5m")).to.equal(300_000);
        expect(parseDuration("30s")).to.equal(30_000);
        expect(parseDuration("1m30s")).to.equal(90_000);
        expect(parseDuration("1h")).to.equal(3_600_000);
        expect(parseSteps("10, 50,100")).to.deep.equal([10, 50, 100]);
        expect(() => parseSteps("0,100")).to.throw(UsageError);
        expect(() => parseSteps("12.345,100")).to.throw("at most 2 decimals");
        const args = parseFlipArgs(["--stack", "dev", "--service", "orders", "--to", "green", "--steps", "10,100"], ROOT);
        expect(args).to.deep.include({ mode: "apply", intervalMs: 300_000, pollMs: 15_000, steps: [10, 100] });
    });

    it("plans steps from the current split, skipping shares already reached", () => {
        expect(planSteps({ blue: 100, green: 0 }, "green", [10, 50, 100])).to.deep.equal([
            { blue: 90, green: 10 },
            { blue: 50, green: 50 },
            { blue: 0, green: 100 },
        ]);
        expect(planSteps({ blue: 50, green: 50 }, "green", [10, 50, 100])).to.deep.equal([{ blue: 0, green: 100 }]);
        expect(planSteps({ blue: 0, green: 100 }, "blue", [33.33, 100])).to.deep.equal([
            { blue: 33.33, green: 66.67 },
            { blue: 100, green: 0 },
        ]);
        expect(planSteps({ blue: 100, green: 0 }, "blue")).to.deep.equal([]);
    });

    it("edits weights byte for byte and refuses what it cannot edit safely", () => {
        const yaml = "# top\nconfig:\n  bluegreen:services:\n    a:\n      # weights\n      traffic:\n        blue: 100 # live\n        green: 0\n    b:\n      traffic: { blue: 100, green: 0 }\n";
        expect(editTrafficText(yaml, "a", { blue: 25.5, green: 74.5 })).to.equal(yaml.replace("blue: 100 # live\n        green: 0", "blue: 25.5 # live\n        green: 74.5"));
        expect(editTrafficText(yaml, "b", { blue: 0, green: 100 })).to.equal(yaml.replace("traffic: { blue: 100, green: 0 }", "traffic: { blue: 0, green: 100 }"));
        const aliased = "config:\n  bluegreen:services:\n    a:\n      traffic: &t { blue: 100, green: 0 }\n    b:\n      traffic: *t\n";
        expect(() => editTrafficText(aliased, "b", { blue: 0, green: 100 })).to.throw(TrafficNotEditableError, "traffic is a YAML alias (*t)");
        expect(() => editTrafficText(aliased, "a", { blue: 0, green: 100 })).to.throw(TrafficNotEditableError, "would change more than its weights");
        expect(() => editTrafficText(yaml, "c", { blue: 0, green: 100 })).to.throw("is not a map");
    });

    it("writes atomically: the new content, the old mode, no temporary file left", () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-atomic-"));
        try {
            const target = path.join(folder, "Pulumi.x.yaml");
            fs.writeFileSync(target, "old\n", { mode: 0o600 });
            writeFileAtomic(target, "new\n");
            expect(fs.readFileSync(target, "utf8")).to.equal("new\n");
            expect(fs.statSync(target).mode & 0o777).to.equal(0o600);
            expect(fs.readdirSync(folder)).to.deep.equal(["Pulumi.x.yaml"]);
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });

    it("reads a preview's engine events into changes, and accepts only the service's splitter and gate", () => {
        const event = (op: string, name: string, type: string = T.splitter): EngineEvent =>
            ({ sequence: 0, timestamp: 0, resourcePreEvent: { metadata: { op, urn: `urn:pulumi:prod::bluegreen::bluegreen:mesh:TrafficPolicy$${type}::${name}`, type, provider: "" } } }) as unknown as EngineEvent;
        const flipOnly = changesFromEvents([event("same", "traffic-inventory-splitter"), event("update", "traffic-orders-splitter"), event("update", "traffic-orders-gate", T.healthGate)]);
        expect(flipOnly.map((c) => c.kind)).to.deep.equal(["changed", "changed"]);
        expect(checkFlipChanges(flipOnly, "orders")).to.deep.include({ ok: true, splitterChanged: true });
        expect(checkFlipChanges(flipOnly, "inventory").ok).to.equal(false);
        const replaced = changesFromEvents([event("replace", "traffic-orders-splitter")]);
        expect(checkFlipChanges(replaced, "orders")).to.deep.include({ ok: false, unexpected: [`replace ${replaced[0].urn}`] });
        const more = changesFromEvents([event("update", "traffic-orders-splitter"), event("create", "mesh-route-orders", T.configEntry)]);
        expect(checkFlipChanges(more, "orders").unexpected).to.have.length(1);
    });

    it("redraws the status line on a terminal and writes one line per event elsewhere", () => {
        const written: string[] = [];
        const tty = progress({ write: (t: string) => written.push(t), isTTY: true }, "[prod/orders]");
        tty.status("baking: 4m00s left");
        tty.status("baking: 3m45s left");
        tty.event("step 2/3: blue 50% / green 50%");
        tty.done();
        const screen = written.join("").replace(/\d\d:\d\d:\d\d /g, "");
        const clearLine = "\r\u001b[2K";
        expect(screen).to.equal(`[prod/orders] baking: 4m00s left${clearLine}[prod/orders] baking: 3m45s left${clearLine}[prod/orders] step 2/3: blue 50% / green 50%\n`);
        const lines: string[] = [];
        const log = progress({ write: (t: string) => lines.push(t) }, "[prod/orders]");
        log.status("baking: 4m00s left");
        log.event("step 2/3");
        log.done();
        expect(lines).to.have.length(2);
        expect(lines.every((l) => l.endsWith("\n") && !l.includes("\r"))).to.equal(true);
    });

    it("hears a real SIGINT through processInterrupts, and stops listening when asked", async () => {
        const heard = new Promise<void>((resolve) => {
            const stop = processInterrupts().onInterrupt(() => {
                stop();
                resolve();
            });
        });
        process.kill(process.pid, "SIGINT");
        await heard;
        expect(process.listenerCount("SIGINT")).to.equal(0);
    });
});
