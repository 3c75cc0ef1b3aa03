// Plain decisions about the ha servers' EC2 fleet: which Amazon Linux 2023 image, how fast a rolling
// replacement may go without losing quorum, and the tag the servers find each other by.
import { quorumSize } from "./agentConfig";
import { architectureOf } from "../../config/instanceTypes";

/** The tag key every ha server carries; retry_join and consul-ecs's `discover` look it up. */
export const AUTO_JOIN_TAG_KEY = "bluegreen-consul-server";

/** The device name of the servers' data volume in the launch template. */
export const DATA_DEVICE = "/dev/sdf";

/** Seconds a new server gets to boot, install Consul and join before the next one is replaced. */
export const SERVER_WARMUP_SECONDS = 300;

/**
 * The public SSM parameter holding the latest Amazon Linux 2023 AMI for the instance type's
 * architecture (src/config/instanceTypes.ts: from the documented Graviton families, not the name).
 */
export function amazonLinuxAmiParameter(instanceType: string): string {
    return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architectureOf(instanceType)}`;
}

/**
 * Instance refresh's minimum healthy percentage that replaces exactly one server at a time. AWS keeps
 * ceil(count * pct / 100) instances healthy, so floor(100 * (count - 1) / count) leaves count - 1 in
 * service, which is at least the quorum for every odd count of 3 or more.
 */
export function rollingMinHealthyPercentage(serverCount: number): number {
    const pct = Math.floor((100 * (serverCount - 1)) / serverCount);
    const kept = Math.ceil((serverCount * pct) / 100);
    if (kept !== serverCount - 1 || kept < quorumSize(serverCount)) {
        throw new Error(`cannot replace one of ${serverCount} servers at a time without losing quorum (${quorumSize(serverCount)})`);
    }
    return pct;
}
