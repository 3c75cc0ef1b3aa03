// bluegreen:consul and bluegreen:gateway: server mode and count, images, and the public edge.
import { checkCidr } from "./cidr";
import { DEFAULT_CONSUL_ECS_IMAGE, DEFAULT_CONSUL_IMAGE_REPOSITORY, DEFAULT_CONSUL_VERSION, DEFAULT_DATAPLANE_IMAGE } from "./defaults";
import { checkFargateSize } from "./fargate";
import { checkedImage } from "./imageReference";
import type { Report } from "./types";
import { RawConsul, RawGateway } from "./raw";
import { isProductionStack, PRODUCTION_WORDS } from "../shared/stacks";
import { ConsulConfig, GatewayConfig, NetworkConfig } from "./types";

export function normaliseConsul(raw: RawConsul, stack: string, network: NetworkConfig, at: Report): ConsulConfig {
    const path = "bluegreen:consul";
    const mode = raw.servers?.mode ?? "ha";
    const count = raw.servers?.count ?? (mode === "ha" ? 3 : 1);
    if (mode === "ha" && (count < 3 || count % 2 === 0)) {
        at(`${path}.servers.count`, `${count} servers in ha mode; use an odd count of at least 3 (3 survives one loss, 5 survives two)`);
    }
    if (mode === "dev" && count !== 1) {
        at(`${path}.servers.count`, `${count} servers in dev mode; dev runs exactly 1 server (use mode: ha for more)`);
    }
    if (mode === "dev" && isProductionStack(stack)) {
        at(`${path}.servers.mode`, `"dev" in stack "${stack}", whose name says production (${PRODUCTION_WORDS.join(", ")}); a production stack needs mode: ha (dev servers lose their data on restart)`);
    }
    if (mode === "ha") {
        checkServerZones(network, at);
    }
    const snapshotSchedule = raw.servers?.snapshotSchedule ?? "hourly";
    // The schedule is written into a systemd timer unit: anything but OnCalendar's own characters
    // (a newline above all) would add directives of its own.
    if (!/^[A-Za-z0-9 *:,./~-]+$/.test(snapshotSchedule)) {
        at(`${path}.servers.snapshotSchedule`, `${JSON.stringify(snapshotSchedule)} is not a systemd OnCalendar expression; use for example "hourly", "daily" or "*-*-* 00/6:00:00" (letters, digits, spaces and * : , . / ~ - only)`);
    }
    const version = raw.version ?? DEFAULT_CONSUL_VERSION;
    return {
        datacenter: raw.datacenter ?? "dc1",
        version,
        servers: {
            mode,
            count,
            instanceType: raw.servers?.instanceType ?? "t4g.small",
            dataVolumeSize: raw.servers?.dataVolumeSize ?? 20,
            snapshotSchedule,
            snapshotRetentionDays: raw.servers?.snapshotRetentionDays ?? 30,
        },
        ecsImage: checkedImage(`${path}.ecsImage`, raw.ecsImage ?? DEFAULT_CONSUL_ECS_IMAGE, at),
        dataplaneImage: checkedImage(`${path}.dataplaneImage`, raw.dataplaneImage ?? DEFAULT_DATAPLANE_IMAGE, at),
        devServerImage: checkedImage(`${path}.devServerImage`, raw.devServerImage ?? `${DEFAULT_CONSUL_IMAGE_REPOSITORY}:${version}`, at),
        apiAddress: raw.apiAddress,
    };
}

/** ha keeps quorum through the loss of a zone only with one server in each of at least 3 zones. */
function checkServerZones(network: NetworkConfig, at: Report): void {
    if (network.kind === "create" && network.azCount < 3) {
        at("bluegreen:network.azCount", `${network.azCount} availability zones; ha servers need private subnets in at least 3 availability zones, got ${network.azCount}: set bluegreen:network.azCount to 3 or more (or use consul.servers.mode: dev)`);
    }
    if (network.kind === "existing" && network.privateSubnetIds.length > 0 && network.privateSubnetIds.length < 3) {
        at("bluegreen:network.privateSubnetIds", `${network.privateSubnetIds.length} subnets; ha servers need private subnets in at least 3 availability zones, got ${network.privateSubnetIds.length}: list 3 private subnets in different zones (or use consul.servers.mode: dev)`);
    }
}

export function normaliseGateway(raw: RawGateway, serverMode: "dev" | "ha", at: Report): GatewayConfig {
    const path = "bluegreen:gateway";
    const ingressCidrs = raw.ingressCidrs ?? ["0.0.0.0/0"];
    ingressCidrs.forEach((cidr, i) => {
        const problem = checkCidr(cidr);
        if (problem) {
            at(`${path}.ingressCidrs[${i}]`, `${JSON.stringify(cidr)} ${problem}`);
        }
    });
    const previewCidrs = raw.previewCidrs ?? [];
    checkPreviewCidrs(previewCidrs, at);
    const count = raw.count ?? (serverMode === "dev" ? 1 : 2);
    if (serverMode === "ha" && count < 2) {
        at(`${path}.count`, `${count} gateway task in a stack with ha servers; one task is a single point of failure for all internet traffic: use 2 or more`);
    }
    const cpu = raw.cpu ?? 256;
    const memory = raw.memory ?? 512;
    checkFargateSize(`${path}`, cpu, memory, at);
    return {
        ingressCidrs,
        previewCidrs,
        certificateArn: raw.certificateArn,
        count,
        cpu,
        memory,
    };
}

/**
 * Ten ALB listener rules of three source CIDRs each (the ALB allows 3 values per condition and 5 per
 * rule; the colour header takes one).
 */
export const MAX_PREVIEW_CIDRS = 30;
/** Narrower than a /8 is someone's network; wider is a good part of the internet. */
const WIDEST_PREVIEW_PREFIX = 8;

function checkPreviewCidrs(cidrs: readonly string[], at: Report): void {
    const path = "bluegreen:gateway.previewCidrs";
    if (cidrs.length > MAX_PREVIEW_CIDRS) {
        at(path, `${cidrs.length} CIDRs; at most ${MAX_PREVIEW_CIDRS} fit in the ALB's listener rules: list the operators' networks, not single addresses`);
    }
    cidrs.forEach((cidr, i) => {
        const problem = checkCidr(cidr);
        if (problem) {
            at(`${path}[${i}]`, `${JSON.stringify(cidr)} ${problem}`);
        } else if (Number(cidr.split("/")[1]) < WIDEST_PREVIEW_PREFIX) {
            at(`${path}[${i}]`, `${JSON.stringify(cidr)} is wider than a /${WIDEST_PREVIEW_PREFIX}: it would let much of the internet choose a colour; list the operators' own networks`);
        }
    });
}
