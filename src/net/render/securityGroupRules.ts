// Who may talk to whom, as data (docs/platform-facts.md#network). The SecurityGroups component turns each row
// into one ingress or egress rule; tests read the table directly.
import { PORTS } from "../../shared/ports";


/** The security groups of a stack. */
export const GROUPS = ["servers", "meshTasks", "gateway", "controller", "alb", "consulApiLb", "rolloutEngine"] as const;
export type GroupKey = (typeof GROUPS)[number];

export type Peer =
    | { readonly group: GroupKey }
    /** A literal CIDR (the ALB's ingress, HTTPS to AWS APIs and image registries). */
    | { readonly cidr: string }
    /** The VPC's own CIDR, known only at deploy time for an adopted VPC. */
    | { readonly vpcCidr: true };

export interface SecurityGroupRule {
    readonly group: GroupKey;
    readonly direction: "ingress" | "egress";
    readonly protocol: "tcp" | "udp";
    readonly port: number;
    readonly peer: Peer;
    readonly description: string;
}

export interface RuleOptions {
    /** CIDRs allowed to reach the public ALB. */
    readonly ingressCidrs: readonly string[];
    /** True when the ALB terminates HTTPS (then port 80 only redirects). */
    readonly https: boolean;
}

/**
 * Every rule of the stack, least privilege: servers are reached only on 8501/8503 from the mesh's
 * own groups and on 8501 from the internal API load balancer (which servers may reach on 8501, for
 * the operators' SSM tunnel); Envoy's 20000 only from mesh tasks
 * and the gateway; the gateway's 8443 only from the ALB; the ALB from the configured CIDRs. HTTPS
 * out (image registries, Secrets Manager, STS, IAM, CloudWatch, S3) is the only egress to the
 * internet, through NAT.
 */
export function securityGroupRules(options: RuleOptions): SecurityGroupRule[] {
    const rules: SecurityGroupRule[] = [];
    const allow = (from: GroupKey, to: GroupKey, protocol: "tcp" | "udp", port: number, description: string) => {
        rules.push({ group: to, direction: "ingress", protocol, port, peer: { group: from }, description });
        rules.push({ group: from, direction: "egress", protocol, port, peer: { group: to }, description });
    };

    for (const client of ["meshTasks", "gateway", "controller"] as const) {
        allow(client, "servers", "tcp", PORTS.consulHttps, `${client} to Consul HTTPS API`);
        allow(client, "servers", "tcp", PORTS.consulGrpcTls, `${client} to Consul gRPC TLS`);
    }
    allow("servers", "servers", "tcp", PORTS.serverRpc, "server RPC");
    allow("servers", "servers", "tcp", PORTS.serfLan, "server LAN gossip");
    allow("servers", "servers", "udp", PORTS.serfLan, "server LAN gossip");
    allow("servers", "servers", "tcp", PORTS.serfWan, "server WAN gossip");
    allow("servers", "servers", "udp", PORTS.serfWan, "server WAN gossip");
    allow("meshTasks", "meshTasks", "tcp", PORTS.envoyPublic, "Envoy to Envoy (mTLS)");
    allow("gateway", "meshTasks", "tcp", PORTS.envoyPublic, "API gateway to service Envoys (mTLS)");
    allow("alb", "gateway", "tcp", PORTS.gatewayListener, "public ALB to API gateway listener");
    allow("consulApiLb", "servers", "tcp", PORTS.consulHttps, "internal API load balancer to Consul HTTPS API");
    // An operator's SSM port-forwarding session runs on an ha server and connects from it to the load balancer.
    allow("servers", "consulApiLb", "tcp", PORTS.consulHttps, "SSM tunnel through a server to the internal API load balancer");
    // The rollout engine's Lambda reads and writes rollout state and splitters through the load balancer.
    allow("rolloutEngine", "consulApiLb", "tcp", PORTS.consulHttps, "rollout engine to the internal API load balancer");

    rules.push({
        group: "consulApiLb",
        direction: "ingress",
        protocol: "tcp",
        port: PORTS.consulHttps,
        peer: { vpcCidr: true },
        description: "operators and the Pulumi run, from inside the VPC only",
    });
    const listenerPorts = options.https ? [PORTS.https, PORTS.http] : [PORTS.http];
    for (const cidr of options.ingressCidrs) {
        for (const port of listenerPorts) {
            rules.push({
                group: "alb",
                direction: "ingress",
                protocol: "tcp",
                port,
                peer: { cidr },
                description: port === PORTS.http && options.https ? "HTTP, redirected to HTTPS" : "public listener",
            });
        }
    }
    for (const group of ["servers", "meshTasks", "gateway", "controller", "rolloutEngine"] as const) {
        rules.push({
            group,
            direction: "egress",
            protocol: "tcp",
            port: PORTS.https,
            peer: { cidr: "0.0.0.0/0" },
            description: "HTTPS to AWS APIs and image registries (through NAT)",
        });
    }
    return rules;
}

/** A short, stable, unique name for a rule, used as the Pulumi resource name suffix. */
export function ruleName(rule: SecurityGroupRule): string {
    const peer = "group" in rule.peer ? rule.peer.group : "cidr" in rule.peer ? cidrLabel(rule.peer.cidr) : "vpc";
    return `${rule.group}-${rule.direction === "ingress" ? "in" : "out"}-${rule.protocol}${rule.port}-${peer}`;
}

function cidrLabel(cidr: string): string {
    return cidr === "0.0.0.0/0" ? "anywhere" : cidr.replace(/[./]/g, "-");
}
