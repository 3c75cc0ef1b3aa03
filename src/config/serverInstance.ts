// bluegreen:consul.servers.instanceType, checked against the AWS provider's instance type list.
import { INSTANCE_TYPES, unsuitableReason } from "./instanceTypes";
import type { Report } from "./types";
import { didYouMean } from "./suggest";

export function checkInstanceType(path: string, instanceType: string, at: Report): void {
    if (!INSTANCE_TYPES.has(instanceType)) {
        const hint = didYouMean(instanceType, [...INSTANCE_TYPES]);
        at(path, `${JSON.stringify(instanceType)} is not an EC2 instance type; ${hint}use one of the ${INSTANCE_TYPES.size} the AWS provider knows, such as t4g.small (arm64) or t3.small (x86_64)`);
        return;
    }
    const unsuitable = unsuitableReason(instanceType);
    if (unsuitable) {
        at(path, `${JSON.stringify(instanceType)} cannot host a Consul server: ${unsuitable}; use a general purpose type such as t4g.small or m7g.large`);
    }
}
