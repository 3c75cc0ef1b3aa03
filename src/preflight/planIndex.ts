// Reads the records of an offline plan (`npm run plan -- --json`, or planStack's result) the way the
// platform would see the resources: by type, and with every reference between them (an id, an ARN,
// a name) resolved to the record it points at. References are matched against what the offline
// runtime's mocks compute for each record, so a saved plan resolves exactly as it was planned.
import { computedOutputs, MOCK_ACCOUNT, mockId, mockPartition } from "../offline/mockOutputs";
import type { PlanRecord } from "../offline/planRecords";

export type { PlanRecord };

/** A data source the program read and its answer (src/offline/planRecords.ts). */
interface PlanRead {
    readonly token: string;
    readonly inputs: Record<string, unknown>;
    readonly outputs: Record<string, unknown>;
}

export interface PlanRecords {
    readonly stack: string;
    readonly resources: readonly PlanRecord[];
    /** Data sources read while planning; a bring-your-own VPC's CIDR is one. Default none. */
    readonly reads?: readonly PlanRead[];
}

/** The resource types the preflight reads. */
export const TYPES = {
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    policy: "aws:iam/policy:Policy",
    instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
    kmsKey: "aws:kms/key:Key",
    kmsAlias: "aws:kms/alias:Alias",
    secret: "aws:secretsmanager/secret:Secret",
    secretPolicy: "aws:secretsmanager/secretPolicy:SecretPolicy",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    vpc: "awsx:ec2:Vpc",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    listenerRule: "aws:lb/listenerRule:ListenerRule",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    autoScalingGroup: "aws:autoscaling/group:Group",
    ecsCluster: "aws:ecs/cluster:Cluster",
    ecsService: "aws:ecs/service:Service",
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    dnsNamespace: "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
    discoveryService: "aws:servicediscovery/service:Service",
    consulProvider: "pulumi:providers:consul",
    aclPolicy: "consul:index/aclPolicy:AclPolicy",
    aclToken: "consul:index/aclToken:AclToken",
    configEntry: "consul:index/configEntry:ConfigEntry",
    intentions: "consul:index/configEntryServiceIntentions:ConfigEntryServiceIntentions",
    splitter: "consul:index/configEntryServiceSplitter:ConfigEntryServiceSplitter",
    router: "consul:index/configEntryServiceRouter:ConfigEntryServiceRouter",
} as const;

/** The AWS provider's data source for an existing VPC. */
const VPC_READ = "aws:ec2/getVpc:getVpc";

/** Any partition's ARN (`aws`, `aws-cn`, `aws-us-gov`, ...) with a region and an account. */
const ARN_REGION_ACCOUNT = /arn:(aws[a-z-]*):[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):/g;

export class PlanIndex {
    /** The AWS partition of the plan's ARNs (`aws`, `aws-cn`, ...). */
    readonly partition: string;
    readonly region: string;
    readonly account: string;
    private readonly byType = new Map<string, PlanRecord[]>();
    private readonly identifiers = new Map<string, Map<string, PlanRecord>>();
    private readonly outputCache = new Map<PlanRecord, Record<string, unknown>>();

    constructor(readonly plan: PlanRecords) {
        const { partition, region, account } = inferRegionAndAccount(plan.resources);
        this.partition = partition;
        this.region = region;
        this.account = account;
        for (const record of plan.resources) {
            const list = this.byType.get(record.type) ?? [];
            list.push(record);
            this.byType.set(record.type, list);
            const ids = this.identifiers.get(record.type) ?? new Map<string, PlanRecord>();
            for (const id of [mockId(record.name), ...Object.values(this.outputs(record)).filter((v): v is string => typeof v === "string")]) {
                if (!ids.has(id)) {
                    ids.set(id, record);
                }
            }
            this.identifiers.set(record.type, ids);
        }
    }

    ofType(type: string): readonly PlanRecord[] {
        return this.byType.get(type) ?? [];
    }

    /** The record of `type` that `ref` (an id, ARN or name as the program passed it) points at. */
    resolve(type: string, ref: unknown): PlanRecord | undefined {
        return typeof ref === "string" ? this.identifiers.get(type)?.get(ref) : undefined;
    }

    /** What the platform computes for a record (ARN, name, DNS name, ...), as the plan saw it. */
    outputs(record: PlanRecord): Record<string, unknown> {
        let out = this.outputCache.get(record);
        if (!out) {
            out = computedOutputs(record.type, record.name, record.inputs, this.region);
            this.outputCache.set(record, out);
        }
        return out;
    }

    arn(record: PlanRecord): string {
        return String(this.outputs(record).arn ?? mockId(record.name));
    }

    physicalName(record: PlanRecord): string {
        return String(this.outputs(record).name ?? record.name);
    }

    parentOf(record: PlanRecord): PlanRecord | undefined {
        return record.parent ? this.plan.resources.find((r) => r.urn === record.parent) : undefined;
    }

    /** The records registered with `parent` as their parent, of `type` when given. */
    childrenOf(parent: PlanRecord, type?: string): readonly PlanRecord[] {
        return this.plan.resources.filter((r) => r.parent !== undefined && r.parent === parent.urn && (type === undefined || r.type === type));
    }

    /**
     * The CIDR of the VPC the plan's private resources live in: the one the plan creates, or the one
     * it was given (the VPC its security groups are in, as the program's read of it answered).
     */
    vpcCidr(): string | undefined {
        const vpc = this.ofType(TYPES.vpc)[0];
        if (vpc) {
            return typeof vpc.inputs.cidrBlock === "string" ? vpc.inputs.cidrBlock : undefined;
        }
        const vpcIds = new Set(this.ofType(TYPES.securityGroup).map((g) => g.inputs.vpcId).filter((id): id is string => typeof id === "string"));
        const read = (this.plan.reads ?? []).find((r) => r.token === VPC_READ && vpcIds.has(String(r.inputs.id ?? r.outputs.id)));
        return typeof read?.outputs.cidrBlock === "string" ? read.outputs.cidrBlock : undefined;
    }
}

function inferRegionAndAccount(resources: readonly PlanRecord[]): { partition: string; region: string; account: string } {
    const partitions = new Map<string, number>();
    const regions = new Map<string, number>();
    const accounts = new Map<string, number>();
    const visit = (value: unknown): void => {
        if (typeof value === "string") {
            for (const m of value.matchAll(ARN_REGION_ACCOUNT)) {
                partitions.set(m[1], (partitions.get(m[1]) ?? 0) + 1);
                regions.set(m[2], (regions.get(m[2]) ?? 0) + 1);
                accounts.set(m[3], (accounts.get(m[3]) ?? 0) + 1);
            }
        } else if (Array.isArray(value)) {
            value.forEach(visit);
        } else if (value !== null && typeof value === "object") {
            Object.values(value).forEach(visit);
        }
    };
    resources.forEach((r) => visit(r.inputs));
    const top = (counts: Map<string, number>) => [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
    const region = top(regions) ?? "eu-west-1";
    return { partition: top(partitions) ?? mockPartition(region), region, account: top(accounts) ?? MOCK_ACCOUNT };
}

/** A JSON document an input carries as text (policies, container definitions, config entries). */
export function parseJsonInput<T = unknown>(value: unknown): T | undefined {
    if (typeof value !== "string") {
        return value === undefined || value === null ? undefined : (value as T);
    }
    try {
        return JSON.parse(value) as T;
    } catch {
        return undefined;
    }
}

export function asArray(value: unknown): unknown[] {
    return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

export function asStringArray(value: unknown): string[] {
    return asArray(value).filter((v): v is string => typeof v === "string");
}
