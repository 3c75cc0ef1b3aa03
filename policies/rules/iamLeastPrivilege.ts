// IAM policies name their actions and resources. `*` as an action (or a whole service, `ecs:*`)
// grants what nobody reviewed; `*` as a resource is allowed only for actions that AWS cannot scope
// to a resource (the Service Authorization Reference lists no resource type for them).
import { asArray, asRecord, asString, mandatoryResourceRule, parseJsonInput } from "./resources";

/**
 * Actions without resource-level permissions that this program's roles use or may reasonably use
 * (AWS Service Authorization Reference: no resource type listed, so the policy must say "*").
 */
const WILDCARD_RESOURCE_ACTIONS: readonly string[] = [
    "ec2:describeinstances",
    "ec2:describetags",
    "ec2:describeavailabilityzones",
    "ec2:describesubnets",
    "ec2:describevpcs",
    "ec2:describenetworkinterfaces",
    "ec2:describevolumes",
    "ec2:describesecuritygroups",
    "ec2:describeregions",
    "sts:getcalleridentity",
    "ecr:getauthorizationtoken",
    "ecs:describetaskdefinition",
    "ssmmessages:createcontrolchannel",
    "ssmmessages:createdatachannel",
    "ssmmessages:opencontrolchannel",
    "ssmmessages:opendatachannel",
    "logs:describeloggroups",
    "cloudwatch:putmetricdata",
    "cloudwatch:getmetricdata",
    "cloudwatch:listmetrics",
    "autoscaling:describeautoscalinggroups",
    "autoscaling:describeautoscalinginstances",
    "elasticloadbalancing:describeloadbalancers",
    "elasticloadbalancing:describetargetgroups",
    "elasticloadbalancing:describetargethealth",
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "s3:listallmybuckets",
    "tag:getresources",
];
/** Describe-only wildcards of services whose Describe actions have no resource-level permissions. */
const WILDCARD_RESOURCE_PATTERNS: readonly string[] = ["ec2:describe*", "autoscaling:describe*", "elasticloadbalancing:describe*"];
/** Actions scoped by a condition on the cluster rather than by resource (consul-ecs's controller lists tasks). */
const CONDITION_SCOPED_ACTIONS: readonly string[] = ["ecs:listtasks", "ecs:listservices"];

const POLICY_TYPES = ["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"];
const ATTACHMENT_TYPES = ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment", "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"];
const ROLE = "aws:iam/role:Role";

/** AWS managed policies that grant whole services or everything. */
const BROAD_MANAGED_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\/(.*\/)?(AdministratorAccess|PowerUserAccess|[A-Za-z0-9_]*FullAccess)$/;

const list = (value: unknown): string[] => (typeof value === "string" ? [value] : asArray(value).filter((v): v is string => typeof v === "string"));

function statementProblems(raw: unknown, index: number): string[] {
    const statement = asRecord(raw);
    if (statement.Effect !== "Allow") {
        return [];
    }
    const label = `statement ${asString(statement.Sid) ?? index}`;
    const problems: string[] = [];
    if (statement.NotAction !== undefined) {
        problems.push(`${label} uses NotAction, which allows every action but the listed ones; list the actions instead`);
    }
    if (statement.NotResource !== undefined) {
        problems.push(`${label} uses NotResource, which allows every resource but the listed ones; list the resources instead`);
    }
    const actions = list(statement.Action);
    const broad = actions.filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a));
    if (broad.length > 0) {
        problems.push(`${label} allows action ${broad.join(", ")}; name the actions the role needs`);
    }
    if (list(statement.Resource).includes("*")) {
        const conditioned = statement.Condition !== undefined;
        const unscopable = (action: string) => {
            const a = action.toLowerCase();
            return WILDCARD_RESOURCE_ACTIONS.includes(a) || WILDCARD_RESOURCE_PATTERNS.includes(a) || (conditioned && CONDITION_SCOPED_ACTIONS.includes(a));
        };
        const scopable = actions.filter((a) => !unscopable(a) && !broad.includes(a));
        if (scopable.length > 0) {
            problems.push(`${label} allows ${scopable.join(", ")} on Resource "*"; these actions take resource ARNs, so name them`);
        }
    }
    return problems;
}

export function policyDocumentProblems(document: unknown): string[] {
    const parsed = asRecord(parseJsonInput(document));
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement !== undefined ? [parsed.Statement] : [];
    return statements.flatMap((s, i) => statementProblems(s, i));
}

function managedPolicyProblems(arns: readonly string[]): string[] {
    return arns.filter((arn) => BROAD_MANAGED_POLICY.test(arn)).map((arn) => `attaches AWS managed policy ${arn}, which grants whole services; write a policy with the actions needed`);
}

function iamProblems(type: string, props: Record<string, unknown>): string[] {
    if (POLICY_TYPES.includes(type)) {
        return policyDocumentProblems(props.policy);
    }
    if (ATTACHMENT_TYPES.includes(type)) {
        return managedPolicyProblems(list(props.policyArn));
    }
    if (type === ROLE) {
        const inline = asArray(props.inlinePolicies).flatMap((p) => policyDocumentProblems(asRecord(p).policy).map((m) => `inline policy ${asString(asRecord(p).name) ?? ""}: ${m}`));
        return [...inline, ...managedPolicyProblems(list(props.managedPolicyArns))];
    }
    return [];
}

export const iamLeastPrivilege = mandatoryResourceRule(
    "iam-least-privilege",
    'IAM policies allow no "*" or whole-service action, no NotAction or NotResource, and "*" as a resource only for actions that cannot be scoped to a resource; no AdministratorAccess, PowerUserAccess or *FullAccess managed policy.',
    iamProblems,
);
