// bluegreen:services.<name>.gate.alarms: CloudWatch alarm names the rollout gates on. PutMetricAlarm
// takes a name of 1 to 255 characters, UTF-8, without ASCII control characters; a name that no alarm
// can have would hold every rollout of the service (a missing alarm fails the gate). All services'
// alarms together must fit the rollout engine's event pattern and role policy (checkEngineAlarmRoom).
import { hasControlCharacter } from "./controlCharacters";
import type { Report } from "./types";
import { checkDuplicates } from "./duplicates";
import { alarmEventPattern, describeAlarmsStatement, ENGINE_POLICY_OTHER_CHARS, EVENT_PATTERN_MAX_CHARS, ROLE_POLICY_MAX_CHARS } from "../shared/engineAlarms";

const MAX_ALARM_NAME = 255;

export function checkAlarmNames(path: string, alarms: readonly string[], at: Report): void {
    alarms.forEach((name, i) => {
        if ([...name].length > MAX_ALARM_NAME) {
            at(`${path}[${i}]`, `has ${[...name].length} characters; a CloudWatch alarm name has 1 to ${MAX_ALARM_NAME}`);
        }
        if (hasControlCharacter(name)) {
            at(`${path}[${i}]`, `${JSON.stringify(name)} has a control character (a newline, a tab); CloudWatch alarm names cannot hold one`);
        }
        if (name.trim() === "") {
            at(`${path}[${i}]`, "is blank; name a CloudWatch alarm");
        }
    });
    checkDuplicates(path, alarms, "alarm", at);
}

/** Partitions' names differ in length (`aws`, `aws-cn`, `aws-us-gov`): the policy is sized with the longest. */
const LONGEST_PARTITION = "aws-us-gov";
/** An AWS account id is 12 digits. */
const ANY_ACCOUNT_ID = "123456789012";

/**
 * The gated alarms of all services together must fit where the rollout engine names them: its
 * EventBridge rule's event pattern and its role's DescribeAlarms statement (src/shared/engineAlarms.ts).
 * Measured on the documents the engine registers, so that the check and the resource cannot disagree.
 */
export function checkEngineAlarmRoom(services: readonly { readonly name: string; readonly gate: { readonly alarms: readonly string[] } }[], region: string, at: Report): void {
    const names = [...new Set(services.flatMap((s) => s.gate.alarms))];
    if (names.length === 0) {
        return;
    }
    const gated = services.filter((s) => s.gate.alarms.length > 0).map((s) => `${s.name}: ${s.gate.alarms.length}`);
    const what = `the services' gate.alarms name ${names.length} distinct CloudWatch alarms (${gated.join(", ")})`;
    const remedy = "gate on fewer alarms or shorter names, for example one composite alarm per service that combines its alarms (CloudWatch's composite alarms)";
    const pattern = [...JSON.stringify(alarmEventPattern(names))].length;
    if (pattern > EVENT_PATTERN_MAX_CHARS) {
        at("bluegreen:services", `${what}; the rollout engine's EventBridge rule matches each by name in one event pattern of ${pattern} characters, over EventBridge's default quota of ${EVENT_PATTERN_MAX_CHARS} ("Event pattern size"): ${remedy}`);
    }
    const statement = [...JSON.stringify(describeAlarmsStatement(LONGEST_PARTITION, region, ANY_ACCOUNT_ID, names))].length;
    const policy = ENGINE_POLICY_OTHER_CHARS + statement;
    if (policy > ROLE_POLICY_MAX_CHARS) {
        at(
            "bluegreen:services",
            `${what}; the rollout engine's role allows DescribeAlarms on each alarm's ARN, ${statement} characters, which with the rest of its policy (up to ${ENGINE_POLICY_OTHER_CHARS}) passes IAM's ${ROLE_POLICY_MAX_CHARS} characters for a role's inline policies: ${remedy}`,
        );
    }
}
