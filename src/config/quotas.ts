// AWS quotas a stack file can exceed on its own.
import type { Report } from "./types";

/**
 * Amazon VPC quotas: "Inbound or outbound rules per security group", 60 by default (IPv4 and IPv6
 * rules counted apart). Each ingress CIDR opens each public listener port on the ALB's group, and that
 * group has no other inbound rule.
 */
const SECURITY_GROUP_INBOUND_RULES = 60;

export function checkIngressRuleQuota(path: string, cidrCount: number, https: boolean, at: Report): void {
    const ports = https ? 2 : 1;
    const rules = cidrCount * ports;
    if (rules > SECURITY_GROUP_INBOUND_RULES) {
        const most = Math.floor(SECURITY_GROUP_INBOUND_RULES / ports);
        at(path, `${cidrCount} CIDRs make ${rules} inbound rules on the ALB's security group (one per CIDR and listener port: ${https ? "443 and 80" : "80"}); a security group holds at most ${SECURITY_GROUP_INBOUND_RULES} by default: list at most ${most} CIDRs, summarising neighbours into wider ones`);
    }
}
