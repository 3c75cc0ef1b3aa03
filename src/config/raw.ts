// The raw shapes of the `bluegreen:*` values once the structural schema (schema.ts) has accepted
// them: every default still missing, every cross-value rule still unchecked.
import type { RawAnalysis } from "./analysis";
import type { RawResilience } from "./resilience";
import { HealthCheckConfig, ServerConfig, UpstreamConfig } from "./types";

export interface RawValues {
    network?: RawNetwork;
    consul?: RawConsul;
    gateway?: RawGateway;
    services?: Record<string, RawService>;
    logRetentionDays?: number;
}
export interface RawNetwork {
    cidr?: string;
    azCount?: number;
    natGateways?: "single" | "perAz";
    vpcId?: string;
    privateSubnetIds?: string[];
    publicSubnetIds?: string[];
}
export interface RawConsul {
    datacenter?: string;
    version?: string;
    servers?: Partial<Omit<ServerConfig, "mode">> & { mode?: "dev" | "ha" };
    ecsImage?: string;
    dataplaneImage?: string;
    devServerImage?: string;
    apiAddress?: string;
}
export interface RawGateway {
    ingressCidrs?: string[];
    previewCidrs?: string[];
    certificateArn?: string;
    count?: number;
    cpu?: number;
    memory?: number;
}
export interface RawColour {
    image?: string;
    count?: number;
    env?: Record<string, string>;
    secrets?: Record<string, string>;
}
export interface RawService {
    port: number;
    protocol?: "http" | "http2" | "grpc";
    healthCheck?: Partial<HealthCheckConfig> & { path: string };
    cpu?: number;
    memory?: number;
    env?: Record<string, string>;
    secrets?: Record<string, string>;
    upstreams?: UpstreamConfig[];
    route?: { pathPrefix: string };
    blue?: RawColour;
    green?: RawColour;
    traffic: Record<string, unknown>;
    gate?: { minHealthy?: number; skip?: boolean; alarms?: string[]; failureThreshold?: number; analysis?: RawAnalysis };
    rollout?: { steps?: number[]; bakeSeconds?: number; bakeEachStep?: boolean; checkIntervalSeconds?: number; readyTimeoutSeconds?: number; sticky?: boolean };
    enableExecuteCommand?: boolean;
    resilience?: RawResilience;
}
