// The alarm gate's CloudWatch reader: DescribeAlarms for the names in gate.alarms, metric and
// composite alarms alike. Credentials and region come from the usual AWS SDK chain; the region
// defaults to the stack's aws:region.
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { AlarmReader } from "./gates";

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

export function cloudWatchAlarms(region: string): AlarmReader {
    const client = new CloudWatchClient({ region: process.env.AWS_REGION ?? region });
    return {
        async states(names) {
            const states = new Map<string, string>();
            for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
                let nextToken: string | undefined;
                do {
                    const page = await client.send(
                        new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + NAMES_PER_CALL), AlarmTypes: ["MetricAlarm", "CompositeAlarm"], NextToken: nextToken }),
                    );
                    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
                        if (alarm.AlarmName && alarm.StateValue) {
                            states.set(alarm.AlarmName, alarm.StateValue);
                        }
                    }
                    nextToken = page.NextToken;
                } while (nextToken);
            }
            return states;
        },
    };
}
