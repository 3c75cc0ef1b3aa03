// How the tick talks to Consul: over TLS, as in production, against a loopback HTTPS server that
// answers in Consul's documented formats (tests/support/fakeConsul.ts; it is NOT Consul) a few
// milliseconds late. The server counts connections and requests in flight: a tick observes its
// services in parallel, never more at once than the client keeps connections, and reuses those
// connections for every call instead of a TLS handshake per call. No timing is asserted here;
// `npm run bench:engine-tick` measures the wall time.
import { expect } from "chai";
import { CONSUL_MAX_SOCKETS } from "../../src/consul/httpClient";
import { rolloutConsulApi } from "../../src/rollout/consulApi";
import { ReleaseSpec, rolloutIdFor } from "../../src/rollout/contract";
import { handleEvent, OBSERVE_CONCURRENCY } from "../../src/rollout/handler";
import { specHash } from "../../src/rollout/steps";
import { writeSplitter } from "../support/engineDriver";
import { FakeConsul, startFakeConsul } from "../support/fakeConsul";
import { makeThrowawayTls, THROWAWAY_SERVER_NAME } from "../support/throwawayTls";
import { ALL_BLUE, ALL_GREEN, T0 } from "./fixtures";

const SERVICES = 40;

describe("the tick's Consul connections (loopback HTTPS server in Consul's formats, 5 ms late)", () => {
    let consul: FakeConsul;
    let caPem: string;
    const names = Array.from({ length: SERVICES }, (_, i) => `svc-${String(i).padStart(3, "0")}`);

    beforeEach(async () => {
        const tls = makeThrowawayTls();
        caPem = tls.caPem;
        const instances = names.flatMap((service) => (["blue", "green"] as const).flatMap((version) => [1, 2].map(() => ({ service, version, status: "passing" as const }))));
        consul = await startFakeConsul({ instances }, { tls: { key: tls.serverKeyPem, cert: tls.serverCertPem }, latencyMs: 5 });
    });
    afterEach(() => consul.close());

    const api = () => rolloutConsulApi({ address: consul.address, caCertPem: caPem, tlsServerName: THROWAWAY_SERVER_NAME, token: "management-token" });

    it("observes services in parallel, at most as many at once as it keeps connections, and reuses them", async () => {
        const spec: ReleaseSpec = {
            stack: "prod",
            services: names.map((service) => ({ service, to: ALL_GREEN, upstreams: [], gate: { required: { blue: 2, green: 2 }, alarms: [], failureThreshold: 3, skipHealth: false } })),
            strategy: { steps: [10], bakeSeconds: 60, bakeEachStep: true, checkIntervalSeconds: 15 },
        };
        for (const service of names) {
            writeSplitter(consul, service, ALL_BLUE);
        }

        const deps = { consul: api(), alarms: async () => ({}), now: () => T0 };
        const hash = specHash(spec);
        const event = { kind: "tick" as const, rolloutId: rolloutIdFor("prod", hash, 1), specHash: hash, spec, requestedBy: "ana@laptop", startAfter: Object.fromEntries(names.map((service) => [service, ""])) };
        const result = await handleEvent(event, deps);
        expect(result.phase).to.equal("baking");
        const requests = consul.state.requests.length;
        // Per service a splitter read, two health reads and the step's splitter write; and the state's reads and write.
        expect(requests).to.be.at.least(4 * SERVICES);
        expect(consul.traffic.maxInFlight, "requests in flight at once").to.be.greaterThan(1);
        expect(consul.traffic.maxInFlight).to.be.at.most(CONSUL_MAX_SOCKETS);
        expect(OBSERVE_CONCURRENCY).to.be.at.most(CONSUL_MAX_SOCKETS);
        expect(consul.traffic.connections, "TLS connections for the whole tick").to.be.at.most(CONSUL_MAX_SOCKETS);

        // The next tick, within the idle time, opens no new connection.
        const opened = consul.traffic.connections;
        await handleEvent(event, deps);
        expect(consul.traffic.connections).to.equal(opened);
    });
});
