// The flip client never acts on the wrong rollout and never trusts what it cannot read: a rollout
// of another stack is refused (a CONSUL_HTTP_ADDR left pointing at production's Consul), a
// confirmation goes by the rollout's own stack, a state of a newer schema or of the wrong shape is
// said in one line, `status --watch` rides out Consul errors within a bound, a signal ends a hung
// request at once, and every input error is one line with exit 2. Consul here is the loopback
// server of tests/support/fakeConsul.ts, which answers in Consul's documented KV and config-entry
// formats (it is NOT Consul); the engine is its real handler on a virtual clock
// (tests/support/flipClient.ts).
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { classify } from "../../../cli/flip/clientErrors";
import { consulRolloutStore, RolloutStore } from "../../../cli/flip/rolloutStore";
import { ConsulHttpOptions } from "../../../src/consul/httpClient";
import { CLAIMS_KEY, LEGACY_STATE_KEY, ROLLOUT_SCHEMA_VERSION, RolloutState } from "../../../src/rollout/contract";
import { putKv, readKv } from "../../support/fakeConsulKv";
import { FlipWorld, prodRelease } from "../../support/flipClient";

/** The one line and exit code the user sees for a failure (classify, as the entry point prints it). */
async function failure(run: Promise<number>): Promise<{ code: number; line: string }> {
    try {
        return { code: await run, line: "(no failure)" };
    } catch (err) {
        return classify(err);
    }
}

function expectOneLine(f: { code: number; line: string }, code: number, ...says: string[]): void {
    expect(f.line.split("\n"), f.line).to.have.length(1);
    expect(f.line).to.not.match(/TypeError|ReferenceError|\n\s+at /);
    says.forEach((s) => expect(f.line).to.include(s));
    expect(f.code, f.line).to.equal(code);
}

describe("the flip client never acts on the wrong rollout", () => {
    const world = new FlipWorld();
    beforeEach(() => world.setUp());
    afterEach(() => world.tearDown());
    const state = () => world.state();
    const writes = () => world.consul.state.requests.filter((r) => r.startsWith("PUT") || r.startsWith("DELETE"));

    it("refuses a rollout of another stack: abort --stack dev against prod's Consul aborts nothing (exit 2), nor does status or history report it as dev's", async () => {
        await world.startRollout();
        const before = state();
        for (const command of [["abort", "--yes"], ["pause", "--yes"], ["status"], ["status", "--watch"], ["history"]]) {
            const f = await failure(world.run([...command, "--stack", "dev"]));
            expectOneLine(f, 2, `holds rollout ${before.rolloutId} of stack prod, not dev: nothing was done`, "CONSUL_HTTP_ADDR", "--stack prod");
        }
        expect(writes()).to.deep.equal([]);
        expect(state()).to.deep.equal(before);
    });

    it("asks confirmation by the rollout's own stack: a dev rollout needs none, a prod rollout asks and writes only once confirmed", async () => {
        await world.startRollout({ ...prodRelease(), stack: "dev" });
        expect(await world.run(["pause", "--stack", "dev", "--poll", "10s"])).to.equal(0);
        expect(state().phase).to.equal("paused");
        await world.tearDown();
        await world.setUp();
        await world.startRollout();
        const asked: string[] = [];
        const prompter = (answer: string) => ({ interactive: true, ask: async (q: string) => (asked.push(q), answer) });
        const refused = await failure(world.run(["abort", "--stack", "prod"], { prompter: prompter("dev") }));
        expectOneLine(refused, 2, 'not confirmed (typed "dev", not "prod"); nothing was changed');
        expect(asked[0]).to.equal(`prod is a production stack. abort rollout ${state().rolloutId} of prod? Type the stack name to confirm: `);
        expect(readKv(world.consul, world.commandKey())).to.equal(undefined);
        expect(await world.run(["abort", "--stack", "prod", "--poll", "10s"], { prompter: prompter("prod") })).to.equal(0);
        expect(state().phase).to.equal("aborted");
    });

    describe("says plainly what it cannot read (one line, exit 3, no TypeError)", () => {
        const cases: { name: string; doc: (valid: RolloutState) => string | object; says: string }[] = [
            { name: "a newer schema version", doc: (valid) => ({ ...valid, schemaVersion: ROLLOUT_SCHEMA_VERSION + 1 }), says: `has schema version ${ROLLOUT_SCHEMA_VERSION + 1}, newer than this client knows` },
            { name: "no schema version", doc: (valid) => ({ ...valid, schemaVersion: undefined }), says: "schemaVersion is undefined, not a schema version" },
            { name: "wrong types", doc: (valid) => ({ ...valid, spec: { stack: "prod", services: "orders" }, events: [1, 2], stepIndex: "3" }), says: "spec is not a release spec" },
            { name: "an unknown phase", doc: (valid) => ({ ...valid, phase: "exploded" }), says: 'phase is "exploded", not one of' },
            { name: "not JSON", doc: () => "{ not json", says: "in Consul is not a JSON document" },
            { name: "a JSON array", doc: () => [1, 2, 3], says: "it is not a JSON object" },
        ];
        for (const { name, doc, says } of cases) {
            it(`a rollout's state: ${name}`, async () => {
                await world.startRollout();
                putKv(world.consul, world.stateKey(), doc(state()));
                world.stopExecution();
                // history reads the claims and the records, not the states.
                for (const command of [["status"], ["abort", "--yes"]]) {
                    expectOneLine(await failure(world.run([...command, "--stack", "prod"])), 3, `${world.stateKey()} in Consul`, says);
                }
                expect(writes().filter((w) => w.includes(world.commandKey()))).to.deep.equal([]);
            });
        }

        it("a claims document of the wrong shape or a newer schema", async () => {
            await world.startRollout();
            world.stopExecution();
            for (const [doc, says] of [
                [{ schemaVersion: 3, services: [1] }, "is not a claims document"],
                [{ schemaVersion: 3, services: { orders: { rolloutId: 7 } } }, "holds a claim that is not { rolloutId, claimedAt }: orders"],
                [{ schemaVersion: ROLLOUT_SCHEMA_VERSION + 1, services: {} }, `has schema version ${ROLLOUT_SCHEMA_VERSION + 1}, newer than this client knows`],
            ] as const) {
                putKv(world.consul, CLAIMS_KEY, doc);
                for (const command of [["status"], ["abort", "--yes"], ["history"]]) {
                    expectOneLine(await failure(world.run([...command, "--stack", "prod"])), 3, `${CLAIMS_KEY} in Consul`, says);
                }
            }
            expect(writes()).to.deep.equal([]);
        });

        it("schema 2's one state, not yet moved by the engine (an engine older than this client): said plainly, nothing acted on", async () => {
            await world.startRollout();
            const legacy = { ...state(), schemaVersion: 2 };
            world.consul.state.kv.clear();
            putKv(world.consul, LEGACY_STATE_KEY, legacy);
            for (const command of [["status"], ["status", "--watch"], ["abort", "--yes"], ["pause", "--yes", "--service", "orders"], ["history"]]) {
                expectOneLine(
                    await failure(world.run([...command, "--stack", "prod"])),
                    3,
                    "still holds schema 2's one rollout state (bluegreen/rollout/current) and no claims: the stack's engine is older than this client, or has not run since it was upgraded",
                );
            }
            expect(writes()).to.deep.equal([]);
        });

        it("a malformed command slot or history record", async () => {
            await world.startRollout();
            putKv(world.consul, world.commandKey(), { id: 7, kind: "explode" });
            expectOneLine(await failure(world.run(["pause", "--stack", "prod", "--yes"])), 3, `${world.commandKey()} in Consul is not a rollout document`, "id is not a string");
            putKv(world.consul, "bluegreen/rollout/history/20261201T100000000Z-prod-0000000000000000-1", { rolloutId: "prod-0000000000000000-1", commands: "none" });
            expectOneLine(await failure(world.run(["history", "--stack", "prod"])), 3, "bluegreen/rollout/history/20261201T100000000Z-prod-0000000000000000-1 in Consul is not a rollout document");
        });
    });

    describe("status --watch rides out Consul errors", () => {
        it("notes each failed read and goes on watching to the end", async () => {
            await world.startRollout();
            world.onSleep = (n) => {
                if (n === 2) {
                    world.consul.state.faults.push({ prefix: `GET /v1/kv/${world.stateKey()}`, status: 500, times: 3 });
                }
            };
            expect(await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"])).to.equal(0);
            expect(world.text()).to.match(/Consul did not answer \(GET \/v1\/kv\/bluegreen\/rollout\/rollouts\/prod-[0-9a-f]{16}-1 on \S+ answered 500: .*\); still watching, for up to 60s more of errors/);
            expect(world.text()).to.match(/Consul did not answer .*for up to 40s more of errors/);
            expect(world.text()).to.include("Consul answers again after 30s; still watching");
            expect(world.text()).to.include("Stack prod: Healthy: rollout");
        });

        it("gives up with exit 3, one line, after 60 s of nothing but errors; the rollout goes on", async () => {
            await world.startRollout();
            world.onSleep = (n) => {
                if (n === 2) {
                    world.consul.state.faults.push({ prefix: "GET /v1/", status: 503, times: 1000 });
                }
            };
            const f = await failure(world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"]));
            expectOneLine(f, 3, "answered 503", "and every read for 60s before it: stopped watching; the rollouts go on in the engine");
            expect(world.text().match(/Consul did not answer/g)).to.have.length(6);
        });

        it("without --watch, one failed read is exit 3 at once", async () => {
            world.consul.state.faults.push({ prefix: "GET /v1/kv/", status: 500, times: 1 });
            expectOneLine(await failure(world.run(["status", "--stack", "prod"])), 3, "error: Consul: GET /v1/kv/bluegreen/rollout/claims");
        });
    });

    it("a signal while a Consul request hangs prints the detach message at once, from the state last read", async () => {
        await world.startRollout();
        const abort = new AbortController();
        let reads = 0;
        let hung = false;
        const store = (options: ConsulHttpOptions): RolloutStore => {
            const real = consulRolloutStore(options);
            return {
                ...real,
                rollout: (rolloutId) => {
                    if (++reads === 2) {
                        // A connection that never answers (the client's own 5 s timeout is not waited for either).
                        hung = true;
                        setImmediate(() => abort.abort());
                        return new Promise<never>(() => undefined);
                    }
                    return real.rollout(rolloutId);
                },
            };
        };
        const code = await world.run(["status", "--stack", "prod", "--watch", "--poll", "10s"], { store, abort: abort.signal, detachedBy: () => "SIGINT" });
        expect(hung).to.equal(true);
        expect(code).to.equal(130);
        expect(world.text()).to.include("detached on SIGINT: stopped watching; the rollout goes on in the engine, unchanged by the signal:");
        expect(world.text()).to.include(`rollout ${state().rolloutId} of inventory, orders: baking`);
        expect(world.text()).to.include("Follow it with: npm run flip -- status --stack prod --watch");
    });

    describe("every input error is one line with exit 2", () => {
        const inputErrors: { args: string[]; env?: Record<string, string>; says: string }[] = [
            { args: ["status", "--stack", "prod", "--watch", "--poll", "0.4ms"], says: "--poll 0.4ms is out of range: use a duration between 100ms and 10m" },
            { args: ["status", "--stack", "prod", "--watch", "--poll", "1000000h"], says: "--poll 1000000h is out of range: use a duration between 100ms and 10m" },
            { args: ["status", "--stack", "prod", "--watch", "--timeout", "1000000h"], says: "--timeout 1000000h is out of range: use a duration between 1s and 168h" },
            { args: ["status", "--stack", "prod", "--poll", "soon"], says: '--poll "soon" is not a duration' },
            { args: ["status", "--stack", "prod", "--consul-address", "not a host"], says: '--consul-address "not a host" is not a Consul address' },
            { args: ["status", "--stack", "prod", "--consul-address", "consul:99999"], says: '--consul-address "consul:99999" is not a Consul address' },
            { args: ["status", "--stack", "prod", "--consul-address", "consul:8501/v1/kv"], says: "no path, query or user" },
            { args: ["status", "--stack", "prod", "--consul-address", "ftp://consul:8501"], says: "the scheme ftp is neither http nor https" },
            { args: ["status", "--stack", "prod"], env: { CONSUL_HTTP_ADDR: "two words" }, says: 'CONSUL_HTTP_ADDR "two words" is not a Consul address' },
            { args: ["deploy", "--stack", "prod"], says: 'unknown command "deploy"; use one of' },
            { args: ["status", "--stack", "prod", "--bogus"], says: "--bogus" },
            { args: ["status"], says: "--stack is required" },
        ];
        for (const { args, env, says } of inputErrors) {
            it(`${args.join(" ")}${env ? ` with ${Object.entries(env).map(([k, v]) => `${k}=${v}`)}` : ""}`, async () => {
                const { flip } = await import("../../../cli/flip/main");
                const withAddress = args.includes("--consul-address") || env ? args : [...args, "--consul-address", `http://${world.consul.address}`];
                const f = await failure(flip([...withAddress, "--dir", world.dir], world.environment({ env: { CONSUL_HTTP_TOKEN: "t", ...env } })));
                expectOneLine(f, 2, says);
                expect(world.consul.state.requests).to.deep.equal([]);
            });
        }

        it("a dangling symlink stack file is reported once, as what it is", async () => {
            fs.rmSync(path.join(world.dir, "Pulumi.dev.yaml"));
            fs.symlinkSync(path.join(world.dir, "gone", "Pulumi.dev.yaml"), path.join(world.dir, "Pulumi.dev.yaml"));
            for (const command of [["status"], ["set", "--service", "orders", "--to", "green"]]) {
                const f = await failure(world.run([...command, "--stack", "dev"]));
                expectOneLine(f, 2, `Pulumi.dev.yaml is a symlink to ${path.join(world.dir, "gone", "Pulumi.dev.yaml")}, which does not exist`);
                expect(f.line).to.not.include("unknown stack");
            }
            // Nor is it listed as a known stack.
            expectOneLine(await failure(world.run(["set", "--stack", "qa", "--service", "orders", "--to", "green"])), 2, 'unknown stack "qa"', "known stacks: prod");
        });
    });
});
