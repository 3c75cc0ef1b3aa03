// Every ingress permission of a stack, whichever resource declares it: the standalone
// SecurityGroupIngressRule (vpc), the older SecurityGroupRule (ec2) and inline `ingress` blocks.
import type { PolicyResource } from "@pulumi/policy";
import { asArray, asNumber, asRecord, asString, ofType, referencedBy, TYPES } from "./resources";

export interface PortRange {
    readonly from: number;
    readonly to: number;
}

export interface IngressPermission {
    /** The resource that declares the permission (a rule, or the group for inline rules). */
    readonly resource: PolicyResource;
    /** The security group the permission opens, as a resource when the stack has it. */
    readonly groups: readonly PolicyResource[];
    /** The group id as written, when known. */
    readonly groupId?: string;
    readonly protocol: string;
    /** Undefined for protocols without ports (ICMP). */
    readonly ports?: PortRange;
    readonly cidrs: readonly string[];
    readonly prefixLists: readonly string[];
}

const ALL_PORTS: PortRange = { from: 0, to: 65535 };

function portRange(protocol: string, from: unknown, to: unknown): PortRange | undefined {
    const p = protocol.toLowerCase();
    if (p === "-1" || p === "all") {
        return ALL_PORTS;
    }
    if (["icmp", "icmpv6", "1", "58"].includes(p)) {
        return undefined;
    }
    const low = asNumber(from);
    const high = asNumber(to);
    if (low === undefined || high === undefined || low < 0) {
        return ALL_PORTS;
    }
    return { from: low, to: high };
}

const strings = (value: unknown): string[] => asArray(value).filter((v): v is string => typeof v === "string" && v !== "");

export function ingressPermissions(resources: readonly PolicyResource[]): IngressPermission[] {
    const groups = ofType(resources, TYPES.securityGroup);
    const permissions: IngressPermission[] = [];
    // A standalone rule names its group by id; the two rule types differ only in field names.
    const standalone = (rule: PolicyResource, protocolInput: unknown, cidrs: string[], prefixLists: string[]): IngressPermission => {
        const protocol = String(protocolInput ?? "-1");
        return {
            resource: rule,
            groups: referencedBy(rule, "securityGroupId", TYPES.securityGroup, groups),
            groupId: asString(rule.props.securityGroupId),
            protocol,
            ports: portRange(protocol, rule.props.fromPort, rule.props.toPort),
            cidrs,
            prefixLists,
        };
    };
    for (const rule of ofType(resources, TYPES.ingressRule)) {
        const cidrs = [asString(rule.props.cidrIpv4), asString(rule.props.cidrIpv6)].filter((c): c is string => !!c);
        permissions.push(standalone(rule, rule.props.ipProtocol, cidrs, strings([rule.props.prefixListId])));
    }
    for (const rule of ofType(resources, TYPES.securityGroupRule).filter((r) => r.props.type === "ingress")) {
        const cidrs = [...strings(rule.props.cidrBlocks), ...strings(rule.props.ipv6CidrBlocks)];
        permissions.push(standalone(rule, rule.props.protocol, cidrs, strings(rule.props.prefixListIds)));
    }
    for (const group of groups) {
        for (const raw of asArray(group.props.ingress)) {
            const inline = asRecord(raw);
            const protocol = String(inline.protocol ?? "-1");
            permissions.push({
                resource: group,
                groups: [group],
                groupId: asString(group.props.id),
                protocol,
                ports: portRange(protocol, inline.fromPort, inline.toPort),
                cidrs: [...strings(inline.cidrBlocks), ...strings(inline.ipv6CidrBlocks)],
                prefixLists: strings(inline.prefixListIds),
            });
        }
    }
    return permissions;
}

export function overlaps(a: PortRange, b: PortRange): boolean {
    return a.from <= b.to && b.from <= a.to;
}

export function describePorts(ports: PortRange | undefined, protocol: string): string {
    if (!ports) {
        return protocol;
    }
    if (ports.from === 0 && ports.to === 65535) {
        return `all ${protocol === "-1" ? "" : `${protocol} `}ports`;
    }
    return ports.from === ports.to ? `${protocol} port ${ports.from}` : `${protocol} ports ${ports.from}-${ports.to}`;
}
