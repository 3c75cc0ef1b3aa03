// AWS's limits on what the program registers, planned whole (mock runtime) at the edges src/config
// allows: the longest stack name and the longest service name, every physical name within the
// limit of the service that owns it; a stack in a partition other than `aws` (China), every ARN the
// program builds in that partition, and the preflight's walk over it passing; the alarm rule's event pattern as long as src/config lets it
// be, registered exactly as measured.
import { expect } from "chai";
import { MAX_SERVICE_NAME } from "../../src/config/services";
import { MAX_STACK_NAME } from "../../src/config/stackName";
import { runPreflight } from "../../src/preflight/preflight";
import { formatReport } from "../../src/preflight/report";
import { alarmEventPattern, EVENT_PATTERN_MAX_CHARS } from "../../src/shared/engineAlarms";
import { plan, Plan, services } from "../support/harness";
import { failedLinks } from "../support/preflightFixtures";

/** Pulumi's auto-naming adds "-" and 7 random characters to the resource's name. */
const AUTONAME_SUFFIX = 8;

interface NameLimit {
    readonly max: number;
    /** Characters the name may hold, when AWS restricts them. */
    readonly chars?: RegExp;
    /** The API reference that states the limit. */
    readonly source: string;
}

/** Limits of the names the program sets or Pulumi derives, by resource type. */
const NAME_LIMITS: Readonly<Record<string, NameLimit>> = {
    "aws:lambda/function:Function": { max: 64, chars: /^[A-Za-z0-9_-]+$/, source: "Lambda API: a function name is limited to 64 characters (CreateFunction, FunctionName)" },
    "aws:sfn/stateMachine:StateMachine": { max: 80, chars: /^[A-Za-z0-9_-]+$/, source: "Step Functions API, StateMachineListItem name: 1-80; only 0-9, A-Z, a-z, - and _ for CloudWatch Logs logging" },
    "aws:iam/role:Role": { max: 64, chars: /^[\w+=,.@-]+$/, source: "IAM API, RoleName: 1-64 of [\\w+=,.@-]" },
    "aws:cloudwatch/eventRule:EventRule": { max: 64, chars: /^[.\-_A-Za-z0-9]+$/, source: "EventBridge API, Rule Name: 1-64 of [.-_A-Za-z0-9]" },
    "aws:cloudwatch/logGroup:LogGroup": { max: 512, chars: /^[A-Za-z0-9_\-/.#]+$/, source: "CloudWatch Logs CreateLogGroup: 1-512 characters of a-z, A-Z, 0-9, _ - / ." },
    "aws:lb/loadBalancer:LoadBalancer": { max: 32, source: "ELB CreateLoadBalancer: at most 32 characters" },
    "aws:lb/targetGroup:TargetGroup": { max: 32, source: "ELB CreateTargetGroup: at most 32 characters" },
};

function namesOf(p: Plan): { type: string; name: string; auto: boolean }[] {
    return p.resources
        .filter((r) => r.type in NAME_LIMITS)
        .map((r) => (typeof r.inputs.name === "string" ? { type: r.type, name: r.inputs.name, auto: false } : { type: r.type, name: `${r.name}-${"a".repeat(AUTONAME_SUFFIX - 1)}`, auto: true }));
}

describe("AWS's limits on names, partitions and the alarm rule (mock runtime, the whole program)", () => {
    it("the longest stack and service names src/config accepts make names within every limit", async () => {
        const stack = "S".repeat(MAX_STACK_NAME);
        const long = "o".repeat(MAX_SERVICE_NAME);
        const p = await plan(stack, (c) => {
            const all = services(c);
            all[long] = { ...all.orders, gate: { alarms: ["orders-5xx"] } };
            delete all.orders;
            for (const service of Object.values(all)) {
                for (const upstream of (service.upstreams ?? []) as { service: string }[]) {
                    upstream.service = upstream.service === "orders" ? long : upstream.service;
                }
            }
        });
        const names = namesOf(p);
        expect(new Set(names.map((n) => n.type))).to.deep.equal(new Set(Object.keys(NAME_LIMITS)));
        for (const { type, name, auto } of names) {
            const limit = NAME_LIMITS[type];
            expect(name.length, `${type} ${name}${auto ? " (auto-named)" : ""}: ${limit.source}`).to.be.at.most(limit.max);
            if (limit.chars) {
                expect(name, `${type}: ${limit.source}`).to.match(limit.chars);
            }
        }
        expect(p.named("rollout-tick", "aws:lambda/function:Function").inputs.name).to.have.length(64);
    });

    it("builds every ARN in the provider's partition (a stack in China: aws-cn), and the preflight's start-up passes there", async () => {
        const p = await plan("prod", (c) => {
            c["aws:region"] = "cn-north-1";
            // prod's certificate is one of eu-west-1's.
            delete (c["bluegreen:gateway"] as Record<string, unknown>).certificateArn;
            services(c).orders.gate = { alarms: ["orders-5xx"] };
        });
        const report = await runPreflight(structuredClone({ stack: "prod", resources: p.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, inputs: r.inputs })), reads: p.result.reads }));
        expect(failedLinks(report), formatReport(report)).to.deep.equal([]);
        const inputs = JSON.stringify(p.resources.map((r) => r.inputs));
        expect(inputs.match(/arn:aws:[^"]*/g) ?? []).to.deep.equal([]);
        const definition = JSON.parse(p.named("rollout-machine", "aws:sfn/stateMachine:StateMachine").inputs.definition as string);
        expect(definition.States.Tick.Resource).to.equal("arn:aws-cn:states:::lambda:invoke");
        const policy = JSON.parse(p.named("rollout-function", "aws:iam/rolePolicy:RolePolicy").inputs.policy as string) as { Statement: { Sid: string; Resource: unknown }[] };
        const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s.Resource]));
        expect(bySid.ReadGateAlarms).to.deep.equal(["arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:orders-5xx"]);
        expect(bySid.ManageVpcInterfaces).to.equal("arn:aws-cn:ec2:cn-north-1:123456789012:*/*");
        const machinePolicy = JSON.parse(p.named("rollout-machine", "aws:iam/rolePolicy:RolePolicy").inputs.policy as string) as { Statement: { Sid: string; Resource: unknown }[] };
        expect(machinePolicy.Statement.find((s) => s.Sid === "HandOverToSuccessor")?.Resource).to.match(/^arn:aws-cn:states:cn-north-1:123456789012:stateMachine:prod-rollout$/);
    });

    it("registers the alarm rule's pattern as src/config measured it, at the longest it lets through", async () => {
        const alarms = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(4, "0")}-${"x".repeat(55)}`);
        const p = await plan("dev", (c) => (services(c).orders.gate = { alarms }));
        const pattern = p.named("rollout-alarms", "aws:cloudwatch/eventRule:EventRule").inputs.eventPattern as string;
        expect(pattern).to.equal(JSON.stringify(alarmEventPattern(alarms)));
        expect(pattern.length).to.be.within(EVENT_PATTERN_MAX_CHARS - 63, EVENT_PATTERN_MAX_CHARS);
    });
});
