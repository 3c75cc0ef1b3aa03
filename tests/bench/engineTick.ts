// `npm run bench:engine-tick`: the wall time of one rollout tick that writes a step for many
// services, against a loopback HTTPS server answering in Consul's documented formats
// (tests/support/fakeConsul.ts; it is NOT Consul) that answers every request late, as a server
// across a network does, with the real tick handler and the real Consul client (TLS with a
// throwaway CA, as the Lambda reaches Consul over 8501). DescribeAlarms is answered in process
// with the same delay. Each run starts with new connections (a cold Lambda) from a fresh rollout,
// so the tick reads everything, judges every gate and writes every splitter. Compared with the
// tick Lambda's timeout (src/rollout/engine.ts: 60 s).
//
//   npm run bench:engine-tick [-- --services 200 --latency-ms 20 --runs 5]
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { alarmStates } from "../../src/rollout/alarms";
import { rolloutConsulApi } from "../../src/rollout/consulApi";
import { ReleaseSpec, rolloutIdFor } from "../../src/rollout/contract";
import { handleEvent, TickEvent } from "../../src/rollout/handler";
import { specHash } from "../../src/rollout/steps";
import { writeSplitter } from "../support/engineDriver";
import { startFakeConsul } from "../support/fakeConsul";
import { makeThrowawayTls, THROWAWAY_SERVER_NAME } from "../support/throwawayTls";

const LAMBDA_TIMEOUT_S = 60;

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: { services: { type: "string", default: "200" }, "latency-ms": { type: "string", default: "20" }, runs: { type: "string", default: "5" } },
        strict: true,
    });
    const count = Number(values.services);
    const latencyMs = Number(values["latency-ms"]);
    const runs = Number(values.runs);
    if (![count, runs].every((n) => Number.isInteger(n) && n >= 1) || !(latencyMs >= 0)) {
        throw new Error("usage: npm run bench:engine-tick [-- --services <n> --latency-ms <ms> --runs <n>]");
    }
    const names = Array.from({ length: count }, (_, i) => `svc-${String(i).padStart(3, "0")}`);
    const tls = makeThrowawayTls();
    const instances = names.flatMap((service) => (["blue", "green"] as const).flatMap((version) => [1, 2].map(() => ({ service, version, status: "passing" as const }))));
    const consul = await startFakeConsul({ instances }, { tls: { key: tls.serverKeyPem, cert: tls.serverCertPem }, latencyMs });
    const spec: ReleaseSpec = {
        stack: "bench",
        services: names.map((service) => ({
            service,
            to: { blue: 0, green: 100 },
            upstreams: [],
            gate: { required: { blue: 2, green: 2 }, alarms: [`${service}-5xx`], failureThreshold: 3, skipHealth: false },
        })),
        strategy: { steps: [10, 50], bakeSeconds: 60, bakeEachStep: true, checkIntervalSeconds: 15 },
    };
    const hash = specHash(spec);
    // No service belongs to a rollout yet (the KV is cleared each run): the first tick creates and claims.
    const event: TickEvent = { kind: "tick", rolloutId: rolloutIdFor("bench", hash, 1), specHash: hash, spec, requestedBy: "bench", startAfter: Object.fromEntries(names.map((service) => [service, ""])) };
    const late = () => new Promise((resolve) => setTimeout(resolve, latencyMs));
    const times: number[] = [];
    let requests = 0;
    let connections = 0;
    for (let run = 0; run < runs; run++) {
        consul.state.kv.clear();
        names.forEach((service) => writeSplitter(consul, service, { blue: 100, green: 0 }));
        const seen = { requests: consul.state.requests.length, connections: consul.traffic.connections };
        const deps = {
            consul: rolloutConsulApi({ address: consul.address, caCertPem: tls.caPem, tlsServerName: THROWAWAY_SERVER_NAME, token: "management-token" }),
            alarms: alarmStates(async (batch) => {
                await late();
                return { MetricAlarms: batch.map((name) => ({ AlarmName: name, StateValue: "OK" as const })) };
            }),
            now: () => new Date(),
        };
        const start = performance.now();
        const result = await handleEvent(event, deps);
        times.push(performance.now() - start);
        if (result.phase !== "baking") {
            throw new Error(`the tick did not write the first step: ${result.phase} ${result.reason ?? ""}`);
        }
        requests = consul.state.requests.length - seen.requests;
        connections = consul.traffic.connections - seen.connections;
    }
    await consul.close();
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    const max = sorted[sorted.length - 1];
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
        [
            `Node ${process.version}, ${process.platform}/${process.arch}; loopback Consul over TLS answering ${latencyMs} ms late; DescribeAlarms ${latencyMs} ms.`,
            `One tick of a fresh rollout writing its first step for ${count} services (${runs} runs, new connections each run):`,
            `  median ${s(median)}, max ${s(max)}: ${((100 * max) / (LAMBDA_TIMEOUT_S * 1000)).toFixed(1)}% of the Lambda's ${LAMBDA_TIMEOUT_S} s timeout`,
            `  per tick: ${requests} Consul requests over ${connections} connections`,
            "",
        ].join("\n"),
    );
}

main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
});
