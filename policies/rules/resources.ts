// Reading resources the way the providers shape them: type tokens, loosely typed property readers,
// the stack name from a URN, and links between resources of a stack.
//
// Properties arrive as plain JSON-like values (`Record<string, any>` in @pulumi/policy). During a
// preview, reading a value that is not known yet throws inside the policy framework, which then
// reports that the policy could not run; the readers here never hide that.
import type { PolicyResource, ResourceValidationPolicy } from "@pulumi/policy";

export const TYPES = {
    taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
    /** ECS services, and awsx's service components, whose inputs are the service's (offline plans see only these). */
    ecsServices: ["aws:ecs/service:Service", "awsx:ecs:FargateService", "awsx:ecs:EC2Service"],
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    vpc: "aws:ec2/vpc:Vpc",
    awsxVpc: "awsx:ec2:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    loadBalancers: ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
    listeners: ["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
    targetGroups: ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"],
    autoScalingGroup: "aws:autoscaling/group:Group",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    instance: "aws:ec2/instance:Instance",
    secret: "aws:secretsmanager/secret:Secret",
    serviceDefaults: "consul:index/configEntryServiceDefaults:ConfigEntryServiceDefaults",
    serviceResolver: "consul:index/configEntryServiceResolver:ConfigEntryServiceResolver",
    serviceSplitter: "consul:index/configEntryServiceSplitter:ConfigEntryServiceSplitter",
    serviceRouter: "consul:index/configEntryServiceRouter:ConfigEntryServiceRouter",
    configEntry: "consul:index/configEntry:ConfigEntry",
} as const;

/** `urn:pulumi:<stack>::<project>::<type>::<name>`: the stack part, or "" for anything else. */
function stackOfUrn(urn: string): string {
    const match = /^urn:pulumi:([^:]+)::/.exec(urn);
    return match ? match[1] : "";
}

/** The stack name of a stack validation: every resource's URN carries it. */
export function stackOfResources(resources: readonly PolicyResource[]): string {
    return resources.length > 0 ? stackOfUrn(resources[0].urn) : "";
}

export function asString(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
    if (typeof value === "number") {
        return value;
    }
    if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) {
        return Number(value);
    }
    return undefined;
}

/** Booleans as providers accept them: true/false, or the strings "true"/"false". */
export function asBoolean(value: unknown): boolean | undefined {
    if (typeof value === "boolean") {
        return value;
    }
    if (value === "true" || value === "false") {
        return value === "true";
    }
    return undefined;
}

export function asArray(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

export function asRecord(value: unknown): Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A JSON document given as a string (as most AWS inputs are) or already as an object. */
export function parseJsonInput(value: unknown): unknown {
    if (typeof value !== "string") {
        return value;
    }
    try {
        return JSON.parse(value);
    } catch {
        return undefined;
    }
}

/** Resource tags as a map: `tags: {k: v}` (most AWS resources) or `tags: [{key, value}]` (ASG). */
export function tagsOf(props: Record<string, unknown>): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(asRecord(props.tags))) {
        if (typeof value === "string") {
            tags[key] = value;
        }
    }
    for (const tag of asArray(props.tags)) {
        const { key, value } = asRecord(tag);
        if (typeof key === "string" && typeof value === "string") {
            tags[key] = value;
        }
    }
    return tags;
}

export function isOneOf(type: string, types: string | readonly string[]): boolean {
    return typeof types === "string" ? type === types : types.includes(type);
}

export function ofType(resources: readonly PolicyResource[], types: string | readonly string[]): PolicyResource[] {
    return resources.filter((r) => isOneOf(r.type, types));
}

/** The values a resource is known by when another resource references it. */
function identities(resource: PolicyResource): string[] {
    return ["id", "arn", "name"].map((key) => resource.props[key]).filter((v): v is string => typeof v === "string" && v !== "");
}

function mentions(value: unknown, ids: readonly string[]): boolean {
    if (typeof value === "string") {
        return ids.includes(value);
    }
    if (Array.isArray(value)) {
        return value.some((item) => mentions(item, ids));
    }
    if (value !== null && typeof value === "object") {
        return Object.values(value).some((item) => mentions(item, ids));
    }
    return false;
}

/**
 * The resources of the given types that `resource.props[property]` refers to. The engine's
 * property dependencies say it exactly; without them, a candidate is linked when its id, ARN or
 * name appears in the property's value.
 */
export function referencedBy(
    resource: PolicyResource,
    property: string,
    types: string | readonly string[],
    candidates: readonly PolicyResource[],
): PolicyResource[] {
    const declared = (resource.propertyDependencies[property] ?? []).filter((d) => isOneOf(d.type, types));
    if (declared.length > 0) {
        return declared;
    }
    const value = resource.props[property];
    return ofType(candidates, types).filter((c) => mentions(value, identities(c)));
}

/**
 * Like `referencedBy`, and when neither property dependencies nor values link anything, falls
 * back to the resource's dependencies of those types (a resource built from another's output
 * depends on it, even when the output, an ARN for example, is not known yet).
 */
export function linkedTo(
    resource: PolicyResource,
    property: string,
    types: string | readonly string[],
    candidates: readonly PolicyResource[],
): PolicyResource[] {
    const referenced = referencedBy(resource, property, types, candidates);
    return referenced.length > 0 ? referenced : resource.dependencies.filter((d) => isOneOf(d.type, types));
}

/** How a violation names a resource: its type and name. */
export function resourceLabel(resource: { type: string; name: string }): string {
    return `${resource.type} "${resource.name}"`;
}

/** A mandatory rule that looks at one resource at a time and reports each problem `problemsOf` finds. */
export function mandatoryResourceRule(
    name: string,
    description: string,
    problemsOf: (type: string, props: Record<string, unknown>) => readonly string[],
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            for (const problem of problemsOf(args.type, args.props)) {
                reportViolation(problem);
            }
        },
    };
}
