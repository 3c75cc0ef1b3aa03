// Tasks and servers live in private subnets and reach AWS through NAT or endpoints; a public IP
// would put them on the internet beside their security groups.
import { asArray, asBoolean, asRecord, isOneOf, mandatoryResourceRule, TYPES } from "./resources";

function publicIpProblems(type: string, props: Record<string, unknown>): string[] {
    if (isOneOf(type, TYPES.ecsServices)) {
        return asBoolean(asRecord(props.networkConfiguration).assignPublicIp) === true
            ? ["ECS service assigns public IPs to its tasks (networkConfiguration.assignPublicIp = true); run tasks in private subnets with assignPublicIp = false"]
            : [];
    }
    switch (type) {
        case TYPES.launchTemplate:
            return asArray(props.networkInterfaces).some((ni) => asBoolean(asRecord(ni).associatePublicIpAddress) === true)
                ? ["launch template gives instances a public IP (networkInterfaces[].associatePublicIpAddress = true)"]
                : [];
        case TYPES.instance:
            return asBoolean(props.associatePublicIpAddress) === true ? ["EC2 instance has a public IP (associatePublicIpAddress = true)"] : [];
        default:
            return [];
    }
}

export const noPublicIp = mandatoryResourceRule(
    "no-public-ip",
    "No ECS service assigns public IPs to its tasks, and no launch template or instance has a public IP.",
    publicIpProblems,
);
