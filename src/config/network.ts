// bluegreen:network: create a VPC or bring your own, never both.
import { checkCidr } from "./cidr";
import type { Report } from "./types";
import { RawNetwork } from "./raw";
import { NetworkConfig } from "./types";

export function normaliseNetwork(raw: RawNetwork | undefined, at: Report): NetworkConfig {
    const path = "bluegreen:network";
    const own = raw !== undefined && (raw.vpcId !== undefined || raw.privateSubnetIds !== undefined || raw.publicSubnetIds !== undefined);
    const create = raw !== undefined && (raw.cidr !== undefined || raw.azCount !== undefined || raw.natGateways !== undefined);
    if (own && create) {
        at(path, "sets both forms at once; either create a VPC ({ cidr, azCount, natGateways }) or bring your own ({ vpcId, privateSubnetIds, publicSubnetIds }), not both");
    }
    if (own) {
        for (const key of ["vpcId", "privateSubnetIds", "publicSubnetIds"] as const) {
            if (raw[key] === undefined) {
                at(`${path}.${key}`, "is required when bringing your own VPC");
            }
        }
        if (raw.privateSubnetIds !== undefined && raw.privateSubnetIds.length < 2) {
            at(`${path}.privateSubnetIds`, "needs at least 2 subnets in different availability zones");
        }
        if (raw.publicSubnetIds !== undefined && raw.publicSubnetIds.length < 2) {
            at(`${path}.publicSubnetIds`, "needs at least 2 subnets in different availability zones (the ALB requires two)");
        }
        return { kind: "existing", vpcId: raw.vpcId ?? "", privateSubnetIds: raw.privateSubnetIds ?? [], publicSubnetIds: raw.publicSubnetIds ?? [] };
    }
    const cidr = raw?.cidr ?? "10.40.0.0/16";
    const cidrProblem = checkCidr(cidr);
    if (cidrProblem) {
        at(`${path}.cidr`, `${JSON.stringify(cidr)} ${cidrProblem}`);
    } else {
        const prefix = Number(cidr.split("/")[1]);
        if (prefix < 16 || prefix > 24) {
            at(`${path}.cidr`, `${JSON.stringify(cidr)} has prefix /${prefix}; a VPC takes /16 to /24 (/16 to /20 leaves room for the subnets)`);
        }
    }
    return { kind: "create", cidr, azCount: raw?.azCount ?? 3, natGateways: raw?.natGateways ?? "perAz" };
}
