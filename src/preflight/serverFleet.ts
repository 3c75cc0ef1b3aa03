// Finds the Consul servers in a plan and what they boot with: ha servers are an Auto Scaling group
// whose launch template's user data writes the agent configuration; a dev server is an ECS service
// whose container receives it in an environment variable. Both write the secret part of the
// configuration (gossip key, tokens) with printf from values read at boot; those templates count
// as configuration too (with placeholders for the secret values).
import { asArray, asStringArray, parseJsonInput, PlanIndex, PlanRecord, TYPES } from "./planIndex";
import { ContainerDefinition, containersOf } from "./tasks";

export interface ServerFleet {
    readonly mode: "ha" | "dev";
    /** The Auto Scaling group (ha) or ECS service (dev) that runs the servers. */
    readonly record: PlanRecord;
    /** What carries the agent configuration: the launch template (ha) or task definition (dev). */
    readonly bootRecord: PlanRecord;
    readonly count: number;
    readonly groups: readonly PlanRecord[];
    /** The role the server's own AWS calls use (cloud auto-join, reading secrets at boot). */
    readonly role?: PlanRecord;
    /** The role that fetches the secrets at boot: the instance role (ha), the execution role (dev). */
    readonly secretReader?: PlanRecord;
    readonly secretArns: readonly string[];
    /** The agent configuration, merged from every JSON document the boot writes. */
    readonly agentConfig: Record<string, unknown>;
    readonly bootScript: string;
    /** Tags every server instance carries (ha), for cloud auto-join. */
    readonly instanceTags: Readonly<Record<string, string>>;
    /** The private DNS name the servers register under (dev, Cloud Map). */
    readonly dnsName?: string;
}

const SECRET_ARN = /arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+/g;
const HEREDOC = /<<'?(\w+)'?\n([\s\S]*?)\n\1\n/g;
const PRINTF_JSON = /printf '(\{[^']*\})\\n'/g;

export function findServerFleet(index: PlanIndex): ServerFleet | undefined {
    return haFleet(index) ?? devFleet(index);
}

function haFleet(index: PlanIndex): ServerFleet | undefined {
    for (const group of index.ofType(TYPES.autoScalingGroup)) {
        const template = index.resolve(TYPES.launchTemplate, (group.inputs.launchTemplate as { id?: unknown } | undefined)?.id);
        if (!template || typeof template.inputs.userData !== "string") {
            continue;
        }
        const script = Buffer.from(template.inputs.userData, "base64").toString("utf8");
        const agentConfig = mergeConfigs(script, [...script.matchAll(HEREDOC)].map((m) => m[2]));
        if (agentConfig.server !== true) {
            continue;
        }
        const profileRef = (template.inputs.iamInstanceProfile as { arn?: unknown; name?: unknown } | undefined) ?? {};
        const profile = index.resolve(TYPES.instanceProfile, profileRef.arn) ?? index.resolve(TYPES.instanceProfile, profileRef.name);
        const role = profile ? index.resolve(TYPES.role, profile.inputs.role) : undefined;
        const interfaces = asArray(template.inputs.networkInterfaces).map((n) => (n ?? {}) as Record<string, unknown>);
        const groupRefs = [...asStringArray(template.inputs.vpcSecurityGroupIds), ...interfaces.flatMap((n) => asStringArray(n.securityGroups))];
        const instanceTags: Record<string, string> = {};
        for (const spec of asArray(template.inputs.tagSpecifications)) {
            const s = (spec ?? {}) as { resourceType?: unknown; tags?: Record<string, string> };
            if (s.resourceType === "instance") {
                Object.assign(instanceTags, s.tags);
            }
        }
        for (const tag of asArray(group.inputs.tags)) {
            const t = (tag ?? {}) as { key?: unknown; value?: unknown; propagateAtLaunch?: unknown };
            if (t.propagateAtLaunch === true && typeof t.key === "string") {
                instanceTags[t.key] = String(t.value);
            }
        }
        return {
            mode: "ha",
            record: group,
            bootRecord: template,
            count: Number(group.inputs.desiredCapacity ?? group.inputs.minSize ?? 0),
            groups: groupRefs.map((ref) => index.resolve(TYPES.securityGroup, ref)).filter((g): g is PlanRecord => g !== undefined),
            role,
            secretReader: role,
            secretArns: [...new Set(script.match(SECRET_ARN) ?? [])],
            agentConfig,
            bootScript: script,
            instanceTags,
        };
    }
    return undefined;
}

function devFleet(index: PlanIndex): ServerFleet | undefined {
    for (const service of index.ofType(TYPES.ecsService)) {
        const taskDefinition = index.resolve(TYPES.taskDefinition, service.inputs.taskDefinition);
        const server = taskDefinition ? containersOf(taskDefinition).find(isConsulServerContainer) : undefined;
        if (!taskDefinition || !server) {
            continue;
        }
        const script = [...asStringArray(server.entryPoint), ...asStringArray(server.command)].join("\n");
        const agentConfig = mergeConfigs(script, (server.environment ?? []).map((e) => e.value ?? ""));
        const registry = index.resolve(TYPES.discoveryService, (asArray(service.inputs.serviceRegistries)[0] as { registryArn?: unknown } | undefined)?.registryArn);
        const dnsConfig = (registry?.inputs.dnsConfig ?? {}) as { namespaceId?: unknown };
        const namespace = index.resolve(TYPES.dnsNamespace, dnsConfig.namespaceId);
        const network = (service.inputs.networkConfiguration ?? {}) as { securityGroups?: unknown };
        return {
            mode: "dev",
            record: service,
            bootRecord: taskDefinition,
            count: Number(service.inputs.desiredCount ?? 0),
            groups: asStringArray(network.securityGroups)
                .map((ref) => index.resolve(TYPES.securityGroup, ref))
                .filter((g): g is PlanRecord => g !== undefined),
            role: index.resolve(TYPES.role, taskDefinition.inputs.taskRoleArn),
            secretReader: index.resolve(TYPES.role, taskDefinition.inputs.executionRoleArn),
            secretArns: (server.secrets ?? []).map((s) => s.valueFrom),
            agentConfig,
            bootScript: script,
            instanceTags: {},
            dnsName: registry && namespace ? `${index.physicalName(registry)}.${index.physicalName(namespace)}` : undefined,
        };
    }
    return undefined;
}

function isConsulServerContainer(container: ContainerDefinition): boolean {
    return (container.environment ?? []).some((e) => (parseJsonInput<Record<string, unknown>>(e.value)?.server ?? false) === true);
}

/** Every JSON object the boot writes (documents, and printf templates with `%s` for secret values), merged. */
function mergeConfigs(script: string, documents: readonly string[]): Record<string, unknown> {
    const templates = [...script.matchAll(PRINTF_JSON)].map((m) => m[1].replace(/%s/g, "<secret read at boot>"));
    const merged: Record<string, unknown> = {};
    for (const text of [...documents, ...templates]) {
        const doc = parseJsonInput<unknown>(text.trim());
        if (doc !== null && typeof doc === "object" && !Array.isArray(doc)) {
            deepMerge(merged, doc as Record<string, unknown>);
        }
    }
    return merged;
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(source)) {
        const existing = target[key];
        if (isPlainObject(existing) && isPlainObject(value)) {
            deepMerge(existing, value);
        } else {
            target[key] = isPlainObject(value) ? { ...value } : value;
        }
    }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}
