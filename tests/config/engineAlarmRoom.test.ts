// The gated alarms of all services together must fit where the rollout engine names each of them:
// the event pattern of its EventBridge rule (2,048 characters by default) and the DescribeAlarms
// statement of its role's inline policy (10,240 characters with the rest of that policy). A stack
// file one alarm past either limit is refused at `bluegreen:services`, one alarm short of it passes;
// the documents are measured as the engine registers them (src/shared/engineAlarms.ts).
import { expect } from "chai";
import { ConfigProblem, StackConfigError } from "../../src/config";
import { MAX_STACK_NAME } from "../../src/config/stackName";
import { parseStackValues } from "../../src/offline/stackFile";
import { engineFunctionPolicy } from "../../src/rollout/render/enginePolicies";
import { alarmEventPattern, describeAlarmsStatement, ENGINE_POLICY_OTHER_CHARS, EVENT_PATTERN_MAX_CHARS, ROLE_POLICY_MAX_CHARS } from "../../src/shared/engineAlarms";
import { services, stackConfig } from "../support/harness";

function problemsWith(alarms: readonly string[]): ConfigProblem[] {
    const config = stackConfig("dev");
    const names = Object.keys(services(config));
    // Spread over the services, one alarm named by two of them (the engine reads each once).
    names.forEach((service, i) => (services(config)[service].gate = { alarms: alarms.filter((_, n) => n % names.length === i || n === 0) }));
    try {
        parseStackValues("dev", config);
        return [];
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return [...(err as StackConfigError).problems];
    }
}

const chars = (value: unknown) => [...JSON.stringify(value)].length;
const named = (n: number, length: number) => Array.from({ length: n }, (_, i) => `${String(i).padStart(4, "0")}-${"x".repeat(length - 5)}`);

/** The most alarms of this name length for which `size` stays within `max`. */
function most(length: number, size: (names: string[]) => number, max: number): number {
    let n = 1;
    while (size(named(n + 1, length)) <= max) {
        n++;
    }
    return n;
}

describe("the gated alarms fit the rollout engine's event pattern and role policy", () => {
    it("the role policy without the alarms, at its longest, stays within the room set aside for it", () => {
        const stack = "s".repeat(MAX_STACK_NAME);
        const partition = "aws-us-gov";
        const region = "us-isof-south-1";
        const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:123456789012:${resource}`;
        const policy = engineFunctionPolicy({
            partition,
            region,
            accountId: "123456789012",
            logGroupArn: arn("logs", `log-group:/aws/lambda/${stack}-rollout-tick`),
            // A name prefix's 26-character unique suffix, and the 6 characters Secrets Manager adds.
            secretArns: [arn("secretsmanager", `secret:bluegreen/${stack}/rollout-engine-token-${"2".repeat(26)}-AbCdEf`), arn("secretsmanager", `secret:bluegreen/${stack}/consul/ca-cert-AbCdEf`)],
            kmsKeyArn: arn("kms", "key/0c4e1a8f-7d2b-4a6e-9f31-5b8c2d7e4a90"),
            alarmNames: [],
            readsMeshMetrics: true,
        });
        expect(chars(policy)).to.be.at.most(ENGINE_POLICY_OTHER_CHARS);
        expect(ENGINE_POLICY_OTHER_CHARS).to.be.lessThan(ROLE_POLICY_MAX_CHARS);
    });

    it("long alarm names: the event pattern is the limit; one alarm more than fits is refused with the key, the size and a way out", () => {
        const fits = most(60, (names) => chars(alarmEventPattern(names)), EVENT_PATTERN_MAX_CHARS);
        expect(fits).to.be.within(25, 40);
        expect(problemsWith(named(fits, 60))).to.deep.equal([]);
        const problems = problemsWith(named(fits + 1, 60));
        expect(problems.map((p) => p.path)).to.deep.equal(["bluegreen:services"]);
        expect(problems[0].message).to.include(`name ${fits + 1} distinct CloudWatch alarms`);
        expect(problems[0].message).to.include(`event pattern of ${chars(alarmEventPattern(named(fits + 1, 60)))} characters, over EventBridge's default quota of 2048`);
        expect(problems[0].message).to.include("composite alarm");
    });

    it("short alarm names: the role policy is the limit, sized with the longest partition", () => {
        const statement = (names: string[]) => chars(describeAlarmsStatement("aws-us-gov", "eu-west-1", "123456789012", names));
        const fits = most(5, (names) => ENGINE_POLICY_OTHER_CHARS + statement(names), ROLE_POLICY_MAX_CHARS);
        expect(chars(alarmEventPattern(named(fits + 1, 5)))).to.be.lessThan(EVENT_PATTERN_MAX_CHARS);
        expect(problemsWith(named(fits, 5))).to.deep.equal([]);
        const problems = problemsWith(named(fits + 1, 5));
        expect(problems.map((p) => p.path)).to.deep.equal(["bluegreen:services"]);
        expect(problems[0].message).to.include("allows DescribeAlarms on each alarm's ARN");
        expect(problems[0].message).to.include(`IAM's ${ROLE_POLICY_MAX_CHARS} characters for a role's inline policies`);
    });
});
