// The shape of the IAM documents this program writes (identity, bucket and trust policies), and
// the pieces several roles share. Pure data; the roles themselves are created by their components.

export const POLICY_VERSION = "2012-10-17";

export interface PolicyStatement {
    readonly Sid: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action?: string | readonly string[];
    readonly Principal?: Record<string, string | readonly string[]> | "*";
    readonly Resource: string | readonly string[];
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
    readonly Version: typeof POLICY_VERSION;
    readonly Statement: readonly PolicyStatement[];
}

/** The AWS services whose principals assume this program's roles. */
export type ServicePrincipal = "ec2.amazonaws.com" | "ecs-tasks.amazonaws.com" | "lambda.amazonaws.com" | "states.amazonaws.com";

export interface TrustPolicy {
    readonly Version: typeof POLICY_VERSION;
    readonly Statement: readonly [
        { readonly Sid?: string; readonly Effect: "Allow"; readonly Principal: { readonly Service: ServicePrincipal }; readonly Action: "sts:AssumeRole" },
    ];
}

/**
 * Who may assume a role: one AWS service, nobody else. `sid` is optional because the mesh task
 * roles were created without one; adding it now would rewrite every such role's trust policy.
 */
export function serviceTrustPolicy(service: ServicePrincipal, sid?: string): TrustPolicy {
    return {
        Version: POLICY_VERSION,
        Statement: [{ ...(sid === undefined ? {} : { Sid: sid }), Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    };
}

/** The Session Manager channels ECS Exec opens; they take no resource ARN, so `Resource` is "*". */
export const ECS_EXEC_ACTIONS: readonly string[] = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];
