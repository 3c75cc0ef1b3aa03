// The GetMetricData reader, against a loopback server that answers in CloudWatch's documented
// response format (tests/support/fakeCloudWatch.ts; it is not CloudWatch): the queries it sends and
// the figures it makes of the answer.
import { expect } from "chai";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { readCanaryFigures, WindowQuery } from "../../src/metrics/reader";
import { judgeCanary } from "../../src/metrics/analysis";
import { FakeCloudWatch, startFakeCloudWatch, StoredPoint } from "../support/fakeCloudWatch";

const dims = (colour: string, service = "orders") => ({ Stack: "prod", Service: service, Colour: colour });
const QUERY: WindowQuery = { stack: "prod", service: "orders", protocol: "http", baseline: "blue", canary: "green", start: new Date("2026-12-01T22:05:00Z"), end: new Date("2026-12-01T22:10:00Z") };

function client(fake: FakeCloudWatch): CloudWatchClient {
    return new CloudWatchClient({ region: "eu-west-1", endpoint: fake.endpoint, credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" }, maxAttempts: 1 });
}

describe("canary figures from CloudWatch GetMetricData (loopback server)", () => {
    let fake: FakeCloudWatch | undefined;
    afterEach(async () => {
        await fake?.close();
        fake = undefined;
    });

    it("asks for each colour's requests, 5xx and p99 over one period covering the window (whole minutes), and reads the answer", async () => {
        const points: StoredPoint[] = [
            { metricName: "Requests", dimensions: dims("blue"), stat: "Sum", value: 900 },
            { metricName: "Http5xx", dimensions: dims("blue"), stat: "Sum", value: 9 },
            { metricName: "Latency", dimensions: dims("blue"), stat: "p99", value: 120 },
            { metricName: "Requests", dimensions: dims("green"), stat: "Sum", value: 100 },
            { metricName: "Latency", dimensions: dims("green"), stat: "p99", value: 480 },
            // Another service's figures must not leak in.
            { metricName: "Http5xx", dimensions: dims("green", "inventory"), stat: "Sum", value: 99 },
        ];
        fake = await startFakeCloudWatch(points, { namespace: "Bluegreen/Mesh" });
        const figures = await readCanaryFigures(client(fake), QUERY);
        expect(figures).to.deep.equal({
            baseline: { colour: "blue", requests: 900, errors: 9, p99Ms: 120 },
            canary: { colour: "green", requests: 100, errors: undefined, p99Ms: 480 },
        });
        const sent = fake.requests[0] as { StartTime: number; EndTime: number; MetricDataQueries: { Id: string; MetricStat: { Period: number; Stat: string } }[] };
        expect([sent.StartTime, sent.EndTime]).to.deep.equal([Date.parse("2026-12-01T22:05:00Z") / 1000, Date.parse("2026-12-01T22:10:00Z") / 1000]);
        expect(sent.MetricDataQueries.map((q) => `${q.Id} ${q.MetricStat.Stat} ${q.MetricStat.Period}`)).to.deep.equal([
            "requests_blue Sum 300",
            "http5xx_blue Sum 300",
            "p99_blue p99 300",
            "requests_green Sum 300",
            "http5xx_green Sum 300",
            "p99_green p99 300",
        ]);
        expect(judgeCanary(figures, { maxErrorRateIncrease: 1, maxLatencyRatio: 2, minRequests: 100, windowSeconds: 300 }).verdict).to.equal("fail");
    });

    it("a gRPC service's errors are its 5xx plus its gRPC errors; pages of results are followed to the end", async () => {
        fake = await startFakeCloudWatch(
            [
                { metricName: "Requests", dimensions: dims("green"), stat: "Sum", value: 400 },
                { metricName: "Http5xx", dimensions: dims("green"), stat: "Sum", value: 2 },
                { metricName: "GrpcErrors", dimensions: dims("green"), stat: "Sum", value: 6 },
                { metricName: "GrpcErrors", dimensions: dims("blue"), stat: "Sum", value: 1 },
            ],
            { pageSize: 3 },
        );
        const figures = await readCanaryFigures(client(fake), { ...QUERY, protocol: "grpc" });
        expect(fake.requests).to.have.length(3);
        expect(figures.canary).to.deep.equal({ colour: "green", requests: 400, errors: 8, p99Ms: undefined });
        expect(figures.baseline).to.deep.equal({ colour: "blue", requests: undefined, errors: 1, p99Ms: undefined });
    });

    it("asks for a window shorter than configured as one period of those minutes, and refuses one off the minute", async () => {
        fake = await startFakeCloudWatch([]);
        await readCanaryFigures(client(fake), { ...QUERY, start: new Date("2026-12-01T22:08:00Z") });
        const sent = fake.requests[0] as { StartTime: number; EndTime: number; MetricDataQueries: { MetricStat: { Period: number } }[] };
        expect([sent.StartTime, sent.EndTime]).to.deep.equal([Date.parse("2026-12-01T22:08:00Z") / 1000, Date.parse("2026-12-01T22:10:00Z") / 1000]);
        expect(new Set(sent.MetricDataQueries.map((q) => q.MetricStat.Period))).to.deep.equal(new Set([120]));
        const err = await readCanaryFigures(client(fake), { ...QUERY, start: new Date("2026-12-01T22:08:30Z") }).then(
            () => undefined,
            (e: unknown) => e as Error,
        );
        expect(err).to.be.instanceOf(RangeError);
        expect(fake.requests).to.have.length(1);
    });

    it("a CloudWatch error reaches the caller (the engine counts it as a failed check, not as a verdict)", async () => {
        fake = await startFakeCloudWatch([]);
        const wrongTarget = new CloudWatchClient({ region: "eu-west-1", endpoint: `${fake.endpoint}/nowhere`, credentials: { accessKeyId: "A", secretAccessKey: "B" }, maxAttempts: 1 });
        await fake.close();
        fake = undefined;
        let error: unknown;
        try {
            await readCanaryFigures(wrongTarget, QUERY);
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(Error);
    });
});
