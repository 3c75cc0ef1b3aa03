// The documents the rollout engine's resources carry: its Consul ACL policy, its two IAM roles'
// trust and permissions, and the EventBridge pattern of the alarms it is gated on. Pure: names and
// ARNs in, documents out, each granting only what the engine does.
import { POLICY_VERSION, PolicyDocument, PolicyStatement } from "../../iam/policyDocument";
import { rolloutCommandKey, ROLLOUT_KV_PREFIX } from "../contract";
import { describeAlarmsStatement } from "../../shared/engineAlarms";
import { stickyServiceName } from "../../shared/meshNames";
import { COLOURS } from "../../config/types";

/**
 * The service-splitters the engine writes: each mesh service's, and with `rollout.sticky` its two
 * sticky virtual services' (src/rollout/traffic.ts). The engine's token gets write on these names only.
 */
export function engineSplitterNames(services: readonly { readonly name: string; readonly rollout: { readonly sticky: boolean } }[]): string[] {
    return services.flatMap((s) => [s.name, ...(s.rollout.sticky ? COLOURS.map((colour) => stickyServiceName(s.name, colour)) : [])]);
}

/**
 * What the engine's token may do in Consul: read and write the rollout's KV prefix, write each
 * service-splitter it writes (engineSplitterNames; Consul requires service:write on the entry's
 * service for a service-splitter; there is no narrower rule), and read services and nodes for the health API
 * and the config entries it reads back. Nothing else: no ACL, operator, intention or agent rights.
 */
export function engineAclRules(services: readonly string[]): string {
    const writes = [...services]
        .sort()
        .map((service) => `service "${service}" {\n  policy = "write"\n}\n`)
        .join("\n");
    return `key_prefix "${ROLLOUT_KV_PREFIX}" {
  policy = "write"
}

${writes}
service_prefix "" {
  policy = "read"
}

node_prefix "" {
  policy = "read"
}
`;
}

/**
 * What an operator's token may do: everything `npm run flip` does except `set` (status, history and
 * the control commands). Read the rollouts' states, claims and history, write the rollouts' command
 * slots (a longer `key_prefix` rule wins over a shorter one in Consul), and read services and nodes for the live split
 * (GET /v1/config/service-splitter needs service:read) and health. It cannot write a splitter: the
 * engine stays the one writer of the weights.
 */
export function operatorAclRules(): string {
    return `key_prefix "${ROLLOUT_KV_PREFIX}" {
  policy = "read"
}

key_prefix "${rolloutCommandKey("")}" {
  policy = "write"
}

service_prefix "" {
  policy = "read"
}

node_prefix "" {
  policy = "read"
}
`;
}

export interface EngineFunctionPolicyInput {
    /** The AWS partition of the provider (`aws`, `aws-cn`, `aws-us-gov`, ...). */
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    readonly logGroupArn: string;
    /** The engine's Consul token and the servers' CA certificate. */
    readonly secretArns: readonly string[];
    readonly kmsKeyArn: string;
    /** The CloudWatch alarms the rollouts are gated on (DescribeAlarms). */
    readonly alarmNames: readonly string[];
    /** Some service has `gate.analysis`: the engine reads the mesh metrics (GetMetricData). Default false. */
    readonly readsMeshMetrics?: boolean;
}

/** The tick Lambda's role: its logs, its two secrets, the gated alarms, and the VPC network interfaces Lambda manages for it. */
export function engineFunctionPolicy(input: EngineFunctionPolicyInput): PolicyDocument {
    const statements: PolicyStatement[] = [
        { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [input.logGroupArn, `${input.logGroupArn}:*`] },
        { Sid: "ReadConsulTokenAndCa", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [...input.secretArns] },
        { Sid: "DecryptSecrets", Effect: "Allow", Action: ["kms:Decrypt"], Resource: input.kmsKeyArn },
        // DescribeNetworkInterfaces works only on "*" (Lambda developer guide, VPC configuration).
        { Sid: "DescribeVpcInterfaces", Effect: "Allow", Action: ["ec2:DescribeNetworkInterfaces"], Resource: "*" },
        {
            Sid: "ManageVpcInterfaces",
            Effect: "Allow",
            Action: ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
            Resource: `arn:${input.partition}:ec2:${input.region}:${input.accountId}:*/*`,
        },
    ];
    if (input.alarmNames.length > 0) {
        // Sized against IAM's role policy quota in src/config (src/shared/engineAlarms.ts).
        statements.push(describeAlarmsStatement(input.partition, input.region, input.accountId, input.alarmNames));
    }
    if (input.readsMeshMetrics) {
        // GetMetricData has no resource-level permissions: "*" is the only resource it takes.
        statements.push({ Sid: "ReadMeshMetrics", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: "*" });
    }
    return { Version: POLICY_VERSION, Statement: statements };
}

/** The state machine's role: invoke the tick Lambda, and start its own successor execution. */
export function engineStateMachinePolicy(functionArn: string, stateMachineArn: string): PolicyDocument {
    return {
        Version: POLICY_VERSION,
        Statement: [
            { Sid: "InvokeTick", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [functionArn, `${functionArn}:*`] },
            { Sid: "HandOverToSuccessor", Effect: "Allow", Action: ["states:StartExecution"], Resource: stateMachineArn },
        ],
    };
}
