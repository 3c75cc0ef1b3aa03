// What a service's release spec carries for the rollout engine's analysis gate: the thresholds of
// `gate.analysis` and the service's protocol (gRPC services count gRPC errors too). Pure and free of
// the AWS SDK, so the Release resource can import it.
import type { CanaryAnalysisConfig, ServiceConfig } from "../config";

export type AnalysisSpec = CanaryAnalysisConfig & { readonly protocol: ServiceConfig["protocol"] };

export function analysisSpec(service: ServiceConfig): AnalysisSpec | undefined {
    return service.gate.analysis ? { ...service.gate.analysis, protocol: service.protocol } : undefined;
}
