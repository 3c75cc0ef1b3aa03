// Reads the state of the CloudWatch alarms a rollout is gated on (DescribeAlarms, metric and
// composite alarms, at most 100 names a call). An alarm DescribeAlarms does not return is MISSING,
// which the gates count as a failed check.
import { CloudWatchClient, DescribeAlarmsCommand, DescribeAlarmsCommandOutput } from "@aws-sdk/client-cloudwatch";
import type { AlarmObservation } from "./gates";

export type AlarmStates = (names: readonly string[]) => Promise<Record<string, AlarmObservation>>;

/** What DescribeAlarms needs from a client: injected so tests can answer it. */
export type DescribeAlarms = (names: string[], nextToken: string | undefined) => Promise<Pick<DescribeAlarmsCommandOutput, "MetricAlarms" | "CompositeAlarms" | "NextToken">>;

const MAX_NAMES = 100;

export function alarmStates(describe: DescribeAlarms): AlarmStates {
    return async (names) => {
        const found = new Map<string, string>();
        for (let start = 0; start < names.length; start += MAX_NAMES) {
            const batch = names.slice(start, start + MAX_NAMES);
            let token: string | undefined;
            do {
                const page = await describe(batch, token);
                [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])].forEach((a) => a.AlarmName && a.StateValue && found.set(a.AlarmName, a.StateValue));
                token = page.NextToken;
            } while (token);
        }
        return Object.fromEntries(names.map((name) => [name, (found.get(name) ?? "MISSING") as AlarmObservation]));
    };
}

export function cloudWatchDescribeAlarms(region: string): DescribeAlarms {
    const client = new CloudWatchClient({ region });
    return (names, nextToken) => client.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], NextToken: nextToken }));
}
