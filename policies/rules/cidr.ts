// Just enough CIDR arithmetic for the network rules: IPv4 containment and "anywhere".

interface Ipv4Block {
    readonly base: number;
    readonly prefix: number;
}

function parseIpv4(cidr: string): Ipv4Block | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
    if (!match) {
        return undefined;
    }
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((o) => o > 255) || prefix > 32) {
        return undefined;
    }
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    return { base: address - (address % size), prefix };
}

function isIpv6(cidr: string): boolean {
    return cidr.includes(":");
}

/** 0.0.0.0/0, ::/0 or any other /0: the whole internet. */
export function isAnywhere(cidr: string): boolean {
    return /\/0$/.test(cidr.trim());
}

/** True when every address of `inner` is in `outer` (IPv4; IPv6 only when written identically). */
export function cidrWithin(inner: string, outer: string): boolean {
    if (isIpv6(inner) || isIpv6(outer)) {
        return inner.trim().toLowerCase() === outer.trim().toLowerCase();
    }
    const a = parseIpv4(inner);
    const b = parseIpv4(outer);
    if (!a || !b || a.prefix < b.prefix) {
        return false;
    }
    const size = 2 ** (32 - b.prefix);
    return a.base - (a.base % size) === b.base;
}

/** RFC 1918 private ranges: the fallback for "inside the VPC" when the stack does not own its VPC. */
export const PRIVATE_IPV4_RANGES: readonly string[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
