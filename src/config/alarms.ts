// bluegreen:services.<name>.gate.alarms: CloudWatch alarm names the rollout gates on. PutMetricAlarm
// takes a name of 1 to 255 characters, UTF-8, without ASCII control characters; a name that no alarm
// can have would hold every rollout of the service (a missing alarm fails the gate).
import { hasControlCharacter } from "./controlCharacters";
import type { Report } from "./types";
import { checkDuplicates } from "./duplicates";

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
