// `set`: the config flip that stays the interface. On copies of the example stack files; `--up`'s
// pulumi run is a RECORDING STAND-IN (the real one, cli/flip/apply.ts, drives the Pulumi CLI through
// the Automation API, which this machine does not have; only its pure part is tested here).
import { expect } from "chai";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { Applier, ApplyRequest, changesFromEvents, findPulumiCli, unexpectedChanges } from "../../../cli/flip/apply";
import { classify } from "../../../cli/flip/clientErrors";
import { editTrafficText, TrafficNotEditableError, writeFileAtomic } from "../../../cli/flip/stackFile";
import { isProductionStack } from "../../../src/shared/stacks";
import { UsageError } from "../../../src/offline/errors";
import { StackValues } from "../../../src/offline/stackFile";
import { FlipWorld } from "../../support/flipClient";
import { examplePlan, planWith, stackConfig } from "../../support/harness";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";

class RecordingApplier implements Applier {
    readonly runs: { services: readonly string[]; file: string }[] = [];
    async apply(request: ApplyRequest): Promise<void> {
        this.runs.push({ services: request.services, file: fs.readFileSync(path.join(request.workDir, `Pulumi.${request.stack}.yaml`), "utf8") });
    }
}

describe("npm run flip -- set", () => {
    const world = new FlipWorld();
    beforeEach(async () => {
        world.output = [];
        await world.setUp();
    });
    afterEach(() => world.tearDown());
    const green = (text: string, service: string) => editTrafficText(text, service, { blue: 0, green: 100 });

    it("writes the desired split of one service, only those weights, and says that pulumi up starts the rollout", async () => {
        expect(await world.run(["set", "--stack", "dev", "--service", "orders", "--to", "green"])).to.equal(0);
        expect(world.file("dev")).to.equal(green(world.original.dev, "orders"));
        expect(world.text()).to.include("orders: blue 100% / green 0% -> blue 0% / green 100%");
        expect(world.text()).to.include("`pulumi up --stack dev` starts the rollout in the platform");
        expect(world.text()).to.include("npm run flip -- status --stack dev --watch");
        // The old spelling still works, and a second run changes nothing.
        world.output = [];
        expect(await world.run(["--stack", "dev", "--service", "orders", "--to", "green", "--no-up"])).to.equal(0);
        expect(world.text()).to.include("Nothing to change: orders already send all traffic to green");
    });

    it("writes several services in one edit, for one release", async () => {
        expect(await world.run(["set", "--stack", "dev", "--service", "inventory", "--service", "orders", "--to", "green"])).to.equal(0);
        expect(world.file("dev")).to.equal(green(green(world.original.dev, "inventory"), "orders"));
    });

    it("refuses a colour that cannot take traffic, writing nothing (exit 2)", async () => {
        fs.writeFileSync(path.join(world.dir, "Pulumi.dev.yaml"), world.original.dev.replace('green: { image: "nicholasjackson/fake-service:v0.26.2", count: 1, env: { MESSAGE: "orders green" } }', 'green: { count: 0, env: { MESSAGE: "orders green" } }'));
        const before = world.file("dev");
        const err = await world.run(["set", "--stack", "dev", "--service", "orders", "--to", "green"]).catch((e: unknown) => e);
        expect(classify(err)).to.deep.include({ code: 2 });
        expect((err as Error).message).to.include("orders/green has no image; set bluegreen:services.orders.green.image");
        expect(world.file("dev")).to.equal(before);
    });

    it("asks before changing a production stack: refuses without a terminal unless --yes, and needs the stack's name typed", async () => {
        const noTty = await world.run(["set", "--stack", "prod", "--service", "orders", "--to", "green"]).catch((e: unknown) => e);
        expect(classify(noTty).code).to.equal(2);
        expect((noTty as Error).message).to.equal("prod is a production stack: pass --yes to change the desired traffic of orders in prod without a terminal to confirm on");
        const asked: string[] = [];
        const wrong = await world.run(["set", "--stack", "prod", "--service", "orders", "--to", "green"], { prompter: { interactive: true, ask: async (q) => (asked.push(q), "yes") } }).catch((e: unknown) => e);
        expect((wrong as Error).message).to.include('not confirmed (typed "yes", not "prod")');
        expect(asked[0]).to.include("prod is a production stack");
        expect(world.file("prod")).to.equal(world.original.prod);
        expect(await world.run(["set", "--stack", "prod", "--service", "orders", "--to", "green"], { prompter: { interactive: true, ask: async () => "prod" } })).to.equal(0);
        expect(await world.run(["set", "--stack", "prod", "--service", "inventory", "--to", "green", "--yes"])).to.equal(0);
        expect(world.file("prod")).to.equal(green(green(world.original.prod, "orders"), "inventory"));
        // dev is not production: no question.
        expect(await world.run(["set", "--stack", "dev", "--service", "orders", "--to", "green"])).to.equal(0);
    });

    it("names stacks like production by one rule, shared with config validation", () => {
        expect(["prod", "prod-eu", "eu.production", "app_prd", "PROD"].every(isProductionStack)).to.equal(true);
        expect(["dev", "product", "preprod", "staging", "prodigy"].some(isProductionStack)).to.equal(false);
    });

    it("--up runs pulumi up after the edit (stand-in), and needs the Pulumi CLI on PATH", async () => {
        const applier = new RecordingApplier();
        expect(await world.run(["set", "--stack", "dev", "--service", "orders", "--to", "green", "--up"], { applier })).to.equal(0);
        expect(applier.runs).to.have.length(1);
        expect(applier.runs[0].services).to.deep.equal(["orders"]);
        expect(applier.runs[0].file).to.equal(green(world.original.dev, "orders"));
        expect(world.text()).to.include("Running pulumi up for dev; the rollout starts in the engine and goes on if this client stops.");
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-bin-"));
        try {
            expect(findPulumiCli({ PATH: bin })).to.equal(undefined);
            fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
            expect(findPulumiCli({ PATH: `/nonexistent${path.delimiter}${bin}` })).to.equal(path.join(bin, "pulumi"));
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });

    it("--up on a signal cancels pulumi up through its AbortSignal (SIGINT to pulumi) and detaches with 128+n", async () => {
        const abort = new AbortController();
        let sawSignal = false;
        const applier: Applier = {
            apply: (request) =>
                new Promise<void>((_, reject) => {
                    request.signal?.addEventListener("abort", () => {
                        sawSignal = true;
                        reject(new Error("update canceled"));
                    });
                    abort.abort(); // the signal arrives while pulumi up runs
                }),
        };
        const code = await world.run(["set", "--stack", "dev", "--service", "orders", "--to", "green", "--up"], { applier, abort: abort.signal, detachedBy: () => "SIGINT" });
        expect(code).to.equal(130);
        expect(sawSignal).to.equal(true);
        expect(world.text()).to.include("detached on SIGINT: pulumi up was cancelled cleanly; a rollout it had started goes on in the engine.");
        expect(world.file("dev")).to.equal(green(world.original.dev, "orders"));
    });

    it("--dry-run prints the change and the offline plan's diff (the real program) and writes nothing", async () => {
        // The "before" plan is the example stack as it is: the run every test file shares (examplePlan).
        const planOffline = async (stack: string, config: StackValues) =>
            isDeepStrictEqual(config, stackConfig("dev")) ? (await examplePlan("dev")).result : (await planWith(stack, config)).result;
        expect(await world.run(["set", "--stack", "dev", "--service", "orders", "--to", "green", "--dry-run"], { planOffline })).to.equal(0);
        expect(world.text()).to.include("Dry run for stack dev (nothing is written).");
        expect(world.text()).to.match(/Offline plan: resources whose inputs change \(\d+ of \d+\):/);
        expect(world.text()).to.match(/Offline plan: resources whose inputs change \(1 of \d+\):\n {2}~ \S+ {2}rollout-release/);
        expect(world.file("dev")).to.equal(world.original.dev);
    });

    it("names unknown stacks, services, colours and commands, and misplaced flags, as usage errors (exit 2)", async () => {
        const usage = async (args: string[]) => {
            const err = await world.run(args).catch((e: unknown) => e);
            expect(err, args.join(" ")).to.be.instanceOf(UsageError);
            expect(classify(err).code).to.equal(2);
            return (err as Error).message;
        };
        expect(await usage(["set", "--stack", "staging", "--service", "orders", "--to", "green"])).to.include('unknown stack "staging": there is no Pulumi.staging.yaml in');
        expect(await usage(["set", "--stack", "prod", "--service", "payments", "--to", "green"])).to.include('unknown service "payments" in stack prod; its services: inventory, orders');
        expect(await usage(["set", "--stack", "prod", "--service", "orders", "--to", "red"])).to.include('--to "red" is not a colour; use blue or green');
        expect(await usage(["deploy", "--stack", "prod"])).to.include('unknown command "deploy"');
        expect(await usage(["pause", "--stack", "prod", "--to", "green"])).to.include("--to does not go with pause");
        expect(await usage(["status", "--stack", "prod", "--timeout", "5m"])).to.include("--timeout needs --watch");
        expect(await usage(["set", "--stack", "prod", "--service", "orders", "--to", "green", "--dry-run", "--up"])).to.include("--dry-run and --up cannot be combined");
    });
});

describe("flip building blocks", () => {
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

    it("reads a preview's engine events into changes, and accepts only the stack's Release", () => {
        const event = (op: string, name: string, type: string): EngineEvent =>
            ({ sequence: 0, timestamp: 0, resourcePreEvent: { metadata: { op, urn: `urn:pulumi:prod::bluegreen::${type}::${name}`, type, provider: "" } } }) as unknown as EngineEvent;
        const release = event("update", "rollout-release", "pulumi-nodejs:dynamic/bluegreen:Release");
        const splitter = event("update", "traffic-orders-splitter", "consul:index/configEntryServiceSplitter:ConfigEntryServiceSplitter");
        const flipOnly = changesFromEvents([event("same", "traffic-inventory-splitter", "consul:index/configEntryServiceSplitter:ConfigEntryServiceSplitter"), release]);
        expect(flipOnly.map((c) => c.kind)).to.deep.equal(["changed"]);
        expect(unexpectedChanges(flipOnly)).to.deep.equal([]);
        expect(unexpectedChanges(changesFromEvents([release, splitter]))).to.deep.equal([`changed ${changesFromEvents([splitter])[0].urn}`]);
        expect(unexpectedChanges(changesFromEvents([event("create", "mesh-route-orders", "consul:index/configEntry:ConfigEntry"), release]))).to.have.length(1);
    });
});
