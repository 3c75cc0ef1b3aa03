// The API gateway's ALB is the only thing the internet may reach. Any other internet-facing load
// balancer (a network load balancer for the Consul API, an ALB straight to a service) bypasses the
// gateway, its intentions and the blue/green split.
import type { StackValidationPolicy } from "@pulumi/policy";
import { forwardedTargetGroups, gatewayTargetGroups, internetFacingLoadBalancers, listenerForwards, listenersOf, loadBalancerType } from "./loadBalancers";
import { CONTAINERS } from "../../src/shared/meshNames";
import { resourceLabel } from "./resources";

export const onlyGatewayAlbInternetFacing: StackValidationPolicy = {
    name: "only-gateway-alb-internet-facing",
    description: `The only internet-facing load balancer is one application load balancer whose listeners forward only to the API gateway's target groups (ECS tasks' ${CONTAINERS.dataplane} container); every other load balancer is internal.`,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const gatewayGroups = gatewayTargetGroups(args.resources);
        const public_ = internetFacingLoadBalancers(args.resources);
        for (const lb of public_) {
            if (loadBalancerType(lb) !== "application") {
                reportViolation(`${resourceLabel(lb)} is an internet-facing ${loadBalancerType(lb)} load balancer; only the API gateway's ALB may face the internet: set internal = true`, lb.urn);
                continue;
            }
            const forwarding = listenersOf(lb, args.resources).filter((l) => listenerForwards(l, args.resources));
            const targets = forwarding.flatMap((l) => forwardedTargetGroups(l, args.resources));
            const strays = targets.filter((tg) => !gatewayGroups.includes(tg));
            for (const tg of strays) {
                reportViolation(`internet-facing ${resourceLabel(lb)} forwards to ${resourceLabel(tg)}, which no API gateway service (container ${CONTAINERS.dataplane}) registers in; route through the API gateway instead`, lb.urn);
            }
            if (strays.length === 0 && !targets.some((tg) => gatewayGroups.includes(tg))) {
                reportViolation(`internet-facing ${resourceLabel(lb)} forwards to no API gateway target group; only the API gateway's ALB may face the internet: set internal = true`, lb.urn);
            }
        }
        if (public_.length > 1) {
            reportViolation(`the stack has ${public_.length} internet-facing load balancers (${public_.map(resourceLabel).join(", ")}); only the API gateway's ALB may face the internet`);
        }
    },
};
