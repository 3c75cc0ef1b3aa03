// The health rule (src/mesh/colourHealth.ts), shared by the program's split guard and the rollout
// engine's health gate, against a loopback HTTP server that answers in Consul's health API format
// (tests/support/fakeConsul.ts; it is not Consul). The guard resource's create/update logic
// (runSplitGuard) is driven with a client factory that talks plain HTTP to that server; the real
// resource uses HTTPS with the stack's CA.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "../../src/offline/stackFile";
import { parseStackValues } from "../../src/offline/stackFile";
import { consulHttpClient } from "../../src/consul/httpClient";
import { checkTrafficHealth, healthRequest, judge, waitForTrafficHealth } from "../../src/mesh/colourHealth";
import { guardFingerprint, SplitGuardInputs, splitGuardProvider, runSplitGuard } from "../../src/mesh/splitGuard";
import { ServiceConfig } from "../../src/config";
import { FakeConsul, FakeInstance, startFakeConsul } from "../support/fakeConsul";
import { ROOT } from "../support/harness";

const prodOrders = (): ServiceConfig => parseStackValues("prod", readStackFile("prod", ROOT)).services.find((s) => s.name === "orders")!;

const instances = (service: string, version: string, statuses: FakeInstance["status"][]): FakeInstance[] => statuses.map((status) => ({ service, version, status }));

describe("health gate (loopback server in Consul's health API format)", () => {
    let consul: FakeConsul;
    beforeEach(async () => {
        consul = await startFakeConsul({
            instances: [...instances("orders", "blue", ["passing", "passing"]), ...instances("orders", "green", ["passing", "critical"])],
        });
    });
    afterEach(() => consul.close());
    const client = () => consulHttpClient({ address: consul.address, scheme: "http", token: "management-token" });

    it("asks for the configured count of every colour that receives weight, or gate.minHealthy", () => {
        const orders = prodOrders();
        expect(healthRequest(orders)).to.deep.equal({ service: "orders", weights: { blue: 100, green: 0 }, required: { blue: 2 } });
        expect(healthRequest(orders, { blue: 50, green: 50 }).required).to.deep.equal({ blue: 2, green: 2 });
        expect(healthRequest({ ...orders, gate: { ...orders.gate, minHealthy: 1 } }, { blue: 0, green: 100 }).required).to.deep.equal({ green: 1 });
    });

    it("passes when every weighted colour has enough passing instances, and asks only about weighted colours", async () => {
        const result = await checkTrafficHealth(client(), healthRequest(prodOrders()));
        expect(result.ok).to.equal(true);
        expect(result.colours).to.deep.equal([{ colour: "blue", weight: 100, required: 2, passing: 2 }]);
        expect(result.message).to.equal("health gate passed: orders/blue has 2 passing instances of 2 required (weight 100%)");
        expect(consul.state.requests.filter((r) => r.includes("green"))).to.be.empty;
    });

    it("fails with the service, colour and counts when a colour falls short", async () => {
        const result = await checkTrafficHealth(client(), healthRequest(prodOrders(), { blue: 90, green: 10 }));
        expect(result.ok).to.equal(false);
        expect(result.message).to.equal("health gate failed: orders/green has 1 passing instance of 2 required (weight 10%)");
        expect(judge("x", []).ok).to.equal(true);
    });

    it("waits until the colour becomes healthy, then passes", async () => {
        const request = healthRequest(prodOrders(), { blue: 0, green: 100 });
        const attempts: string[] = [];
        setTimeout(() => (consul.state.instances = instances("orders", "green", ["passing", "passing"])), 120);
        const result = await waitForTrafficHealth(client(), request, {
            timeoutMs: 5000,
            intervalMs: 50,
            onAttempt: (r) => attempts.push(r instanceof Error ? r.message : r.message),
        });
        expect(result.ok).to.equal(true);
        expect(attempts.length).to.be.greaterThan(0);
        expect(attempts[0]).to.include("orders/green has 1 passing instance of 2 required");
    });

    it("gives up after the timeout with the last verdict, or with Consul's error when it never answers", async () => {
        const request = healthRequest(prodOrders(), { blue: 0, green: 100 });
        const shortfall = await waitForTrafficHealth(client(), request, { timeoutMs: 150, intervalMs: 50 });
        expect(shortfall.ok).to.equal(false);
        expect(shortfall.message).to.include("orders/green has 1 passing instance of 2 required");
        const denied = await waitForTrafficHealth(consulHttpClient({ address: consul.address, scheme: "http", token: "wrong" }), request, { timeoutMs: 100, intervalMs: 50 });
        expect(denied.ok).to.equal(false);
        expect(denied.message).to.match(/could not ask Consul about orders: .*answered 403: ACL not found/);
    });

    describe("the SplitGuard resource's create/update (runSplitGuard)", () => {
        const inputs = (overrides: Partial<SplitGuardInputs> = {}): SplitGuardInputs => ({
            ...healthRequest(prodOrders(), { blue: 90, green: 10 }),
            skip: false,
            timeoutSeconds: 0.2,
            intervalSeconds: 0.05,
            consul: { address: consul.address, caCertPem: "CA", token: "management-token", tlsServerName: "server.dc1.consul" },
            ...overrides,
        });
        const overPlainHttp = (o: Parameters<typeof consulHttpClient>[0]) => consulHttpClient({ ...o, scheme: "http" });

        it("fails the update, leaving the splitter alone, when a weighted colour lacks passing instances", async () => {
            const err = await runSplitGuard(inputs(), overPlainHttp).then(
                () => undefined,
                (e: Error) => e,
            );
            expect(err?.message).to.match(/^health gate failed: orders\/green has 1 passing instance of 2 required \(weight 10%\) \(waited 0.2s\)\. The splitter of orders was not changed/);
        });

        it("records its decision, never the token or the CA, when it passes", async () => {
            consul.state.instances.push({ service: "orders", version: "green", status: "passing" });
            const outs = await runSplitGuard(inputs(), overPlainHttp);
            expect(outs).to.deep.include({ service: "orders", weights: { blue: 90, green: 10 }, required: { blue: 2, green: 2 }, skip: false, passing: { blue: 2, green: 2 } });
            expect(JSON.stringify(outs)).to.not.include("management-token");
            expect(outs).to.not.have.property("consul");
        });

        it("makes no request at all when gate.skip is set", async () => {
            const outs = await runSplitGuard(inputs({ skip: true }), overPlainHttp);
            expect(outs.verdict).to.match(/^SKIPPED: gate.skip is true for orders/);
            expect(consul.state.requests).to.be.empty;
        });

        it("runs again only when the weights, the needs or skip change, not when the token rotates", () => {
            const base = inputs();
            expect(guardFingerprint({ ...base, consul: { ...base.consul, token: "rotated" } })).to.equal(guardFingerprint(base));
            expect(guardFingerprint({ ...base, weights: { blue: 80, green: 20 } })).to.not.equal(guardFingerprint(base));
            expect(guardFingerprint({ ...base, required: { blue: 1, green: 1 } })).to.not.equal(guardFingerprint(base));
            expect(guardFingerprint({ ...base, skip: true })).to.not.equal(guardFingerprint(base));
        });

        it("survives Pulumi's serialization and reports Consul's error from the serialized code, as the dynamic provider host runs it", async function () {
            this.timeout(20000);
            const serialized = await pulumi.runtime.serializeFunction(() => splitGuardProvider, { allowSecrets: true });
            // Loaded from a file inside the project (bin/ is ignored by git) so that require("axios") resolves as the host's does.
            fs.mkdirSync(path.join(ROOT, "bin"), { recursive: true });
            const dir = fs.mkdtempSync(path.join(ROOT, "bin", "health-gate-"));
            try {
                const file = path.join(dir, "provider.js");
                fs.writeFileSync(file, serialized.text);
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                const provider = (require(file) as { handler: () => pulumi.dynamic.ResourceProvider }).handler();
                // The real provider speaks HTTPS; the loopback server speaks plain HTTP, so every request fails.
                const err = await provider.create(inputs()).then(
                    () => undefined,
                    (e: unknown) => e as Error,
                );
                expect(err?.message).to.match(/^health gate failed: could not ask Consul about orders: GET \/v1\/health\/service\/orders on 127\.0\.0\.1:\d+ failed: /);
                expect(err?.message).to.not.include("[object Object]");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});
