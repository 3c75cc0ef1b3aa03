// Generated stacks of any size, for the benchmark and the blast-radius tests: services in call
// chains of five (each calls the next), the head of each chain routed through the API gateway,
// two tasks per colour, all traffic on blue.
import { StackValues } from "./stackFile";

const CHAIN_LENGTH = 5;

export function syntheticServiceName(index: number): string {
    return `svc-${String(index).padStart(3, "0")}`;
}

/** A stack file's `config:` map with `count` services that passes the stack config validation. */
export function syntheticStack(count: number): StackValues {
    if (!Number.isInteger(count) || count < 1 || count > 999) {
        throw new Error(`syntheticStack: count must be a whole number from 1 to 999, got ${count}`);
    }
    const services: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) {
        const name = syntheticServiceName(i);
        const callsNext = i % CHAIN_LENGTH !== CHAIN_LENGTH - 1 && i + 1 < count;
        const routed = i % CHAIN_LENGTH === 0;
        services[name] = {
            port: 9090,
            healthCheck: { path: "/health" },
            env: { NAME: name },
            upstreams: callsNext ? [{ service: syntheticServiceName(i + 1), localPort: 9001 }] : [],
            ...(routed ? { route: { pathPrefix: `/${name}` } } : {}),
            blue: { image: "nicholasjackson/fake-service:v0.26.2", count: 2 },
            green: { image: "nicholasjackson/fake-service:v0.26.2", count: 2 },
            traffic: { blue: 100, green: 0 },
        };
    }
    return {
        "aws:region": "eu-west-1",
        "bluegreen:network": { cidr: "10.60.0.0/16", azCount: 3, natGateways: "perAz" },
        "bluegreen:consul": { datacenter: "dc1", servers: { mode: "ha", count: 3 } },
        "bluegreen:gateway": { ingressCidrs: ["0.0.0.0/0"], count: 2 },
        "bluegreen:services": services,
    };
}
