// `flip rollback` end to end on this machine: the client (in-process, on the virtual clock) reads
// the loopback fake Consul (tests/support/fakeConsul.ts, Consul's documented API; NOT Consul) and
// invokes the engine through the real AWS SDK Lambda client against a loopback Invoke endpoint
// (tests/support/fakeLambda.ts; NOT AWS Lambda), set as the stack file's `aws:endpoints` lambda
// override. That endpoint runs the engine's REAL handler (src/rollout/handler.ts) against the same
// fake Consul, so what the tests check in Consul is what the engine's code wrote.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { flip } from "../../../cli/flip/main";
import { CLAIMS_KEY, HistoryRecord, ROLLOUT_HISTORY_PREFIX, RollbackRequest, RolloutState, rolloutStateKey, ServiceClaims, Weights } from "../../../src/rollout/contract";
import { EngineEvent, handleEvent } from "../../../src/rollout/handler";
import { readKv } from "../../support/fakeConsulKv";
import { FakeLambda, startFakeLambda } from "../../support/fakeLambda";
import { ALL_BLUE, ALL_GREEN, FlipWorld, prodRelease } from "../../support/flipClient";

const FUNCTION = "prod-rollout-tick";
const ACCESS_KEY = "AKIAROLLBACK0000000";

/** The prod stack file with the AWS identity and the loopback Lambda endpoint in its provider config. */
function withAwsConfig(text: string, endpoint: string): string {
    return text.replace("  aws:region: eu-west-1\n", `  aws:region: eu-west-1\n  aws:accessKey: ${ACCESS_KEY}\n  aws:secretKey: rollback-secret\n  aws:endpoints:\n    - lambda: ${endpoint}\n`);
}

describe("flip rollback (loopback Consul; loopback Lambda Invoke running the engine's real handler)", function () {
    this.timeout(30_000);
    let world: FlipWorld;
    let lambda: FakeLambda;
    /** Each splitter write the engine made, in order. */
    let writes: { service: string; weights: Weights }[];
    let fault: ((n: number) => { error: string; ran?: boolean } | { delayMs: number } | undefined) | undefined;

    beforeEach(async () => {
        world = new FlipWorld();
        await world.setUp();
        writes = [];
        fault = undefined;
        lambda = await startFakeLambda({
            functions: {
                [FUNCTION]: (event) => {
                    const deps = world.engine.deps();
                    const putSplit = deps.consul.putSplit.bind(deps.consul);
                    const consul = {
                        ...deps.consul,
                        putSplit: async (service: string, weights: Weights, cas?: number) => {
                            const ok = await putSplit(service, weights, cas);
                            if (ok) {
                                writes.push({ service, weights });
                            }
                            return ok;
                        },
                    };
                    return handleEvent(event as EngineEvent, { ...deps, consul });
                },
            },
            fault: (n) => fault?.(n),
        });
        fs.writeFileSync(path.join(world.dir, "Pulumi.prod.yaml"), withAwsConfig(world.original.prod, lambda.endpoint));
    });
    afterEach(async () => {
        await lambda.close();
        await world.tearDown();
    });

    const live = (service: string): Weights | undefined => {
        const entry = world.consul.state.config.get(`service-splitter/${service}`) as { Splits: { Weight: number; ServiceSubset: string }[] } | undefined;
        return entry && { blue: entry.Splits.find((s) => s.ServiceSubset === "blue")!.Weight, green: entry.Splits.find((s) => s.ServiceSubset === "green")!.Weight };
    };
    const claims = () => readKv<ServiceClaims>(world.consul, CLAIMS_KEY)!.services;
    const stateOf = (id: string) => readKv<RolloutState>(world.consul, rolloutStateKey(id));
    const historyOf = (id: string): HistoryRecord | undefined => {
        const key = [...world.consul.state.kv.keys()].find((k) => k.startsWith(ROLLOUT_HISTORY_PREFIX) && k.endsWith(id));
        return key ? readKv<HistoryRecord>(world.consul, key) : undefined;
    };
    const requestOf = (n: number) => (lambda.invocations[n].payload as { kind: string; request: RollbackRequest }).request;
    const trafficOf = (service: string) => {
        const text = world.file("prod");
        const block = text.slice(text.indexOf(`    ${service}:\n`));
        return /traffic: \{ blue: (\d+), green: (\d+) \}/.exec(block)!.slice(1).map(Number);
    };

    /** orders released to green and promoted, as `set` + `pulumi up` leave it. */
    async function promoteOrders(): Promise<string> {
        expect(await world.run(["set", "--stack", "prod", "--service", "orders", "--to", "green", "--yes"])).to.equal(0);
        await world.startRollout(prodRelease({ steps: [], bakeSeconds: 0 }, ["orders"]));
        const state = await world.engine.runToEnd();
        expect(state).to.include({ phase: "promoted" });
        expect(live("orders")).to.deep.equal(ALL_GREEN);
        world.output = [];
        return state!.rolloutId;
    }

    it("rolls a promoted service back to the split before its release in one write, records who/when/why/from/to, and writes the stack file", async () => {
        const released = await promoteOrders();
        const code = await world.run(["rollback", "--stack", "prod", "--service", "orders", "--reason", "5xx after deploy", "--yes"]);
        expect(code, world.text()).to.equal(0);

        // One synchronous Invoke of the stack's tick function, as the stack file's AWS identity, in its region.
        expect(lambda.invocations).to.have.length(1);
        expect(lambda.invocations[0]).to.deep.include({ functionName: FUNCTION, invocationType: "RequestResponse", accessKeyId: ACCESS_KEY, region: "eu-west-1", service: "lambda" });
        const request = requestOf(0);
        expect(request).to.deep.include({ stack: "prod", services: [{ service: "orders", to: ALL_BLUE }], issuedBy: "bo@laptop-2", reason: "5xx after deploy" });
        expect(request.forced).to.equal(undefined);

        // One write, to the split before the release.
        expect(writes).to.deep.equal([{ service: "orders", weights: ALL_BLUE }]);
        expect(live("orders")).to.deep.equal(ALL_BLUE);
        const rollbackId = claims().orders.rolloutId;
        expect(rollbackId).to.equal(`prod-rollback-${request.id}`);
        expect(stateOf(rollbackId)).to.include({ kind: "rollback", phase: "promoted" });
        const record = historyOf(rollbackId)!;
        expect(record).to.deep.include({ kind: "rollback", result: "promoted", requestedBy: "bo@laptop-2", reason: "5xx after deploy", from: { orders: ALL_GREEN }, to: { orders: ALL_BLUE } });
        expect(record.startedAt).to.equal(request.issuedAt);
        expect(record.endedAt).to.be.a("string");

        const text = world.text();
        expect(text).to.include(`orders: blue 0% / green 100% -> blue 100% / green 0% (the split before rollout ${released} promoted at`);
        expect(text).to.include(`Rolled back in 0.00s (rollback ${rollbackId}):`);
        expect(text).to.include("reason: 5xx after deploy");
        expect(text).to.include(`commit Pulumi.prod.yaml`);
        expect(text).to.include(`git add '${path.join(world.dir, "Pulumi.prod.yaml")}'`);
        expect(text).to.include(`git commit -m 'Roll back orders to blue 100% / green 0%: 5xx after deploy (${rollbackId})'`);
        expect(trafficOf("orders")).to.deep.equal([100, 0]);
    });

    it("writes the stack file byte for byte as `set` writes the same split", async () => {
        await promoteOrders();
        const before = world.file("prod");
        const other = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-set-"));
        try {
            fs.writeFileSync(path.join(other, "Pulumi.prod.yaml"), before);
            expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--yes"])).to.equal(0);
            const env = world.environment();
            expect(await flip(["set", "--stack", "prod", "--service", "orders", "--to", "blue", "--yes", "--dir", other], env)).to.equal(0);
            const bySet = fs.readFileSync(path.join(other, "Pulumi.prod.yaml"), "utf8");
            expect(bySet).to.not.equal(before);
            expect(world.file("prod")).to.equal(bySet);
        } finally {
            fs.rmSync(other, { recursive: true, force: true });
        }
    });

    it("leaves another service's baking rollout untouched", async () => {
        await promoteOrders();
        await world.startRollout(prodRelease({ steps: [10, 50], bakeSeconds: 300 }, ["inventory"]));
        const inventory = world.engine.latest!;
        await world.runEngineUntil(world.engine.now + 30_000);
        expect(stateOf(inventory)).to.include({ phase: "baking" });
        const stateIndex = world.consul.state.kv.get(rolloutStateKey(inventory))!.modifyIndex;
        const splitterIndex = world.consul.state.config.get("service-splitter/inventory")!.ModifyIndex;
        const inventorySplit = live("inventory");

        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--to", "blue", "--yes"]), world.text()).to.equal(0);
        expect(writes).to.deep.equal([{ service: "orders", weights: ALL_BLUE }]);
        expect(world.consul.state.kv.get(rolloutStateKey(inventory))!.modifyIndex).to.equal(stateIndex);
        expect(world.consul.state.config.get("service-splitter/inventory")!.ModifyIndex).to.equal(splitterIndex);
        expect(live("inventory")).to.deep.equal(inventorySplit);
        expect(claims().inventory.rolloutId).to.equal(inventory);
        expect(world.text()).to.not.include("aborted rollout");
        // It goes on baking, then promotes.
        expect(await world.engine.runToEnd()).to.include({ phase: "promoted" });
    });

    it("during the service's own release, aborts it (the whole release), restores its starting split, and writes back every service it moved", async () => {
        expect(await world.run(["set", "--stack", "prod", "--service", "orders", "--service", "inventory", "--to", "green", "--yes"])).to.equal(0);
        await world.startRollout(prodRelease({ steps: [10, 50], bakeSeconds: 300 }));
        const release = world.engine.latest!;
        await world.runEngineUntil(world.engine.now + 330_000);
        expect(stateOf(release)!.stepIndex).to.be.at.least(0);
        world.output = [];

        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--reason", "latency", "--yes"]), world.text()).to.equal(0);
        expect(requestOf(0).services).to.deep.equal([{ service: "orders", to: ALL_BLUE }]);
        expect(stateOf(release)).to.include({ phase: "aborted" });
        expect(live("orders")).to.deep.equal(ALL_BLUE);
        expect(live("inventory")).to.deep.equal(ALL_BLUE);
        // The abort's restore is the one write of each service; the rollback finds orders where it asked.
        expect(writes.filter((w) => w.service === "orders")).to.deep.equal([{ service: "orders", weights: ALL_BLUE }]);
        const text = world.text();
        expect(text).to.include(`the split its running rollout ${release} started from); aborts its running rollout ${release}`);
        expect(text).to.match(new RegExp(`aborted rollout ${release} \\(inventory, orders\\): aborted`));
        expect(trafficOf("orders")).to.deep.equal([100, 0]);
        expect(trafficOf("inventory")).to.deep.equal([100, 0]);
        expect(text).to.include("inventory: blue 0% / green 100% -> blue 100% / green 0% (restored with the aborted release");
    });

    it("says how the aborted release ended even once its state is gone (the rollback displaced it; its history record says)", async () => {
        expect(await world.run(["set", "--stack", "prod", "--service", "orders", "--to", "green", "--yes"])).to.equal(0);
        await world.startRollout(prodRelease({ steps: [10, 50], bakeSeconds: 300 }, ["orders"]));
        const release = world.engine.latest!;
        await world.runEngineUntil(world.engine.now + 60_000);
        world.output = [];
        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--yes"]), world.text()).to.equal(0);
        expect(stateOf(release)).to.equal(undefined);
        expect(world.text()).to.match(new RegExp(`aborted rollout ${release} \\(orders\\): aborted, aborted by bo@laptop-2`));
        expect(live("orders")).to.deep.equal(ALL_BLUE);
    });

    it("refuses a destination colour without its passing instances, naming the colour and the counts; --force overrides and states the risk", async () => {
        await promoteOrders();
        world.consul.state.instances = world.consul.state.instances.filter((i) => !(i.service === "orders" && i.version === "blue")).concat([{ service: "orders", version: "blue", status: "passing" }]);
        const before = world.file("prod");

        const refused = await world.run(["rollback", "--stack", "prod", "--service", "orders", "--yes"]).catch((err: Error) => err);
        expect(refused).to.be.instanceOf(Error);
        expect((refused as Error).message).to.include("orders/blue has 1 passing instance of 2 required").and.include("--force");
        expect(lambda.invocations).to.have.length(0);
        expect(live("orders")).to.deep.equal(ALL_GREEN);
        expect(world.file("prod")).to.equal(before);

        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--force", "--reason", "green is down", "--yes"]), world.text()).to.equal(0);
        const risk = "orders/blue has 1 passing instance of 2 required: traffic moves to a colour that may not be able to serve it";
        expect(requestOf(0).forced).to.equal(risk);
        expect(world.text()).to.include(`FORCED: ${risk}.`);
        expect(live("orders")).to.deep.equal(ALL_BLUE);
        expect(historyOf(claims().orders.rolloutId)!.reason).to.equal(`green is down; forced: ${risk}`);
    });

    it("refuses a service that already runs the split it would go back to, and one without a promoted release", async () => {
        const already = await world.run(["rollback", "--stack", "prod", "--service", "orders", "--to", "blue", "--yes"]).catch((err: Error) => err);
        expect((already as Error).message).to.include("orders already runs blue 100% / green 0% (--to blue); nothing to roll back");
        const none = await world.run(["rollback", "--stack", "prod", "--service", "inventory", "--yes"]).catch((err: Error) => err);
        expect((none as Error).message).to.include("inventory: no promoted release of it is recorded");
        expect(lambda.invocations).to.have.length(0);
    });

    it("retries the same request after the function fails, and the engine continues the rollback: one write", async () => {
        await promoteOrders();
        // The first invocation acts, then times out before it answers.
        fault = (n) => (n === 1 ? { error: "Task timed out after 60.00 seconds", ran: true } : undefined);
        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--yes"]), world.text()).to.equal(0);
        expect(lambda.invocations).to.have.length(2);
        expect(requestOf(1)).to.deep.equal(requestOf(0));
        expect(writes).to.deep.equal([{ service: "orders", weights: ALL_BLUE }]);
        expect(world.text()).to.include("failed (Unhandled): Error: Task timed out after 60.00 seconds");
        expect(world.text()).to.include("attempt 2 of 4");
        expect(world.text()).to.include("2 invocations");
    });

    it("after the function fails on every retry, fails saying how to roll back with --break-glass", async () => {
        await promoteOrders();
        fault = () => ({ error: "connect ETIMEDOUT consul.internal:8501" });
        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--yes"])).to.equal(3);
        expect(lambda.invocations).to.have.length(4);
        expect(new Set(lambda.invocations.map((_, i) => requestOf(i).id)).size).to.equal(1);
        expect(live("orders")).to.deep.equal(ALL_GREEN);
        const text = world.text();
        expect(text).to.include("FAILED: the engine's function prod-rollout-tick failed (Unhandled): Error: connect ETIMEDOUT consul.internal:8501 (4 attempts).");
        expect(text).to.include("aws secretsmanager get-secret-value --secret-id bluegreen/prod/consul/management-token");
        expect(text).to.include("npm run flip -- rollback --stack prod --service orders --break-glass --token-file token --yes");
        expect(trafficOf("orders")).to.deep.equal([0, 100]);
    });

    it("a rollback the engine left half-done (its splitter write failing) is finished by --break-glass, not undone", async () => {
        await promoteOrders();
        world.consul.state.faults.push({ prefix: "PUT /v1/config", status: 500, times: 1000 });
        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--yes"])).to.equal(3);
        const stuck = claims().orders.rolloutId;
        expect(stateOf(stuck)).to.deep.include({ kind: "rollback", pendingWrites: [{ service: "orders", weights: ALL_BLUE }] });
        expect(live("orders")).to.deep.equal(ALL_GREEN);
        world.consul.state.faults.length = 0;
        world.output = [];

        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--break-glass", "--yes"]), world.text()).to.equal(0);
        expect(live("orders")).to.deep.equal(ALL_BLUE);
        expect(historyOf(stuck)).to.deep.include({ kind: "rollback", result: "promoted", to: { orders: ALL_BLUE } });
        expect(world.text()).to.include(`orders: blue 0% / green 100% -> blue 100% / green 0% (what the unfinished rollback ${stuck} asked for)`);
        expect(world.text()).to.include(`ended rollout ${stuck} (orders): promoted`);
        expect(trafficOf("orders")).to.deep.equal([100, 0]);
    });

    it("retries an invocation that does not answer within its time limit", async () => {
        await promoteOrders();
        fault = (n) => (n === 1 ? { delayMs: 2000 } : undefined);
        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--yes"], { invokeTimeoutMs: 300 }), world.text()).to.equal(0);
        expect(lambda.invocations).to.have.length(2);
        expect(writes).to.deep.equal([{ service: "orders", weights: ALL_BLUE }]);
    });

    it("a signal while it waits for the engine detaches (exit 128+n); the invocation the engine received runs to its end", async () => {
        await promoteOrders();
        const controller = new AbortController();
        fault = () => {
            controller.abort();
            return { delayMs: 200 };
        };
        const code = await world.run(["rollback", "--stack", "prod", "--service", "orders", "--yes"], { abort: controller.signal, detachedBy: () => "SIGINT" });
        expect(code, world.text()).to.equal(130);
        expect(world.text()).to.include("detached on SIGINT: stopped waiting for rollback prod-rollback-");
        expect(lambda.invocations).to.have.length(1);
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(live("orders")).to.deep.equal(ALL_BLUE);
        // It did not get to write the stack file; run again, the rollback says how.
        expect(trafficOf("orders")).to.deep.equal([0, 100]);
        const again = await world.run(["rollback", "--stack", "prod", "--service", "orders", "--to", "blue", "--yes"]).catch((err: Error) => err);
        expect((again as Error).message).to.include(
            "orders already runs blue 100% / green 0% (--to blue); nothing to roll back; but the stack file still asks for blue 0% / green 100%: npm run flip -- set --service orders --to blue (with --stack), and commit it",
        );
    });

    it("--break-glass runs the engine's rollback in the client with the token given, without Lambda, and records it", async () => {
        await promoteOrders();
        // Only the strong token is accepted from here on: the operator's token in the environment would be refused.
        world.consul.state.tokens = ["bootstrap-token"];
        const tokenFile = path.join(world.dir, "token");
        fs.writeFileSync(tokenFile, "bootstrap-token\n");
        const code = await world.run(["rollback", "--stack", "prod", "--service", "orders", "--break-glass", "--token-file", tokenFile, "--reason", "lambda down", "--yes"], {
            env: { CONSUL_HTTP_TOKEN: "operator-token" },
        });
        expect(code, world.text()).to.equal(0);
        expect(lambda.invocations).to.have.length(0);
        expect(live("orders")).to.deep.equal(ALL_BLUE);
        const rollbackId = claims().orders.rolloutId;
        expect(stateOf(rollbackId)).to.include({ kind: "rollback", phase: "promoted", breakGlass: true });
        expect(historyOf(rollbackId)).to.deep.include({ kind: "rollback", breakGlass: true, requestedBy: "bo@laptop-2", reason: "lambda down", to: { orders: ALL_BLUE } });
        const text = world.text();
        expect(text).to.include("with break-glass (this client writes the splits itself");
        expect(text).to.include("Rolled back with BREAK-GLASS");
        expect(trafficOf("orders")).to.deep.equal([100, 0]);
    });

    it("--break-glass with a token Consul refuses fails naming the token's rights and where the bootstrap token is", async () => {
        await promoteOrders();
        world.consul.state.faults.push({ prefix: "PUT /v1/config", status: 403, times: 10 });
        expect(await world.run(["rollback", "--stack", "prod", "--service", "orders", "--break-glass", "--yes"])).to.equal(3);
        expect(world.text()).to.include("Consul refused the token").and.include("bluegreen/prod/consul/management-token");
        expect(live("orders")).to.deep.equal(ALL_GREEN);
        expect(trafficOf("orders")).to.deep.equal([0, 100]);
    });
});
