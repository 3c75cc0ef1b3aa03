// Where the rollout engine names the alarms it is gated on, and how much room AWS gives it there.
// Every gated alarm is named twice: in the event pattern of the EventBridge rule that invokes the
// tick Lambda when one goes into ALARM, and in the DescribeAlarms statement of the Lambda's role.
// Both documents have size limits; src/config refuses a stack whose alarms would not fit, before
// `pulumi up` fails half-way at PutRule or PutRolePolicy. One home for both documents' alarm parts,
// so that the check measures exactly what src/rollout/engine.ts registers.

/**
 * Amazon EventBridge quotas, "Event pattern size": 2,048 characters by default (adjustable to 4,096
 * through Service Quotas). The AWS provider's EventRule documents the same for `eventPattern`.
 * Source: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 */
export const EVENT_PATTERN_MAX_CHARS = 2048;

/**
 * IAM and AWS STS quotas: the inline policies of one role together ("Role policy size") may hold at
 * most 10,240 characters; IAM does not count white space. The tick Lambda's role has one inline
 * policy. Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const ROLE_POLICY_MAX_CHARS = 10_240;

/**
 * Room the tick Lambda's role policy needs besides the alarms' statement: its log group, the two
 * secrets, the KMS key, the network interfaces and GetMetricData, with the longest partition,
 * region, stack and secret names (tests/rollout/engineLimits.test.ts measures the real document
 * against it).
 */
export const ENGINE_POLICY_OTHER_CHARS = 2_000;

/** EventBridge pattern: one of these alarms went into ALARM. */
export function alarmEventPattern(alarmNames: readonly string[]): Record<string, unknown> {
    return {
        source: ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        detail: { alarmName: [...alarmNames].sort(), state: { value: ["ALARM"] } },
    };
}

/** A CloudWatch alarm's ARN, the resource DescribeAlarms is allowed on. */
function alarmArn(partition: string, region: string, accountId: string, alarmName: string): string {
    return `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${alarmName}`;
}

/** The role policy's statement that lets the engine read the gated alarms. */
export function describeAlarmsStatement(partition: string, region: string, accountId: string, alarmNames: readonly string[]) {
    return {
        Sid: "ReadGateAlarms",
        Effect: "Allow" as const,
        Action: ["cloudwatch:DescribeAlarms"],
        Resource: [...alarmNames].sort().map((name) => alarmArn(partition, region, accountId, name)),
    };
}
