// The rollout engine's analysis dependency over a loopback CloudWatch (tests/support/fakeCloudWatch.ts,
// answering in GetMetricData's documented format): which colours it compares at the split the
// rollout serves now, the window it asks for, and the verdicts and figures it hands the engine's
// `analysis:<service>` gate. How the gate counts them is tested with the engine (tests/rollout/decide.test.ts).
import { expect } from "chai";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { cloudWatchAnalyse } from "../../src/rollout/canaryAnalysis";
import { analysisSpec } from "../../src/metrics/analysisSpec";
import { desiredServices } from "../../src/rollout/releaseRules";
import type { RolloutState, ServiceReleaseSpec } from "../../src/rollout/contract";
import { FakeCloudWatch, startFakeCloudWatch, StoredPoint } from "../support/fakeCloudWatch";
import { newRollout, releaseSpec, Ticker } from "./fixtures";
import { parseStackValues, readStackFile } from "../../src/offline/stackFile";
import { ROOT } from "../support/harness";

const ANALYSIS = { maxErrorRateIncrease: 1, maxLatencyRatio: 2, minRequests: 100, windowSeconds: 300, protocol: "http" as const };
const NOW = new Date("2026-12-01T10:20:30Z");

/** A rollout of orders to green at its first step (10% green), orders asking for analysis. */
function atFirstStep(): { state: RolloutState; orders: ServiceReleaseSpec } {
    const t = new Ticker(newRollout(releaseSpec()));
    t.tickUntil("baking", 0);
    const services = t.state.spec.services.map((svc) => (svc.service === "orders" ? { ...svc, gate: { ...svc.gate, analysis: { ...ANALYSIS } } } : svc));
    const state = { ...t.state, spec: { ...t.state.spec, services } };
    return { state, orders: services.find((s) => s.service === "orders")! };
}

const dims = (colour: string) => ({ Stack: "prod", Service: "orders", Colour: colour });
const client = (fake: FakeCloudWatch) => new CloudWatchClient({ region: "eu-west-1", endpoint: fake.endpoint, credentials: { accessKeyId: "A", secretAccessKey: "B" }, maxAttempts: 1 });

describe("the rollout engine's canary analysis from CloudWatch (loopback)", () => {
    let fake: FakeCloudWatch | undefined;
    afterEach(async () => {
        await fake?.close();
        fake = undefined;
    });

    it("at 10% green, compares green with blue over the window that ended a minute ago, and fails a worse green with its figures", async () => {
        const points: StoredPoint[] = [
            { metricName: "Requests", dimensions: dims("blue"), stat: "Sum", value: 1800 },
            { metricName: "Latency", dimensions: dims("blue"), stat: "p99", value: 100 },
            { metricName: "Requests", dimensions: dims("green"), stat: "Sum", value: 200 },
            { metricName: "Http5xx", dimensions: dims("green"), stat: "Sum", value: 10 },
            { metricName: "Latency", dimensions: dims("green"), stat: "p99", value: 120 },
        ];
        fake = await startFakeCloudWatch(points);
        const { state, orders } = atFirstStep();
        expect(state.stepIndex).to.equal(0);
        const verdicts = await cloudWatchAnalyse(client(fake), () => NOW)(state, [orders]);
        expect(verdicts.orders.verdict).to.equal("fail");
        expect(verdicts.orders.message).to.equal("orders: fail: green is worse than blue: error share green 5% vs blue 0% (+5 points, at most +1)");
        expect(verdicts.orders.figures).to.deep.equal({
            blueRequests: 1800,
            blueErrors: 0,
            blueErrorRatePercent: 0,
            blueP99Ms: 100,
            greenRequests: 200,
            greenErrors: 10,
            greenErrorRatePercent: 5,
            greenP99Ms: 120,
            windowSeconds: 300,
        });
        const sent = fake.requests[0] as { StartTime: number; EndTime: number };
        expect([sent.StartTime, sent.EndTime]).to.deep.equal([Date.parse("2026-12-01T10:14:00Z") / 1000, Date.parse("2026-12-01T10:19:00Z") / 1000]);
    });

    it("never judges minutes before the step was written: a young step is judged since it, a pass holds until the whole window", async () => {
        const good: StoredPoint[] = [
            { metricName: "Requests", dimensions: dims("blue"), stat: "Sum", value: 1800 },
            { metricName: "Latency", dimensions: dims("blue"), stat: "p99", value: 100 },
            { metricName: "Requests", dimensions: dims("green"), stat: "Sum", value: 200 },
            { metricName: "Latency", dimensions: dims("green"), stat: "p99", value: 100 },
        ];
        fake = await startFakeCloudWatch(good);
        const { state, orders } = atFirstStep();
        const sent = () => (fake!.requests as { StartTime: number; EndTime: number }[]).map((r) => [new Date(r.StartTime * 1000).toISOString(), new Date(r.EndTime * 1000).toISOString()]);

        // Written 2 min 20 s before NOW: the two whole minutes published since, 10:17 to 10:19.
        const young = await cloudWatchAnalyse(client(fake), () => NOW)({ ...state, stepStartedAt: "2026-12-01T10:16:10.000Z" }, [orders]);
        expect(sent()).to.deep.equal([["2026-12-01T10:17:00.000Z", "2026-12-01T10:19:00.000Z"]]);
        expect(young.orders.verdict).to.equal("inconclusive");
        expect(young.orders.message).to.include("passing so far over 2 of 5 min since this split was written");
        expect(young.orders.figures?.windowSeconds).to.equal(120);

        // Written within the last published minute: nothing to read yet, CloudWatch is not asked.
        const newborn = await cloudWatchAnalyse(client(fake), () => NOW)({ ...state, stepStartedAt: "2026-12-01T10:18:30.000Z" }, [orders]);
        expect(newborn.orders.verdict).to.equal("inconclusive");
        expect(newborn.orders.message).to.include("no whole minute of figures since this split was written");
        expect(fake.requests).to.have.length(1);

        // Old enough: the whole window, and the pass counts.
        const old = await cloudWatchAnalyse(client(fake), () => NOW)({ ...state, stepStartedAt: "2026-12-01T10:13:59.000Z" }, [orders]);
        expect(sent()[1]).to.deep.equal(["2026-12-01T10:14:00.000Z", "2026-12-01T10:19:00.000Z"]);
        expect(old.orders.verdict).to.equal("pass");
        expect(old.orders.figures?.windowSeconds).to.equal(300);
    });

    it("a young step whose canary is already worse fails (counted): the same minRequests, over the minutes since the step", async () => {
        fake = await startFakeCloudWatch([
            { metricName: "Requests", dimensions: dims("blue"), stat: "Sum", value: 900 },
            { metricName: "Latency", dimensions: dims("blue"), stat: "p99", value: 100 },
            { metricName: "Requests", dimensions: dims("green"), stat: "Sum", value: 100 },
            { metricName: "Http5xx", dimensions: dims("green"), stat: "Sum", value: 20 },
            { metricName: "Latency", dimensions: dims("green"), stat: "p99", value: 100 },
        ]);
        const { state, orders } = atFirstStep();
        const verdicts = await cloudWatchAnalyse(client(fake), () => NOW)({ ...state, stepStartedAt: "2026-12-01T10:17:45.000Z" }, [orders]);
        const sent = fake.requests[0] as { StartTime: number; EndTime: number; MetricDataQueries: { MetricStat: { Period: number } }[] };
        expect([sent.StartTime, sent.EndTime]).to.deep.equal([Date.parse("2026-12-01T10:18:00Z") / 1000, Date.parse("2026-12-01T10:19:00Z") / 1000]);
        expect(sent.MetricDataQueries[0].MetricStat.Period).to.equal(60);
        expect(verdicts.orders.verdict).to.equal("fail");
        expect(verdicts.orders.figures?.windowSeconds).to.equal(60);
    });

    it("before the first step of a rollout that starts from a canary split, judges since the rollout started", async () => {
        fake = await startFakeCloudWatch([]);
        const { state, orders } = atFirstStep();
        const before = { ...state, stepIndex: -1, stepStartedAt: undefined, startedAt: "2026-12-01T10:17:30.000Z", from: { ...state.from, orders: { blue: 90, green: 10 } } };
        const verdicts = await cloudWatchAnalyse(client(fake), () => NOW)(before, [orders]);
        const sent = fake.requests[0] as { StartTime: number; EndTime: number };
        expect([sent.StartTime, sent.EndTime]).to.deep.equal([Date.parse("2026-12-01T10:18:00Z") / 1000, Date.parse("2026-12-01T10:19:00Z") / 1000]);
        expect(verdicts.orders.verdict).to.equal("inconclusive");
    });

    it("judges each analysed service on its own figures, several at a time", async () => {
        const dimsOf = (service: string, colour: string) => ({ Stack: "prod", Service: service, Colour: colour });
        fake = await startFakeCloudWatch(
            ["inventory", "orders"].flatMap((service) => [
                { metricName: "Requests", dimensions: dimsOf(service, "blue"), stat: "Sum", value: 1800 },
                { metricName: "Latency", dimensions: dimsOf(service, "blue"), stat: "p99", value: 100 },
                { metricName: "Requests", dimensions: dimsOf(service, "green"), stat: "Sum", value: 200 },
                { metricName: "Latency", dimensions: dimsOf(service, "green"), stat: "p99", value: service === "orders" ? 500 : 100 },
            ]),
        );
        const { state } = atFirstStep();
        const services = state.spec.services.map((svc) => ({ ...svc, gate: { ...svc.gate, analysis: { ...ANALYSIS } } }));
        const verdicts = await cloudWatchAnalyse(client(fake), () => NOW)({ ...state, spec: { ...state.spec, services } }, services);
        expect(Object.fromEntries(Object.entries(verdicts).map(([service, v]) => [service, v.verdict]))).to.deep.equal({ inventory: "pass", orders: "fail" });
        expect(verdicts.orders.figures?.greenP99Ms).to.equal(500);
        expect(verdicts.inventory.figures?.greenP99Ms).to.equal(100);
        expect(fake.requests).to.have.length(2);
    });

    it("too little traffic is inconclusive (the engine holds the step)", async () => {
        fake = await startFakeCloudWatch([{ metricName: "Requests", dimensions: dims("green"), stat: "Sum", value: 30 }]);
        const { state, orders } = atFirstStep();
        const verdicts = await cloudWatchAnalyse(client(fake), () => NOW)(state, [orders]);
        expect(verdicts.orders.verdict).to.equal("inconclusive");
        expect(verdicts.orders.message).to.match(/too little traffic: blue served 0, green served 30 of the 100 requests/);
    });

    it("before the first step only blue serves: not applicable, and CloudWatch is not asked", async () => {
        fake = await startFakeCloudWatch([]);
        const { state, orders } = atFirstStep();
        const before = { ...state, stepIndex: -1 };
        const verdicts = await cloudWatchAnalyse(client(fake), () => NOW)(before, [orders]);
        expect(verdicts.orders.verdict).to.equal("pass");
        expect(verdicts.orders.message).to.include("not applicable");
        expect(fake.requests).to.have.length(0);
    });

    it("a stack file's gate.analysis reaches the release spec with the service's protocol", () => {
        const config = parseStackValues("prod", readStackFile("prod", ROOT));
        const orders = { ...config.services.find((s) => s.name === "orders")!, protocol: "grpc" as const };
        const withAnalysis = { ...orders, gate: { ...orders.gate, analysis: { maxLatencyRatio: 1.5, minRequests: 100, windowSeconds: 300 } } };
        expect(analysisSpec(orders)).to.equal(undefined);
        expect(desiredServices([withAnalysis])[0].gate.analysis).to.deep.equal({ maxLatencyRatio: 1.5, minRequests: 100, windowSeconds: 300, protocol: "grpc" });
        expect(desiredServices([orders])[0].gate).to.not.have.property("analysis");
    });
});
