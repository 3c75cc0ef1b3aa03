// ECS task definitions of a plan as the platform runs them: their containers, roles, the consul-ecs
// configuration (CONSUL_ECS_CONFIG_JSON) they carry, and the ECS services (with security groups)
// that start them.
import { asStringArray, parseJsonInput, PlanIndex, PlanRecord, TYPES } from "./planIndex";

export interface ContainerDefinition {
    readonly name: string;
    readonly image?: string;
    readonly command?: readonly string[];
    readonly entryPoint?: readonly string[];
    readonly environment?: readonly { readonly name: string; readonly value?: string }[];
    readonly secrets?: readonly { readonly name: string; readonly valueFrom: string }[];
    readonly portMappings?: readonly { readonly containerPort?: number; readonly protocol?: string }[];
}

/** The parts of consul-ecs's configuration the start-up depends on. */
interface ConsulEcsConfig {
    readonly consulServers?: {
        readonly hosts?: string;
        readonly http?: { readonly https?: boolean; readonly port?: number };
        readonly grpc?: { readonly port?: number };
    };
    readonly consulLogin?: { readonly enabled?: boolean; readonly method?: string };
    readonly service?: { readonly name?: string; readonly port?: number };
    readonly gateway?: { readonly kind?: string; readonly name?: string; readonly lanAddress?: { readonly port?: number } };
    readonly proxy?: { readonly upstreams?: readonly { readonly destinationName?: string; readonly localBindPort?: number }[] };
    readonly controller?: { readonly iamRolePath?: string };
}

export interface EcsTask {
    readonly taskDefinition: PlanRecord;
    readonly services: readonly PlanRecord[];
    readonly containers: readonly ContainerDefinition[];
    readonly taskRole?: PlanRecord;
    readonly executionRole?: PlanRecord;
    readonly config?: ConsulEcsConfig;
    /** The security groups of the ECS services that run this task definition. */
    readonly groups: readonly PlanRecord[];
    readonly tags: Readonly<Record<string, string>>;
}

const MESH_TAG = "consul.hashicorp.com/mesh";

export function containersOf(taskDefinition: PlanRecord): ContainerDefinition[] {
    return parseJsonInput<ContainerDefinition[]>(taskDefinition.inputs.containerDefinitions) ?? [];
}

function envValue(container: ContainerDefinition, name: string): string | undefined {
    return container.environment?.find((e) => e.name === name)?.value;
}

export function ecsTasks(index: PlanIndex): EcsTask[] {
    return index.ofType(TYPES.taskDefinition).map((taskDefinition) => {
        const containers = containersOf(taskDefinition);
        const services = index.ofType(TYPES.ecsService).filter((s) => index.resolve(TYPES.taskDefinition, s.inputs.taskDefinition) === taskDefinition);
        const configText = containers.map((c) => envValue(c, "CONSUL_ECS_CONFIG_JSON")).find((v) => v !== undefined);
        const groups = services.flatMap((s) =>
            asStringArray((s.inputs.networkConfiguration as { securityGroups?: unknown } | undefined)?.securityGroups)
                .map((ref) => index.resolve(TYPES.securityGroup, ref))
                .filter((g): g is PlanRecord => g !== undefined),
        );
        return {
            taskDefinition,
            services,
            containers,
            taskRole: index.resolve(TYPES.role, taskDefinition.inputs.taskRoleArn),
            executionRole: index.resolve(TYPES.role, taskDefinition.inputs.executionRoleArn),
            config: parseJsonInput<ConsulEcsConfig>(configText),
            groups: [...new Set(groups)],
            tags: (taskDefinition.inputs.tags ?? {}) as Record<string, string>,
        };
    });
}

/** Tasks that join the mesh (services and gateways): tagged for the controller, with a consul-ecs config. */
export function meshTasks(index: PlanIndex): EcsTask[] {
    return ecsTasks(index).filter((t) => t.tags[MESH_TAG] === "true" && t.config !== undefined && t.config.controller === undefined);
}

/** The consul-ecs controller's task (its configuration has a `controller` section). */
export function controllerTask(index: PlanIndex): EcsTask | undefined {
    return ecsTasks(index).find((t) => t.config?.controller !== undefined);
}

/** The Consul name a mesh task registers: its service's, or its gateway's. */
export function consulName(task: EcsTask): string | undefined {
    return task.config?.service?.name ?? task.config?.gateway?.name;
}

/** The Secrets Manager ARN of an ECS `valueFrom` (which may end in `:json-key:version-stage:version-id`). */
export function secretArnOf(valueFrom: string): string {
    const parts = valueFrom.split(":");
    return parts.length > 7 ? parts.slice(0, 7).join(":") : valueFrom;
}

/** The secrets ECS injects into a task, one entry per secret, with the variables that receive it. */
export function injectedSecrets(task: EcsTask): { label: string; valueFrom: string; names: string[] }[] {
    const byArn = new Map<string, { valueFrom: string; names: string[] }>();
    for (const container of task.containers) {
        for (const secret of container.secrets ?? []) {
            const entry = byArn.get(secretArnOf(secret.valueFrom)) ?? { valueFrom: secret.valueFrom, names: [] };
            if (!entry.names.includes(secret.name)) {
                entry.names.push(secret.name);
            }
            byArn.set(secretArnOf(secret.valueFrom), entry);
        }
    }
    return [...byArn.values()].map((e) => ({ ...e, label: e.names.join(", ") }));
}
