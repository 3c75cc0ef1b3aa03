// Consul does not check that a subset has instances: weight on a colour whose ECS service runs no
// tasks makes that share of requests fail. Each split with weight links, through the resolver
// subset's colour and the ECS services' `bluegreen:service` / `bluegreen:colour` tags, to the ECS
// service of that colour, whose desired count must be above 0.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { colourOfSubset, configEntries } from "./configEntries";
import { COLOUR_META_KEY, COLOUR_TAG, SERVICE_TAG } from "../../src/shared/meshNames";
import { asNumber, resourceLabel, ofType, tagsOf, TYPES } from "./resources";

/** ECS's default desired count is 0: a service that does not set it runs nothing. */
function desiredCount(service: PolicyResource): number {
    return asNumber(service.props.desiredCount) ?? 0;
}

export const weightOnlyOnRunningColours: StackValidationPolicy = {
    name: "weight-only-on-running-colours",
    description:
        "No split gives weight above 0 to a colour whose ECS service (tagged bluegreen:service and bluegreen:colour) is missing or has a desired count of 0.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const entries = configEntries(args.resources);
        const ecsServices = ofType(args.resources, TYPES.ecsServices);
        for (const splitter of entries.splitters) {
            for (const split of splitter.splits) {
                if (typeof split.weight !== "number" || split.weight <= 0 || split.subset === undefined) {
                    continue;
                }
                const resolver = entries.resolvers.find((r) => r.name === split.service);
                const subset = resolver?.subsets.find((s) => s.name === split.subset) ?? { name: split.subset };
                const colour = colourOfSubset(subset, COLOUR_META_KEY);
                const running = ecsServices.filter((s) => {
                    const tags = tagsOf(s.props);
                    return tags[SERVICE_TAG] === split.service && tags[COLOUR_TAG] === colour;
                });
                if (running.length === 0) {
                    reportViolation(
                        `splitter "${splitter.name}" gives weight ${split.weight} to colour "${colour}" of service "${split.service}", but no ECS service is tagged ${SERVICE_TAG}=${split.service} and ${COLOUR_TAG}=${colour}`,
                        splitter.resource.urn,
                    );
                    continue;
                }
                const tasks = running.reduce((sum, s) => sum + desiredCount(s), 0);
                if (tasks === 0) {
                    reportViolation(
                        `splitter "${splitter.name}" gives weight ${split.weight} to colour "${colour}" of service "${split.service}", whose ECS service ${running.map(resourceLabel).join(", ")} has a desired count of 0: scale it up first or move the weight away`,
                        splitter.resource.urn,
                    );
                }
            }
        }
    },
};
