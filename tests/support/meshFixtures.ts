// Plain inputs for the pure task builders: two services shaped like the example stacks' and a
// resolved platform.
import { RESILIENCE_DEFAULTS } from "../../src/config/resilience";
import { DEFAULT_ROLLOUT } from "../../src/config/rollout";
import type { TaskPlatform } from "../../src/ecs/render/containers";
import type { ResilienceConfig, ServiceConfig } from "../../src/config";
import { CA_ARN, DB_PASSWORD_ARN, GREEN_API_KEY_ARN } from "./fakeArns";

/**
 * What a service that sets nothing gets: the resolver's timeouts, no retries, Envoy's limits, and
 * Envoy's default outlier ejection (Consul always gives each upstream cluster an OutlierDetection,
 * empty when nothing is set: agent/xds/config ToOutlierDetection). tests/config/resilience.test.ts
 * checks that validation gives exactly this.
 */
export const DEFAULT_RESILIENCE: ResilienceConfig = {
    requestTimeoutMs: RESILIENCE_DEFAULTS.requestTimeoutMs,
    connectTimeoutMs: RESILIENCE_DEFAULTS.connectTimeoutMs,
    routes: [],
};

export const FAKE_SERVICE = "nicholasjackson/fake-service:v0.26.2";

export const platform: TaskPlatform = {
    stack: "dev",
    region: "eu-west-1",
    logGroupName: "/bluegreen/dev",
    consulEcsImage: "public.ecr.aws/hashicorp/consul-ecs:0.10.0",
    dataplaneImage: "hashicorp/consul-dataplane:2.0.1",
    caCertSecretArn: CA_ARN,
    servers: { hosts: "consul.bluegreen-dev.internal", tlsServerName: "server.dc1.consul", httpsPort: 8501, grpcPort: 8503 },
};

/** A service with one upstream, a health check, secrets and per-colour settings. */
export const orders: ServiceConfig = {
    name: "orders",
    port: 9090,
    protocol: "http",
    healthCheck: { path: "/health", interval: 10, timeout: 5, retries: 3, startPeriod: 30 },
    cpu: 256,
    memory: 512,
    env: { NAME: "orders", MESSAGE: "orders" },
    secrets: { DB_PASSWORD: DB_PASSWORD_ARN },
    upstreams: [{ service: "inventory", localPort: 9001 }],
    route: { pathPrefix: "/api/v1/orders" },
    blue: { image: FAKE_SERVICE, count: 2, env: { MESSAGE: "orders blue" }, secrets: {} },
    green: { image: "nicholasjackson/fake-service:v0.26.1", count: 1, env: { MESSAGE: "orders green" }, secrets: { API_KEY: GREEN_API_KEY_ARN } },
    traffic: { blue: 100, green: 0 },
    gate: { skip: false, alarms: [], failureThreshold: 3 },
    rollout: DEFAULT_ROLLOUT,
    enableExecuteCommand: false,
    resilience: DEFAULT_RESILIENCE,
};

/** A service without upstreams, health check or secrets. */
export const inventory: ServiceConfig = {
    name: "inventory",
    port: 8080,
    protocol: "http",
    healthCheck: undefined,
    cpu: 256,
    memory: 512,
    env: { NAME: "inventory" },
    secrets: {},
    upstreams: [],
    route: undefined,
    blue: { image: FAKE_SERVICE, count: 1, env: {}, secrets: {} },
    green: { image: undefined, count: 0, env: {}, secrets: {} },
    traffic: { blue: 100, green: 0 },
    gate: { skip: false, alarms: [], failureThreshold: 3 },
    rollout: DEFAULT_ROLLOUT,
    enableExecuteCommand: false,
    resilience: DEFAULT_RESILIENCE,
};
