// IAM and bucket policies of the Consul servers, as plain JSON documents built from plain data, so
// tests can read every statement. Least privilege: named actions only (no wildcards in actions), each
// on exactly the resources it needs; `Resource: "*"` only where AWS offers no resource-level
// permission (ec2:DescribeInstances, Session Manager's ssmmessages channels).

import { ECS_EXEC_ACTIONS, POLICY_VERSION, PolicyDocument } from "../../iam/policyDocument";

/** The KMS calls a principal makes through Secrets Manager (and S3) are allowed only through those services. */
function viaService(region: string, dnsSuffix: string, services: readonly string[]): Record<string, Record<string, string | readonly string[]>> {
    const names = services.map((s) => `${s}.${region}.${dnsSuffix}`);
    return { StringEquals: { "kms:ViaService": names.length === 1 ? names[0] : names } };
}

export interface HaServerPolicyOptions {
    readonly region: string;
    /** The partition's DNS suffix, `amazonaws.com` in the commercial partition. */
    readonly dnsSuffix: string;
    /** The secrets a server reads at boot: CA certificate, server certificate and key, gossip key, token. */
    readonly secretArns: readonly string[];
    readonly kmsKeyArn: string;
    readonly snapshotBucketArn: string;
    /** Key prefix of the snapshots, ending in "/". */
    readonly snapshotPrefix: string;
}

/**
 * The ha server instance role's own policy (Session Manager comes from the AWS managed policy
 * AmazonSSMManagedInstanceCore, attached separately): cloud auto-join, its secrets, its snapshots.
 */
export function haServerPolicy(options: HaServerPolicyOptions): PolicyDocument {
    requireArns(options.secretArns, "secretArns");
    return {
        Version: POLICY_VERSION,
        Statement: [
            // retry_join provider=aws lists the tagged instances; DescribeInstances has no resource-level permissions.
            { Sid: "CloudAutoJoin", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" },
            { Sid: "ReadOwnSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [...options.secretArns] },
            {
                Sid: "DecryptOwnSecrets",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: options.kmsKeyArn,
                Condition: viaService(options.region, options.dnsSuffix, ["secretsmanager", "s3"]),
            },
            {
                Sid: "EncryptSnapshots",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey"],
                Resource: options.kmsKeyArn,
                Condition: viaService(options.region, options.dnsSuffix, ["s3"]),
            },
            { Sid: "WriteSnapshots", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${options.snapshotBucketArn}/${options.snapshotPrefix}*` },
        ],
    };
}

export interface DevServerExecutionPolicyOptions {
    readonly region: string;
    readonly dnsSuffix: string;
    /** The secrets ECS injects into the dev server container. */
    readonly secretArns: readonly string[];
    readonly kmsKeyArn: string;
    readonly logGroupArn: string;
}

/** The dev server task's execution role: inject its secrets, write its logs. */
export function devServerExecutionPolicy(options: DevServerExecutionPolicyOptions): PolicyDocument {
    requireArns(options.secretArns, "secretArns");
    return {
        Version: POLICY_VERSION,
        Statement: [
            { Sid: "InjectOwnSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [...options.secretArns] },
            {
                Sid: "DecryptOwnSecrets",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: options.kmsKeyArn,
                Condition: viaService(options.region, options.dnsSuffix, ["secretsmanager"]),
            },
            { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${options.logGroupArn}:log-stream:*` },
        ],
    };
}

/**
 * The dev server task's role: only the Session Manager channels ECS Exec needs, which is how an
 * operator opens a port-forwarding tunnel to the dev server (these actions take no resource ARN).
 */
export function devServerTaskPolicy(): PolicyDocument {
    return {
        Version: POLICY_VERSION,
        Statement: [
            {
                Sid: "EcsExecSessionChannels",
                Effect: "Allow",
                Action: ECS_EXEC_ACTIONS,
                Resource: "*",
            },
        ],
    };
}

/** The snapshot bucket refuses every request that is not over TLS. */
export function snapshotBucketPolicy(bucketArn: string): PolicyDocument {
    return {
        Version: POLICY_VERSION,
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}

function requireArns(arns: readonly string[], what: string): void {
    if (arns.length === 0 || arns.some((arn) => !arn.startsWith("arn:"))) {
        throw new Error(`${what} must be a non-empty list of ARNs, got ${JSON.stringify(arns)}`);
    }
}
