// How an Application Load Balancer picks the action for a request, as the Elastic Load Balancing
// guide documents it: rules in ascending priority, the first whose conditions all match wins, else
// the listener's default action. Within a condition any value may match; http-header names and
// values compare case-insensitively, values with the wildcards * (0 or more characters) and ? (one),
// and every occurrence of a repeated header is tried; source-ip matches the client's address
// against CIDRs. Only the condition types this program uses are modelled; any other fails loudly.
export interface AlbRequest {
    readonly sourceIp: string;
    /** Header lines as sent, repeats allowed. */
    readonly headers: readonly (readonly [string, string])[];
}

export interface AlbRule {
    readonly priority: number;
    readonly conditions: readonly object[];
    readonly actions: readonly object[];
}

/** The action the ALB takes for `request`. */
export function albAction(defaultActions: readonly object[], rules: readonly AlbRule[], request: AlbRequest): object {
    const ordered = [...rules].sort((a, b) => a.priority - b.priority);
    const priorities = new Set(ordered.map((r) => r.priority));
    if (priorities.size !== ordered.length) {
        throw new Error("two rules of one listener share a priority; the ALB refuses that");
    }
    const match = ordered.find((rule) => rule.conditions.every((c) => conditionMatches(c as Record<string, unknown>, request)));
    return (match ? match.actions : defaultActions)[0];
}

function conditionMatches(condition: Record<string, unknown>, request: AlbRequest): boolean {
    const kinds = Object.keys(condition).filter((k) => condition[k] !== undefined);
    if (kinds.length !== 1) {
        throw new Error(`a rule condition holds exactly one type, got ${kinds.join(", ") || "none"}`);
    }
    const kind = kinds[0];
    if (kind === "httpHeader") {
        const { httpHeaderName, values } = condition.httpHeader as { httpHeaderName: string; values: string[] };
        const sent = request.headers.filter(([name]) => name.toLowerCase() === httpHeaderName.toLowerCase()).map(([, value]) => value);
        return sent.some((value) => values.some((pattern) => wildcard(pattern).test(value)));
    }
    if (kind === "sourceIp") {
        return (condition.sourceIp as { values: string[] }).values.some((cidr) => inCidr(request.sourceIp, cidr));
    }
    throw new Error(`condition type ${kind} is not modelled`);
}

function wildcard(pattern: string): RegExp {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${body}$`, "i");
}

function ipv4(address: string): number {
    const octets = address.split(".").map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
        throw new Error(`${address} is not an IPv4 address`);
    }
    return octets.reduce((acc, o) => acc * 256 + o, 0);
}

function inCidr(address: string, cidr: string): boolean {
    const [network, prefix] = cidr.split("/");
    const size = 2 ** (32 - Number(prefix));
    return Math.floor(ipv4(address) / size) === Math.floor(ipv4(network) / size);
}
