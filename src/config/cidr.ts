// IPv4 CIDR arithmetic for the network and ingress checks.

/** Returns what is wrong with an IPv4 CIDR, or undefined when it is a valid network address. */
export function checkCidr(cidr: string): string | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!match) {
        return "is not an IPv4 CIDR (a.b.c.d/n)";
    }
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((o) => o > 255) || prefix > 32) {
        return "is out of range (octets 0-255, prefix 0-32)";
    }
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const hostBits = 2 ** (32 - prefix);
    if (address % hostBits !== 0) {
        return `has host bits set; the network address for /${prefix} is ${formatIpv4(address - (address % hostBits))}/${prefix}`;
    }
    return undefined;
}

function formatIpv4(address: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}
