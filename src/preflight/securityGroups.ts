// Decides, rule by rule, whether security groups let a connection through: an egress rule of a group
// on the source AND an ingress rule of a group on the target must both match the protocol and port,
// and name the other side by its security group or by a CIDR that holds all of its addresses.
// Security groups are stateful, so replies need no rule. A group the program creates starts with no
// egress rule (Pulumi and Terraform remove AWS's default allow-all), so only the plan's rules count.
// IPv6 and prefix-list rules never match an IPv4 peer here.
import * as ipaddr from "ipaddr.js";
import { asArray, asStringArray, PlanIndex, PlanRecord, TYPES } from "./planIndex";

export type Protocol = "tcp" | "udp";

/** One side of a connection: the groups it runs with, and the range its addresses come from. */
export interface Endpoint {
    /** Who this is, for the report (`controller`, `the internet`, ...). */
    readonly label: string;
    /** Security group records; empty for a peer outside the plan's groups (the internet, a VPC host). */
    readonly groups: readonly PlanRecord[];
    /** A CIDR that holds every address the endpoint can have (the VPC's, `0.0.0.0/0`). */
    readonly cidr?: string;
}

export interface Reachability {
    readonly ok: boolean;
    readonly text: string;
    /** The group whose rules are missing, when not ok. */
    readonly blockedAt?: PlanRecord;
}

interface Rule {
    readonly record: PlanRecord;
    readonly group: PlanRecord;
    readonly direction: "ingress" | "egress";
    readonly protocol: string;
    readonly fromPort: number;
    readonly toPort: number;
    readonly peerGroups: readonly PlanRecord[];
    readonly cidrs: readonly string[];
}

export class SecurityGroupEvaluator {
    private readonly rules: readonly Rule[];

    constructor(private readonly index: PlanIndex) {
        this.rules = collectRules(index);
    }

    /** The security group records an input list (`securityGroups`, `vpcSecurityGroupIds`) names. */
    groups(refs: unknown): PlanRecord[] {
        return asStringArray(refs)
            .map((ref) => this.index.resolve(TYPES.securityGroup, ref))
            .filter((g): g is PlanRecord => g !== undefined);
    }

    /** The distinct CIDRs the ingress rules of `groups` let in, in the plan's order. */
    inboundCidrs(groups: readonly PlanRecord[]): string[] {
        return [...new Set(this.rules.filter((r) => r.direction === "ingress" && groups.includes(r.group)).flatMap((r) => r.cidrs))];
    }

    reach(from: Endpoint, to: Endpoint, protocol: Protocol, port: number): Reachability {
        const flow = `${protocol}/${port}`;
        if (to.groups.length === 0) {
            return { ok: false, text: `${to.label} runs with no security group of the plan, so nothing can be said of ${flow} to it` };
        }
        if (from.groups.length > 0 && !this.matches("egress", from.groups, to, protocol, port)) {
            return {
                ok: false,
                text: `no egress rule of ${names(from.groups)} allows ${flow} to ${to.label} (${describePeer(to)})`,
                blockedAt: from.groups[0],
            };
        }
        if (!this.matches("ingress", to.groups, from, protocol, port)) {
            return {
                ok: false,
                text: `no ingress rule of ${names(to.groups)} allows ${flow} from ${from.label} (${describePeer(from)})`,
                blockedAt: to.groups[0],
            };
        }
        const rules = from.groups.length > 0 ? `egress of ${names(from.groups)} and ingress of ${names(to.groups)} allow it` : `ingress of ${names(to.groups)} allows it`;
        return { ok: true, text: `${flow} ${from.label} -> ${to.label}: ${rules}` };
    }

    private matches(direction: Rule["direction"], groups: readonly PlanRecord[], peer: Endpoint, protocol: Protocol, port: number): boolean {
        return this.rules.some(
            (rule) =>
                rule.direction === direction &&
                groups.includes(rule.group) &&
                protocolMatches(rule.protocol, protocol) &&
                (rule.protocol === "-1" || (port >= rule.fromPort && port <= rule.toPort)) &&
                (rule.peerGroups.some((g) => peer.groups.includes(g)) || rule.cidrs.some((cidr) => peer.cidr !== undefined && cidrContains(cidr, peer.cidr))),
        );
    }
}

function names(groups: readonly PlanRecord[]): string {
    return groups.map((g) => g.name).join(", ");
}

function describePeer(peer: Endpoint): string {
    const parts = [...(peer.groups.length > 0 ? [`group ${names(peer.groups)}`] : []), ...(peer.cidr ? [peer.cidr] : [])];
    return parts.join(", ") || "no group, no address range";
}

const PROTOCOL_NUMBERS: Record<string, string> = { "6": "tcp", "17": "udp", all: "-1" };

function protocolMatches(ruleProtocol: string, protocol: Protocol): boolean {
    const normal = PROTOCOL_NUMBERS[ruleProtocol] ?? ruleProtocol;
    return normal === "-1" || normal === protocol;
}

/** Whether every address of `inner` is in `outer` (both IPv4 CIDRs; anything else never matches). */
export function cidrContains(outer: string, inner: string): boolean {
    try {
        const [outerAddr, outerBits] = ipaddr.parseCIDR(outer);
        const [innerAddr, innerBits] = ipaddr.parseCIDR(inner);
        return outerAddr.kind() === "ipv4" && innerAddr.kind() === "ipv4" && innerBits >= outerBits && innerAddr.match(outerAddr, outerBits);
    } catch {
        return false;
    }
}

function collectRules(index: PlanIndex): Rule[] {
    const rules: Rule[] = [];
    const group = (ref: unknown) => index.resolve(TYPES.securityGroup, ref);
    const groupsOf = (refs: unknown) => asStringArray(refs).map(group).filter((g): g is PlanRecord => g !== undefined);
    const port = (value: unknown, fallback: number) => (typeof value === "number" ? value : typeof value === "string" && value !== "" ? Number(value) : fallback);

    for (const [type, direction] of [
        [TYPES.ingressRule, "ingress"],
        [TYPES.egressRule, "egress"],
    ] as const) {
        for (const record of index.ofType(type)) {
            const owner = group(record.inputs.securityGroupId);
            if (!owner) {
                continue;
            }
            const protocol = String(record.inputs.ipProtocol ?? "-1");
            rules.push({
                record,
                group: owner,
                direction,
                protocol,
                fromPort: port(record.inputs.fromPort, 0),
                toPort: port(record.inputs.toPort, 65535),
                peerGroups: groupsOf(record.inputs.referencedSecurityGroupId),
                cidrs: asStringArray(record.inputs.cidrIpv4),
            });
        }
    }
    for (const record of index.ofType(TYPES.securityGroupRule)) {
        const owner = group(record.inputs.securityGroupId);
        const direction = record.inputs.type === "egress" ? "egress" : "ingress";
        if (!owner) {
            continue;
        }
        const peers = groupsOf(record.inputs.sourceSecurityGroupId);
        rules.push({
            record,
            group: owner,
            direction,
            protocol: String(record.inputs.protocol ?? "-1"),
            fromPort: port(record.inputs.fromPort, 0),
            toPort: port(record.inputs.toPort, 65535),
            peerGroups: record.inputs.self === true ? [...peers, owner] : peers,
            cidrs: asStringArray(record.inputs.cidrBlocks),
        });
    }
    for (const owner of index.ofType(TYPES.securityGroup)) {
        for (const direction of ["ingress", "egress"] as const) {
            for (const inline of asArray(owner.inputs[direction])) {
                const r = (inline ?? {}) as Record<string, unknown>;
                const peers = groupsOf(r.securityGroups);
                rules.push({
                    record: owner,
                    group: owner,
                    direction,
                    protocol: String(r.protocol ?? "-1"),
                    fromPort: port(r.fromPort, 0),
                    toPort: port(r.toPort, 65535),
                    peerGroups: r.self === true ? [...peers, owner] : peers,
                    cidrs: asStringArray(r.cidrBlocks),
                });
            }
        }
    }
    return rules;
}
