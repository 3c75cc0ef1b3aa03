// The readiness wait's polling logic against a loopback server in Consul's HTTP API format
// (tests/support/fakeConsul.ts): leader present, leader missing then present, timeout, 403.
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { consulHttpClient } from "../../src/consul/httpClient";
import { ConsulNotReadyError, DEFAULT_FORBIDDEN_ATTEMPTS, readinessProvider, waitForConsulReady } from "../../src/consul/readiness";
import { FakeConsul, startFakeConsul } from "../support/fakeConsul";
import { ROOT } from "../support/harness";

describe("Consul readiness wait (loopback server in Consul's response format)", () => {
    let consul: FakeConsul;
    let lines: string[];
    let sleeps: number[];
    beforeEach(async () => {
        consul = await startFakeConsul();
        lines = [];
        sleeps = [];
    });
    afterEach(() => consul.close());

    const client = (token = "management-token") => consulHttpClient({ address: consul.address, scheme: "http", token, timeoutMs: 1000 });
    /** Options whose `sleep` records the wait and lets a test change the server between checks. */
    const options = (attempts: number, betweenChecks?: (check: number) => void) => ({
        address: consul.address,
        attempts,
        intervalMs: 5000,
        log: (line: string) => lines.push(line),
        sleep: async (ms: number) => {
            sleeps.push(ms);
            betweenChecks?.(sleeps.length);
        },
    });
    const failure = (promise: Promise<unknown>) =>
        promise.then(
            () => expect.fail("expected the gate to fail"),
            (err: unknown) => err as ConsulNotReadyError,
        );

    it("passes at once when there is a leader and the token is accepted", async () => {
        const result = await waitForConsulReady(client(), options(5));
        expect(result).to.deep.equal({ leader: "10.40.1.10:8300", attempts: 1 });
        expect(sleeps).to.deep.equal([]);
        expect(lines).to.have.length(1);
        expect(lines[0]).to.match(/readiness 1\/5 .*: ready, leader 10\.40\.1\.10:8300, token accepted \(Initial Management Token\)/);
        expect(consul.state.requests).to.deep.equal(["GET /v1/status/leader", "GET /v1/acl/token/self"]);
    });

    it("waits while the leader is missing, then passes once one is elected", async () => {
        consul.state.leader = "";
        const result = await waitForConsulReady(
            client(),
            options(10, (check) => {
                if (check === 2) {
                    consul.state.leader = "10.40.2.20:8300";
                }
            }),
        );
        expect(result).to.deep.equal({ leader: "10.40.2.20:8300", attempts: 3 });
        expect(sleeps).to.deep.equal([5000, 5000]);
        expect(lines.slice(0, 2)).to.deep.equal([
            `Consul readiness 1/10 at ${consul.address}: the cluster has no leader yet; next check in 5s`,
            `Consul readiness 2/10 at ${consul.address}: the cluster has no leader yet; next check in 5s`,
        ]);
        expect(lines[2]).to.include("3/10").and.include("ready, leader 10.40.2.20:8300");
        // No token request until there is a leader to answer it.
        expect(consul.state.requests.filter((r) => r.includes("token/self"))).to.have.length(1);
    });

    it("gives up after the bounded number of checks with a message that says what to do", async () => {
        consul.state.leader = "";
        const err = await failure(waitForConsulReady(client(), options(4)));
        expect(err).to.be.instanceOf(ConsulNotReadyError);
        expect(err.reason).to.equal("timeout");
        expect(err.message).to.include(`Consul at ${consul.address} was not ready after 4 checks 5s apart`);
        expect(err.message).to.include("the cluster has no leader yet");
        expect(err.message).to.include("bluegreen:consul.apiAddress");
        expect(sleeps).to.have.length(3);
        expect(lines).to.have.length(4);
        expect(lines[3]).to.equal(`Consul readiness 4/4 at ${consul.address}: the cluster has no leader yet`);
    });

    it("times out with the connection error when nothing answers", async () => {
        const address = consul.address;
        await consul.close();
        const unreachable = consulHttpClient({ address, scheme: "http", token: "management-token", timeoutMs: 500 });
        const err = await failure(waitForConsulReady(unreachable, { ...options(2), address }));
        expect(err.reason).to.equal("timeout");
        expect(err.message).to.match(/last seen: GET \/v1\/status\/leader on 127\.0\.0\.1:\d+ failed/);
        consul = await startFakeConsul(); // for afterEach
    });

    it("fails fast on a refused token (403), long before the check limit", async () => {
        const err = await failure(waitForConsulReady(client("not-the-token"), options(60)));
        expect(err).to.be.instanceOf(ConsulNotReadyError);
        expect(err.reason).to.equal("forbidden");
        expect(err.message).to.include("refused the management token 3 times in a row (403)");
        expect(err.message).to.include("ACL not found");
        expect(sleeps).to.have.length(DEFAULT_FORBIDDEN_ATTEMPTS - 1);
        expect(lines[lines.length - 1]).to.include("the management token is refused");
        expect(err.message).to.not.include("not-the-token");
    });

    it("tolerates a 403 in the instant after election, while the leader creates the token", async () => {
        consul.state.tokens = [];
        const result = await waitForConsulReady(
            client(),
            options(10, () => {
                consul.state.tokens = ["management-token"];
            }),
        );
        expect(result.attempts).to.equal(2);
        expect(lines[0]).to.include("the management token is refused").and.include("next check in 5s");
    });

    it("rejects bounds that make no sense", async () => {
        for (const bad of [{ attempts: 0 }, { attempts: 1.5 }, { intervalMs: -1 }]) {
            const err = await waitForConsulReady(client(), { ...options(3), ...bad }).then(
                () => undefined,
                (e: unknown) => e as Error,
            );
            expect(err?.message).to.match(/readiness (attempts|interval)/);
        }
    });
});

describe("Consul readiness wait resource provider", () => {
    const inputs = {
        address: "consul-api.example:8501",
        caCertPem: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
        token: "3f2c9a1e-8d4b-4c7a-9e5f-0a1b2c3d4e5f",
        tlsServerName: "server.dc1.consul",
        attempts: 60,
        intervalSeconds: 10,
    };

    it("checks again only when the address, CA, token or TLS name change", async () => {
        const diff = readinessProvider.diff!;
        expect((await diff("id", inputs, { ...inputs })).changes).to.equal(false);
        expect((await diff("id", inputs, { ...inputs, attempts: 5, intervalSeconds: 1 })).changes).to.equal(false);
        for (const changed of [{ address: "localhost:8501" }, { caCertPem: "other" }, { token: "other" }, { tlsServerName: "server.dc2.consul" }]) {
            expect((await diff("id", inputs, { ...inputs, ...changed })).changes, JSON.stringify(changed)).to.equal(true);
        }
    });

    it("survives Pulumi's serialization and polls from the serialized code, as the dynamic provider host runs it", async function () {
        this.timeout(20000);
        const serialized = await pulumi.runtime.serializeFunction(() => readinessProvider, { allowSecrets: true });
        // Loaded from a file inside the project (bin/ is ignored by git) so that its require("axios")
        // resolves the way the host's does.
        fs.mkdirSync(path.join(ROOT, "bin"), { recursive: true });
        const dir = fs.mkdtempSync(path.join(ROOT, "bin", "readiness-"));
        const consoleLog = console.log;
        try {
            const file = path.join(dir, "provider.js");
            fs.writeFileSync(file, serialized.text);
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const provider = (require(file) as { handler: () => pulumi.dynamic.ResourceProvider }).handler();
            expect((await provider.diff!("id", inputs, { ...inputs, token: "other" })).changes).to.equal(true);
            const closed = await startFakeConsul();
            const address = closed.address;
            await closed.close();
            // Outside the engine, pulumi.log falls back to the console; keep the test output clean.
            console.log = () => undefined;
            const err = await provider.create({ ...inputs, address, attempts: 1, intervalSeconds: 1 }).then(
                () => undefined,
                (e: unknown) => e as Error,
            );
            expect(err?.name).to.equal("ConsulNotReadyError");
            expect(err?.message).to.include(`Consul at ${address} was not ready after 1 checks`);
            // The HTTP client's own error message survives serialization too.
            expect(err?.message).to.include(`last seen: GET /v1/status/leader on ${address} failed`);
        } finally {
            console.log = consoleLog;
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
