// Consul's ports (8300-8600: server RPC, gossip, HTTP(S) API, gRPC, DNS) carry the control plane
// and the management API: nothing outside the VPC may reach them, neither through a security
// group rule nor through an internet-facing load balancer.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { cidrWithin, PRIVATE_IPV4_RANGES } from "./cidr";
import { describePorts, ingressPermissions, overlaps } from "./ingress";
import { forwardedTargetGroups, internetFacingLoadBalancers, listenersOf } from "./loadBalancers";
import { CONSUL_PORTS } from "../../src/shared/ports";
import { asNumber, asString, resourceLabel, ofType, TYPES } from "./resources";

const CIDR_ASSOCIATION = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation";

/** The stack's own VPC ranges; RFC 1918 when the stack adopts a VPC it does not declare. */
function vpcRanges(resources: readonly PolicyResource[]): { ranges: string[]; declared: boolean } {
    const ranges = [...ofType(resources, [TYPES.vpc, TYPES.awsxVpc, CIDR_ASSOCIATION])]
        .flatMap((vpc) => [asString(vpc.props.cidrBlock), asString(vpc.props.ipv6CidrBlock)])
        .filter((c): c is string => !!c);
    return ranges.length > 0 ? { ranges, declared: true } : { ranges: [...PRIVATE_IPV4_RANGES], declared: false };
}

const isConsulPort = (port: number | undefined) => port !== undefined && CONSUL_PORTS.includes(port);

export const consulPortsInsideVpc: StackValidationPolicy = {
    name: "consul-ports-inside-vpc",
    description:
        "No Consul port (8300-8302, 8500-8503, 8600) is reachable from outside the VPC: no ingress from a CIDR outside the VPC's ranges (RFC 1918 for an adopted VPC) and no internet-facing load balancer listening on or forwarding to such a port.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const { ranges, declared } = vpcRanges(args.resources);
        for (const permission of ingressPermissions(args.resources)) {
            const range = permission.ports;
            if (!range || !CONSUL_PORTS.some((port) => overlaps(range, { from: port, to: port }))) {
                continue;
            }
            const outside = permission.cidrs.filter((cidr) => !ranges.some((range) => cidrWithin(cidr, range)));
            for (const cidr of outside) {
                reportViolation(
                    `${resourceLabel(permission.resource)} admits ${cidr} on ${describePorts(permission.ports, permission.protocol)}, a Consul port, from outside the VPC (${declared ? ranges.join(", ") : "private ranges, as the VPC is not in the stack"}); allow only the mesh's security groups`,
                    permission.resource.urn,
                );
            }
            for (const list of permission.prefixLists) {
                reportViolation(`${resourceLabel(permission.resource)} admits prefix list ${list} on a Consul port; its addresses cannot be checked to be inside the VPC`, permission.resource.urn);
            }
        }
        for (const lb of internetFacingLoadBalancers(args.resources)) {
            for (const listener of listenersOf(lb, args.resources)) {
                const port = asNumber(listener.props.port);
                if (isConsulPort(port)) {
                    reportViolation(`internet-facing ${resourceLabel(lb)} listens on port ${port}, a Consul port`, listener.urn);
                }
                for (const tg of forwardedTargetGroups(listener, args.resources)) {
                    const target = asNumber(tg.props.port);
                    if (isConsulPort(target)) {
                        reportViolation(`internet-facing ${resourceLabel(lb)} forwards to ${resourceLabel(tg)} on port ${target}, a Consul port`, listener.urn);
                    }
                }
            }
        }
    },
};
