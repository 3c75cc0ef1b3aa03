// bluegreen:consul.servers.instanceType: an EC2 instance type that exists, and the processor
// architecture its Amazon Linux image must be built for. The types are @pulumi/aws's own InstanceType
// enum (it moves with the provider the program pins). The architecture is never read off the name:
// "g5" is x86_64 with NVIDIA GPUs, "a1" is arm64 without a "g".
import { InstanceType } from "@pulumi/aws/types/enums/ec2";

export type Architecture = "arm64" | "x86_64";

/** Every instance type the AWS provider knows. */
export const INSTANCE_TYPES: ReadonlySet<string> = new Set(Object.values(InstanceType));

/**
 * The arm64 families. Sources: AWS's Graviton technical guide (github.com/aws/aws-graviton-getting-started:
 * A1 on the first Graviton; M6g/M6gd, C6g/C6gd/C6gn, R6g/R6gd, T4g, X2gd, G5g, I4g/Im4gn/Is4gen on
 * Graviton2; C7g/C7gd/C7gn, M7g/M7gd, R7g/R7gd, HPC7g on Graviton3/3E) and the EC2 instance type pages
 * for Graviton4 (C8g/C8gd/C8gn/C8gb, M8g/M8gd/M8gn/M8gb, R8g/R8gd/R8gn/R8gb, X8g, I8g/I8ge) and
 * Graviton5 (C9g/C9gd, M9g/M9gd). Every other family the provider lists runs Intel or AMD x86_64,
 * except the ones below that cannot host a Consul server at all.
 */
export const ARM64_FAMILIES: ReadonlySet<string> = new Set([
    "a1",
    "t4g",
    "m6g", "m6gd", "c6g", "c6gd", "c6gn", "r6g", "r6gd", "x2gd", "g5g", "i4g", "im4gn", "is4gen",
    "c7g", "c7gd", "c7gn", "m7g", "m7gd", "r7g", "r7gd", "hpc7g",
    "c8g", "c8gd", "c8gn", "c8gb", "m8g", "m8gd", "m8gn", "m8gb", "r8g", "r8gd", "r8gn", "r8gb", "x8g", "i8g", "i8ge",
    "c9g", "c9gd", "m9g", "m9gd",
]);

/**
 * Families a server cannot run on: Mac instances launch only on Dedicated Hosts with macOS images, and
 * P6e-GB200 only as UltraServers from capacity blocks; neither takes the program's launch template.
 */
const UNSUITABLE_FAMILIES: ReadonlyMap<string, string> = new Map([
    ["mac", "Mac instances run only on Dedicated Hosts with macOS images"],
    ["p6e-gb200", "P6e-GB200 instances run only as UltraServers reserved through capacity blocks"],
]);

export function familyOf(instanceType: string): string {
    return instanceType.split(".")[0] ?? "";
}

/** The architecture of a known instance type's processors. */
export function architectureOf(instanceType: string): Architecture {
    return ARM64_FAMILIES.has(familyOf(instanceType)) ? "arm64" : "x86_64";
}

/** Why a Consul server cannot run on this instance type, or undefined. */
export function unsuitableReason(instanceType: string): string | undefined {
    const family = familyOf(instanceType);
    for (const [prefix, reason] of UNSUITABLE_FAMILIES) {
        if (family === prefix || family.startsWith(`${prefix}-`) || (prefix === "mac" && /^mac\d/.test(family))) {
            return reason;
        }
    }
    return undefined;
}
