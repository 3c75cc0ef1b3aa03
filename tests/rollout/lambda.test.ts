// The Lambda's glue around the handler: the cold start is done once per instance, retried after it
// failed, and redone once when Consul answers 403 (the engine's token was replaced). The engine's
// Consul here is the loopback server in Consul's API format (not Consul).
import { expect } from "chai";
import { ConsulHttpError } from "../../src/consul/httpClient";
import { rolloutConsulApi, RolloutConsulApi } from "../../src/rollout/consulApi";
import { EngineDeps } from "../../src/rollout/handler";
import { engineHandler } from "../../src/rollout/lambda";
import { FakeConsul, startFakeConsul } from "../support/fakeConsul";
import { T0 } from "./fixtures";

const alarmEvent = { source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", detail: { alarmName: "orders-5xx", state: { value: "ALARM" } } } as const;

describe("the tick Lambda's cold start", () => {
    let consul: FakeConsul;
    beforeEach(async () => (consul = await startFakeConsul({ tokens: ["new-token"] })));
    afterEach(() => consul.close());
    const depsWith = (token: string): EngineDeps => ({
        consul: rolloutConsulApi({ address: consul.address, scheme: "http", token }),
        alarms: async () => ({}),
        now: () => T0,
    });

    it("starts once per instance", async () => {
        let starts = 0;
        const handler = engineHandler(async () => (starts++, depsWith("new-token")));
        await handler(alarmEvent);
        await handler(alarmEvent);
        expect(starts).to.equal(1);
    });

    it("reads its secrets again once when Consul refuses the token, then goes on with the new one", async () => {
        const tokens = ["old-token", "new-token"];
        let starts = 0;
        const handler = engineHandler(async () => depsWith(tokens[Math.min(starts++, 1)]));
        const result = await handler(alarmEvent);
        expect(result.reason).to.equal("alarm orders-5xx is ALARM: no running rollout gates on it");
        expect(starts).to.equal(2);
    });

    it("leaves other errors to the state machine's retries, and retries a failed cold start on the next invocation", async () => {
        let starts = 0;
        const broken: RolloutConsulApi = { ...depsWith("new-token").consul, getJson: async () => Promise.reject(new ConsulHttpError("answered 500", 500)) };
        const handler = engineHandler(async () => {
            starts++;
            if (starts === 1) throw new Error("Secrets Manager unreachable");
            return { ...depsWith("new-token"), consul: broken };
        });
        expect(await handler(alarmEvent).catch((e: Error) => e.message)).to.equal("Secrets Manager unreachable");
        expect(await handler(alarmEvent).catch((e: Error) => e.message)).to.equal("answered 500");
        expect(starts).to.equal(2);
    });
});
