// A production stack keeps Consul's state through the loss of a server: an odd number (at least
// 3) of EC2 servers, one per availability zone, never the ephemeral dev server on Fargate.
// Quorum is floor(N/2)+1, so 3 servers survive one loss and 5 survive two; an even count adds a
// server without adding tolerance.
import type { StackValidationPolicy } from "@pulumi/policy";
import { spreadOf, serverDeployments } from "./consulServers";
import { MESH_TAG } from "../../src/shared/meshNames";
import { isProductionStack } from "../../src/shared/stacks";
import { asNumber, resourceLabel, ofType, stackOfResources, tagsOf, TYPES } from "./resources";

const MIN_SERVERS = 3;
const MIN_ZONES = 3;

export const productionConsulServers: StackValidationPolicy = {
    name: "production-consul-servers-ha",
    description:
        "In a production stack (a stack named prod, or with prod as a word of its name): Consul servers run in ha mode, an Auto Scaling group of an odd number (at least 3) of servers with min = max = desired, spread over at least 3 availability zones; no dev-mode server.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const stack = stackOfResources(args.resources);
        if (!isProductionStack(stack)) {
            return;
        }
        const deployments = serverDeployments(args.resources);
        for (const dev of deployments.filter((d) => d.mode === "dev")) {
            reportViolation(`${resourceLabel(dev.resource)} runs a Consul server on ECS in production stack "${stack}": dev-mode servers lose their data on restart; use servers.mode: ha`, dev.resource.urn);
        }
        const groups = deployments.filter((d) => d.mode === "ha");
        if (groups.length === 0 && ofType(args.resources, TYPES.taskDefinition).some((td) => tagsOf(td.props)[MESH_TAG] === "true")) {
            reportViolation(`production stack "${stack}" runs mesh tasks but has no Auto Scaling group of Consul servers`);
        }
        for (const { resource: asg, config } of groups) {
            const desired = asNumber(asg.props.desiredCapacity);
            const min = asNumber(asg.props.minSize);
            const max = asNumber(asg.props.maxSize);
            const count = desired ?? min;
            if (count === undefined || count < MIN_SERVERS || count % 2 === 0) {
                reportViolation(`${resourceLabel(asg)} runs ${count ?? "an unset number of"} Consul servers; production needs an odd number of at least ${MIN_SERVERS} (3 survive one loss, 5 survive two)`, asg.urn);
            }
            if (count !== undefined && (min !== count || max !== count)) {
                reportViolation(`${resourceLabel(asg)} has minSize ${min}, maxSize ${max}, desiredCapacity ${desired}: set all three to the server count so scaling never makes the count even or breaks quorum`, asg.urn);
            }
            const expected = asNumber(config?.bootstrap_expect);
            if (expected !== undefined && count !== undefined && expected !== count) {
                reportViolation(`${resourceLabel(asg)} runs ${count} servers but their agent config says bootstrap_expect = ${expected}`, asg.urn);
            }
            const { subnets, zones } = spreadOf(asg, args.resources);
            const spread = zones.length > 0 ? zones.length : subnets.length;
            if (spread < MIN_ZONES) {
                const what = zones.length > 0 ? `${zones.length} availability zone(s) (${zones.join(", ")})` : `${subnets.length} subnet(s)`;
                reportViolation(`${resourceLabel(asg)} spreads its Consul servers over ${what}; production needs at least ${MIN_ZONES} availability zones (bluegreen:network.azCount >= 3)`, asg.urn);
            }
        }
    },
};
