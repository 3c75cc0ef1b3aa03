// Consul accepts a splitter only when its weights (each to 0.01) sum to exactly 100, when every
// subset it names is defined by the service's resolver, and when the service's protocol is L7
// (service-defaults with http, http2 or grpc); otherwise the write fails half-way through a
// `pulumi up`, or, for a subset Consul cannot resolve, that share of requests fails.
import type { StackValidationPolicy } from "@pulumi/policy";
import { configEntries, ConfigEntries, Split } from "./configEntries";
import { HTTP_LIKE_PROTOCOLS } from "../../src/shared/meshNames";
// The program's own weight rule, so that config, the flip and the pack cannot disagree on it.
import { weightProblem, weightSumProblem } from "../../src/shared/weights";

function checkWeights(service: string, splits: readonly Split[], report: (message: string) => void): void {
    if (splits.length === 0) {
        report(`splitter "${service}" has no splits; give each colour a split with a weight`);
        return;
    }
    const problems = splits.map((split) => ({ split, problem: weightProblem(split.weight) })).filter((p) => p.problem !== undefined);
    for (const { split, problem } of problems) {
        report(`splitter "${service}": the weight of split ${split.subset ?? split.service}: ${problem}`);
    }
    const sumProblem = problems.length === 0 ? weightSumProblem(splits.map((split) => split.weight as number)) : undefined;
    if (sumProblem) {
        report(`splitter "${service}": ${sumProblem}`);
    }
}

function checkSubsets(entries: ConfigEntries, owner: string, targets: readonly { service: string; subset?: string }[], report: (message: string) => void): void {
    for (const target of targets) {
        if (target.subset === undefined) {
            // A split to another service that has its own splitter hands the share to that splitter
            // (a sticky canary's virtual service at rest does this); anything else must name a colour.
            const delegates = owner !== `splitter "${target.service}"` && entries.splitters.some((s) => s.name === target.service);
            if (!delegates) {
                report(`${owner}: the split to "${target.service}" names no serviceSubset; blue/green needs every split to name a colour's subset, or to go to another service's splitter`);
            }
            continue;
        }
        const resolver = entries.resolvers.find((r) => r.name === target.service);
        if (!resolver) {
            report(`${owner}: subset "${target.subset}" of service "${target.service}" is used, but the stack has no service-resolver named "${target.service}" to define it`);
        } else if (!resolver.subsets.some((s) => s.name === target.subset)) {
            const defined = resolver.subsets.map((s) => s.name).join(", ") || "none";
            report(`${owner}: subset "${target.subset}" is not defined by service-resolver "${target.service}" (defined: ${defined})`);
        }
    }
}

function checkProtocol(entries: ConfigEntries, owner: string, service: string, report: (message: string) => void): void {
    const defaults = entries.defaults.find((d) => d.name === service);
    if (!defaults) {
        report(`${owner}: service "${service}" has no service-defaults entry; Consul rejects a splitter or router unless the protocol is one of ${HTTP_LIKE_PROTOCOLS.join(", ")}`);
    } else if (!HTTP_LIKE_PROTOCOLS.includes(defaults.protocol ?? "")) {
        report(`${owner}: service-defaults "${service}" has protocol ${JSON.stringify(defaults.protocol ?? null)}; a splitter or router needs one of ${HTTP_LIKE_PROTOCOLS.join(", ")}`);
    }
}

export const consulTrafficSplits: StackValidationPolicy = {
    name: "consul-traffic-splits",
    description:
        "Every service-splitter has numeric weights summing to exactly 100, every split and router destination names a subset its service's resolver defines, and every service with a splitter or router has service-defaults with protocol http, http2 or grpc.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const entries = configEntries(args.resources);
        for (const splitter of entries.splitters) {
            const report = (message: string) => reportViolation(message, splitter.resource.urn);
            if (splitter.name === "") {
                report(`a service-splitter has no name; the provider would invent one and split a service that does not exist`);
                continue;
            }
            checkWeights(splitter.name, splitter.splits, report);
            checkSubsets(entries, `splitter "${splitter.name}"`, splitter.splits, report);
            checkProtocol(entries, `splitter "${splitter.name}"`, splitter.name, report);
        }
        for (const router of entries.routers) {
            const report = (message: string) => reportViolation(message, router.resource.urn);
            const named = router.destinations.filter((d) => d.subset !== undefined);
            checkSubsets(entries, `router "${router.name}"`, named, report);
            checkProtocol(entries, `router "${router.name}"`, router.name, report);
        }
    },
};
