// The typed stack configuration the program reads once validation has passed, and the shape of a
// problem report. Types only: the checks live in validate.ts and the files it calls.
import type { Colour } from "../shared/weights";

export { COLOURS, type Colour } from "../shared/weights";

export type NetworkConfig =
    | { readonly kind: "create"; readonly cidr: string; readonly azCount: number; readonly natGateways: "single" | "perAz" }
    | { readonly kind: "existing"; readonly vpcId: string; readonly privateSubnetIds: readonly string[]; readonly publicSubnetIds: readonly string[] };

export interface ServerConfig {
    /** `dev`: one Fargate server, ephemeral data; `ha`: an EC2 Auto Scaling group of `count` servers. */
    readonly mode: "dev" | "ha";
    /** Number of servers: 1 in dev; 3 or 5 in ha. */
    readonly count: number;
    /** EC2 instance type of the ha servers. Default t4g.small (arm64). */
    readonly instanceType: string;
    /** Size of the servers' encrypted gp3 data volume in GiB. Default 20. */
    readonly dataVolumeSize: number;
    /** How often a snapshot is saved to S3 (a systemd OnCalendar expression). Default hourly. */
    readonly snapshotSchedule: string;
    /** Days a snapshot is kept before its lifecycle rule expires it. Default 30. */
    readonly snapshotRetentionDays: number;
}

export interface ConsulConfig {
    /** The Consul datacenter name. Default dc1. */
    readonly datacenter: string;
    /** The Consul server version. Default 2.0.1. */
    readonly version: string;
    readonly servers: ServerConfig;
    /** The consul-ecs image (mesh-init, health-sync, controller). */
    readonly ecsImage: string;
    /** The consul-dataplane image (runs Envoy). */
    readonly dataplaneImage: string;
    /** The dev server's Consul image. Default public.ecr.aws/hashicorp/consul:<version>. */
    readonly devServerImage: string;
    /**
     * Where this program reaches Consul's HTTPS API (`host:port`), for example `localhost:8501` through
     * an SSM tunnel. Default: the internal load balancer's DNS name on 8501.
     */
    readonly apiAddress?: string;
}

export interface GatewayConfig {
    /** CIDRs allowed to reach the public ALB. */
    readonly ingressCidrs: readonly string[];
    /**
     * CIDRs whose requests may carry the colour header through the ALB (operators previewing the idle
     * colour); from anywhere else the ALB answers 403. Default none.
     */
    readonly previewCidrs: readonly string[];
    /** ACM certificate for HTTPS; without it the ALB listens on HTTP only (dev). */
    readonly certificateArn?: string;
    /** Gateway tasks. Default 1 in a dev-server stack, 2 otherwise. */
    readonly count: number;
    readonly cpu: number;
    readonly memory: number;
}

export interface UpstreamConfig {
    readonly service: string;
    readonly localPort: number;
}

export interface ColourConfig {
    /** Container image of this colour; a colour without one runs no tasks. */
    readonly image?: string;
    /** Desired task count. */
    readonly count: number;
    /** Plain settings merged over the service's `env`. */
    readonly env: Readonly<Record<string, string>>;
    /** Secrets Manager ARNs merged over the service's `secrets`. */
    readonly secrets: Readonly<Record<string, string>>;
}

export interface HealthCheckConfig {
    /** HTTP path probed inside the app container. */
    readonly path: string;
    readonly interval: number;
    readonly timeout: number;
    readonly retries: number;
    readonly startPeriod: number;
}

interface GateConfig {
    /** Passing instances a colour needs before it may receive weight. Default: its count. */
    readonly minHealthy?: number;
    /** Skips the health gate: for emergencies only, and logged loudly. Default false. */
    readonly skip: boolean;
    /** CloudWatch alarm names that must be OK before and during a flip. */
    readonly alarms: readonly string[];
    /** Consecutive failed checks of a gate after which the rollout rolls back. Default 3. */
    readonly failureThreshold: number;
    /** Canary analysis from the mesh metrics: the canary compared with the baseline while both serve. Default: none. */
    readonly analysis?: CanaryAnalysisConfig;
}

/** `gate.analysis`: what a canary must keep up with compared with its baseline, over one window. */
export interface CanaryAnalysisConfig {
    /** Canary's error share may exceed the baseline's by at most this many percentage points. */
    readonly maxErrorRateIncrease?: number;
    /** Canary's p99 latency may be at most this factor of the baseline's. */
    readonly maxLatencyRatio?: number;
    /** Requests each colour must serve in the window before it is judged. Default 100. */
    readonly minRequests: number;
    /** The window, in seconds (`window` in config: whole minutes, "5m" by default). */
    readonly windowSeconds: number;
}

/** How the rollout engine moves this service to a new `traffic`. */
export interface RolloutConfig {
    /** Percents of the way from the live split to the new one, rising, each in (0, 100); 100 follows. Default [] (one step). */
    readonly steps: readonly number[];
    /** Bake after a step, seconds. Default 0. */
    readonly bakeSeconds: number;
    /** Bake after every step (true) or once, after the last (false). Default true. */
    readonly bakeEachStep: boolean;
    /** Seconds between two checks of the gates. Default 15. */
    readonly checkIntervalSeconds: number;
    /** Before the first step, how long failing health checks wait for the colour instead of counting. Default 300. */
    readonly readyTimeoutSeconds: number;
    /**
     * Sticky canary: while a rollout runs, a client the mesh served from one colour keeps being served
     * by it (a cookie the mesh sets and routes on); it ends with the rollout. Default false.
     */
    readonly sticky: boolean;
}

export interface ServiceConfig {
    readonly name: string;
    /** The port the application listens on (Envoy reaches it at 127.0.0.1:port). */
    readonly port: number;
    /** L7 protocol for Consul's routing; splitters need an HTTP-like one. Default http. */
    readonly protocol: "http" | "http2" | "grpc";
    readonly healthCheck?: HealthCheckConfig;
    /** Fargate task CPU units. Default 256. */
    readonly cpu: number;
    /** Fargate task memory in MiB. Default 512. */
    readonly memory: number;
    readonly env: Readonly<Record<string, string>>;
    readonly secrets: Readonly<Record<string, string>>;
    readonly upstreams: readonly UpstreamConfig[];
    /** Path prefix at which the API gateway routes internet traffic to this service. */
    readonly route?: { readonly pathPrefix: string };
    readonly blue: ColourConfig;
    readonly green: ColourConfig;
    readonly traffic: Readonly<Record<Colour, number>>;
    readonly gate: GateConfig;
    readonly rollout: RolloutConfig;
    /** ECS Exec into this service's tasks. Default false. */
    readonly enableExecuteCommand: boolean;
    /** Timeouts, retries, per-route settings, outlier ejection and connection limits for calls to this service. */
    readonly resilience: ResilienceConfig;
}

/** Conditions Consul's service-router accepts in `RetryOn` (Envoy's retry_on values). */
export const RETRY_CONDITIONS = [
    "5xx",
    "gateway-error",
    "reset",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
] as const;
export type RetryCondition = (typeof RETRY_CONDITIONS)[number];

/** The methods Consul's route matches accept. */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** How calls are retried. */
export interface RetryPolicy {
    /** Retries after the first attempt (Consul's NumRetries); 0 retries nothing. */
    readonly count: number;
    /** When to retry. Default connect-failure, refused-stream, gateway-error. */
    readonly on: readonly RetryCondition[];
    /** Response status codes that are also retried. Default none. */
    readonly statusCodes: readonly number[];
    /**
     * Methods retried on every condition. Default the idempotent ones (GET, HEAD, OPTIONS, TRACE, PUT,
     * DELETE); the others are retried only where the request never reached the service.
     */
    readonly methods: readonly HttpMethod[];
}

/** `resilience.routes[]`: settings for the requests one path prefix (and optionally a header or methods) selects. */
export interface RouteRuleConfig {
    readonly pathPrefix: string;
    readonly header?: { readonly name: string; readonly exact: string };
    /** Only these methods; default every method. */
    readonly methods?: readonly HttpMethod[];
    /** Milliseconds; default the service's request timeout. */
    readonly timeoutMs?: number;
    /** Default the service's retries. */
    readonly retries?: RetryPolicy;
}

/** Outlier ejection each caller's sidecar applies to this service's instances. */
export interface OutlierDetectionConfig {
    /** Consecutive 5xx answers that eject an instance. Default 5. */
    readonly consecutive5xx: number;
    /** Milliseconds between two ejection sweeps. Default 10 s. */
    readonly intervalMs: number;
    /** Milliseconds an instance stays ejected the first time (longer each time after). Default 30 s. */
    readonly baseEjectionTimeMs: number;
    /** Most instances ejected at once, in percent. Default 10. */
    readonly maxEjectionPercent: number;
    /** Percent of detected outliers actually ejected. Default 100. */
    readonly enforcingPercent: number;
}

/** Circuit-breaker limits each caller's sidecar applies to this service; an unset one keeps Envoy's default. */
export interface ConnectionLimitsConfig {
    readonly maxConnections?: number;
    readonly maxPendingRequests?: number;
    readonly maxConcurrentRequests?: number;
}

export interface ResilienceConfig {
    /** Milliseconds a call may take, retries included. Default 15 s. */
    readonly requestTimeoutMs: number;
    /** Milliseconds to open a connection to an instance. Default 5 s. */
    readonly connectTimeoutMs: number;
    /** Default: no retries. */
    readonly retries?: RetryPolicy;
    /** In the stack file's order; the first that matches a request applies. Default none. */
    readonly routes: readonly RouteRuleConfig[];
    readonly outlierDetection?: OutlierDetectionConfig;
    readonly connectionLimits?: ConnectionLimitsConfig;
}

export interface StackConfig {
    readonly project: string;
    readonly stack: string;
    readonly region: string;
    readonly network: NetworkConfig;
    readonly consul: ConsulConfig;
    readonly gateway: GatewayConfig;
    /** Services in the order the stack file lists them. */
    readonly services: readonly ServiceConfig[];
    /** Days CloudWatch keeps container logs. Default 30. */
    readonly logRetentionDays: number;
}

/** The top-level `bluegreen:*` keys a stack file may set. */
export const CONFIG_KEYS = ["network", "consul", "gateway", "services", "logRetentionDays"] as const;

/** Adds one problem: the key's path, and what is wrong and what is allowed. */
export type Report = (path: string, message: string) => void;

/** One problem with the stack config: the key's path and what is wrong and allowed. */
export interface ConfigProblem {
    readonly path: string;
    readonly message: string;
}
