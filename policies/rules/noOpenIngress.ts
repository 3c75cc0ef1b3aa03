// The internet reaches the stack through one door: the public ALB's listeners. Any other ingress
// from 0.0.0.0/0 or ::/0 is a hole.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isAnywhere } from "./cidr";
import { describePorts, ingressPermissions, IngressPermission } from "./ingress";
import { guardsLoadBalancer, internetFacingLoadBalancers, listenerPorts, loadBalancerType } from "./loadBalancers";
import { resourceLabel } from "./resources";

/** The ports the program's ALB listens on (HTTPS, and HTTP to redirect): used until the stack has its ALB. */
const DEFAULT_LISTENER_PORTS: readonly number[] = [80, 443];

function within(permission: IngressPermission, ports: readonly number[]): boolean {
    const range = permission.ports;
    if (!range || permission.protocol.toLowerCase() !== "tcp" || range.to - range.from > 1000) {
        return false;
    }
    for (let port = range.from; port <= range.to; port++) {
        if (!ports.includes(port)) {
            return false;
        }
    }
    return true;
}

function allowedPublicPorts(permission: IngressPermission, resources: readonly PolicyResource[]): readonly number[] | undefined {
    const internetFacing = internetFacingLoadBalancers(resources);
    if (internetFacing.length === 0) {
        return DEFAULT_LISTENER_PORTS;
    }
    const albs = internetFacing.filter((lb) => loadBalancerType(lb) === "application");
    const guarded = albs.filter((lb) => guardsLoadBalancer(lb, permission.groups, permission.groupId, resources));
    if (guarded.length === 0) {
        return undefined;
    }
    return guarded.flatMap((lb) => {
        const ports = listenerPorts(lb, resources);
        return ports.length > 0 ? ports : DEFAULT_LISTENER_PORTS;
    });
}

export const noOpenIngress: StackValidationPolicy = {
    name: "no-open-ingress",
    description:
        "No security group admits 0.0.0.0/0 or ::/0 except the public ALB's security group on its listener ports (80 and 443 while the stack has no internet-facing load balancer yet).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const permission of ingressPermissions(args.resources)) {
            const open = permission.cidrs.filter(isAnywhere);
            if (open.length === 0) {
                continue;
            }
            const allowed = allowedPublicPorts(permission, args.resources);
            if (allowed && within(permission, allowed)) {
                continue;
            }
            const where = allowed ? `only the public ALB's listener ports (${[...new Set(allowed)].join(", ")}/tcp) may be open to the internet` : "its security group guards no internet-facing application load balancer";
            reportViolation(
                `${resourceLabel(permission.resource)} admits ${open.join(" and ")} on ${describePorts(permission.ports, permission.protocol)}: ${where}; use a security group reference or a narrower CIDR`,
                permission.resource.urn,
            );
        }
    },
};
