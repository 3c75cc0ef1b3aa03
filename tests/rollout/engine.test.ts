// The RolloutEngine component as the whole program registers it (mock runtime): the Lambda in the
// private subnets behind its own security group, configured with ARNs only (never a secret value),
// its Consul token's policy, least-privilege roles, the state machine, and the alarm rule only when a
// service is gated on alarms. Also the documents it is built from, and the bundled code.
import { expect } from "chai";
import aslValidator from "asl-validator";
import { engineBundle } from "../../src/rollout/bundle";
import { engineAclRules, engineFunctionPolicy, engineSplitterNames, engineStateMachinePolicy, operatorAclRules } from "../../src/rollout/render/enginePolicies";
import { alarmEventPattern } from "../../src/shared/engineAlarms";
import { policyDocumentProblems } from "../../policies/rules/iamLeastPrivilege";
import { examplePlan, plan, services } from "../support/harness";

const T = {
    engine: "bluegreen:rollout:RolloutEngine",
    fn: "aws:lambda/function:Function",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    machine: "aws:sfn/stateMachine:StateMachine",
    rule: "aws:cloudwatch/eventRule:EventRule",
    aclPolicy: "consul:index/aclPolicy:AclPolicy",
};

describe("RolloutEngine (mock runtime, the whole program)", () => {
    it("runs the tick Lambda in the private subnets behind its own security group, configured with ARNs only", async () => {
        const p = await examplePlan("prod");
        const engine = p.named("rollout", T.engine);
        const fn = p.named("rollout-tick", T.fn);
        expect(fn.parent).to.equal(engine.urn);
        expect(fn.inputs).to.deep.include({ runtime: "nodejs22.x", handler: "index.handler", timeout: 60 });
        const vpc = fn.inputs.vpcConfig as { subnetIds: string[]; securityGroupIds: string[] };
        expect(vpc.subnetIds).to.have.length(3);
        expect(vpc.securityGroupIds).to.deep.equal(["sg-rolloutEngine-id"]);
        const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        expect(Object.keys(env).sort()).to.deep.equal(["CONSUL_ADDRESS", "CONSUL_CA_SECRET_ARN", "CONSUL_TLS_SERVER_NAME", "CONSUL_TOKEN_SECRET_ARN"]);
        expect(env.CONSUL_ADDRESS).to.match(/:8501$/);
        expect(env.CONSUL_TOKEN_SECRET_ARN).to.match(/^arn:aws:secretsmanager:/);
        expect(fn.secretInputs).to.deep.equal([]);
        expect(fn.inputs.sourceCodeHash).to.equal(Buffer.from(engineBundle().sha256, "hex").toString("base64"));
        // The token's value reaches Secrets Manager only as a Pulumi secret.
        expect(p.named("rollout-token", "aws:secretsmanager/secretVersion:SecretVersion").secretInputs).to.include("secretString");
    });

    it("gives its token exactly the KV prefix, each service's splitter, and read of services and nodes", async () => {
        const p = await examplePlan("prod");
        expect(p.named("rollout-policy", T.aclPolicy).inputs.rules).to.equal(engineAclRules(["inventory", "orders"]));
        const rules = engineAclRules(["orders", "inventory"]);
        expect(rules).to.contain('key_prefix "bluegreen/rollout/" {\n  policy = "write"\n}');
        expect(rules).to.contain('service "inventory" {\n  policy = "write"\n}\n\nservice "orders" {\n  policy = "write"\n}');
        expect(rules).to.contain('service_prefix "" {\n  policy = "read"\n}');
        expect(rules).to.contain('node_prefix "" {\n  policy = "read"\n}');
        expect(rules).not.to.match(/acl|operator|agent|intention|keyring/);
    });

    it("the program gives the engine's token a sticky service's virtual splitters", async () => {
        const sticky = await plan("prod", (c) => (services(c).orders.rollout = { ...services(c).orders.rollout, sticky: true }));
        expect(sticky.named("rollout-policy", T.aclPolicy).inputs.rules).to.equal(engineAclRules(["inventory", "orders", "orders-sticky-blue", "orders-sticky-green"]));
    });

    it("lets its token write a sticky service's two virtual splitters too, and nothing of a service without stickiness", () => {
        const names = engineSplitterNames([
            { name: "orders", rollout: { sticky: true } },
            { name: "inventory", rollout: { sticky: false } },
        ]);
        expect(names).to.deep.equal(["orders", "orders-sticky-blue", "orders-sticky-green", "inventory"]);
        const rules = engineAclRules(names);
        for (const name of ["inventory", "orders", "orders-sticky-blue", "orders-sticky-green"]) {
            expect(rules).to.contain(`service "${name}" {\n  policy = "write"\n}`);
        }
        expect(rules).not.to.contain("inventory-sticky");
        expect(rules.match(/policy = "write"/g)).to.have.length(5);
    });

    it("gives operators a token of their own: read the rollouts, write only the rollouts' command slots, never a splitter or a state", async () => {
        const p = await examplePlan("prod");
        expect(p.named("rollout-operator-policy", T.aclPolicy).inputs.rules).to.equal(operatorAclRules());
        expect(p.named("rollout-operator-token", "aws:secretsmanager/secretVersion:SecretVersion").secretInputs).to.include("secretString");
        expect(p.result.outputs.rollout).to.have.property("operatorTokenSecretArn").that.matches(/^arn:aws:secretsmanager:/);
        const rules = operatorAclRules();
        expect(rules).to.contain('key_prefix "bluegreen/rollout/" {\n  policy = "read"\n}');
        expect(rules).to.contain('key_prefix "bluegreen/rollout/commands/" {\n  policy = "write"\n}');
        expect(rules.match(/policy = "write"/g)).to.have.length(1);
        expect(rules).to.contain('service_prefix "" {\n  policy = "read"\n}');
        expect(rules).not.to.match(/acl|operator|agent|intention|keyring/);
    });

    it("scopes the Lambda's role to its logs, secrets, key, gated alarms and VPC interfaces", () => {
        const doc = engineFunctionPolicy({
            partition: "aws",
            region: "eu-west-1",
            accountId: "123456789012",
            logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/prod-rollout-tick",
            secretArns: ["arn:token", "arn:ca"],
            kmsKeyArn: "arn:key",
            alarmNames: ["orders-5xx"],
        });
        const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
        expect(bySid.ReadGateAlarms.Resource).to.deep.equal(["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-5xx"]);
        expect(bySid.ReadConsulTokenAndCa.Resource).to.deep.equal(["arn:token", "arn:ca"]);
        expect(doc.Statement.filter((s) => s.Resource === "*").map((s) => s.Action)).to.deep.equal([["ec2:DescribeNetworkInterfaces"]]);
        expect(engineFunctionPolicy({ ...{ partition: "aws", region: "r", accountId: "1", logGroupArn: "l", secretArns: [], kmsKeyArn: "k" }, alarmNames: [] }).Statement.map((s) => s.Sid)).not.to.include("ReadGateAlarms");
        // gate.analysis: GetMetricData, which takes no resource ARN, only when some service asks for analysis.
        const reading = engineFunctionPolicy({ partition: "aws", region: "r", accountId: "1", logGroupArn: "l", secretArns: [], kmsKeyArn: "k", alarmNames: [], readsMeshMetrics: true });
        expect(reading.Statement.find((s) => s.Sid === "ReadMeshMetrics")).to.deep.equal({ Sid: "ReadMeshMetrics", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: "*" });
        expect(policyDocumentProblems(reading)).to.deep.equal([]);
        expect(doc.Statement.map((s) => s.Sid)).not.to.include("ReadMeshMetrics");
        const machine = engineStateMachinePolicy("arn:fn", "arn:sm");
        expect(machine.Statement.map((s) => [s.Action, s.Resource])).to.deep.equal([
            [["lambda:InvokeFunction"], ["arn:fn", "arn:fn:*"]],
            [["states:StartExecution"], "arn:sm"],
        ]);
    });

    it("registers a Standard state machine whose definition is valid ASL and invokes the tick Lambda", async () => {
        const p = await examplePlan("dev");
        const machine = p.named("rollout-machine", T.machine);
        expect(machine.inputs.type).to.equal("STANDARD");
        const definition = JSON.parse(machine.inputs.definition as string);
        expect(aslValidator(definition).isValid).to.equal(true);
        expect(definition.States.Tick.Parameters.FunctionName).to.match(/^arn:aws:lambda:.*rollout-tick|dev-rollout-tick/);
    });

    it("adds the alarm rule, its target and the invoke permission only when a service is gated on alarms", async () => {
        const without = await examplePlan("prod");
        expect(without.ofType(T.rule).map((r) => r.name)).to.deep.equal(["rollout-watchdog"]);
        const gated = await plan("prod", (c) => (services(c).orders.gate = { alarms: ["orders-5xx", "orders-latency"] }));
        const rule = gated.named("rollout-alarms", T.rule);
        expect(JSON.parse(rule.inputs.eventPattern as string)).to.deep.equal(alarmEventPattern(["orders-5xx", "orders-latency"]));
        expect(JSON.parse(rule.inputs.eventPattern as string).detail.state.value).to.deep.equal(["ALARM"]);
        expect(gated.named("rollout-alarms", "aws:lambda/permission:Permission").inputs.principal).to.equal("events.amazonaws.com");
        expect(gated.named("rollout-alarms", "aws:cloudwatch/eventTarget:EventTarget")).to.exist;
    });

    it("invokes the same function every minute as the watchdog, from that one rule only, with a constant event", async () => {
        const p = await examplePlan("prod");
        const engine = p.named("rollout", T.engine);
        const rule = p.named("rollout-watchdog", T.rule);
        expect(rule.parent).to.equal(engine.urn);
        expect(rule.inputs.scheduleExpression).to.equal("rate(1 minute)");
        expect(rule.inputs.eventPattern).to.equal(undefined);
        const target = p.named("rollout-watchdog", "aws:cloudwatch/eventTarget:EventTarget");
        expect(JSON.parse(target.inputs.input as string)).to.deep.equal({ kind: "watchdog" });
        const permission = p.named("rollout-watchdog", "aws:lambda/permission:Permission");
        expect(permission.inputs).to.deep.include({ action: "lambda:InvokeFunction", principal: "events.amazonaws.com" });
        // Scoped to the rule: no other EventBridge rule, and no other account, may invoke the function through it.
        expect(permission.inputs.sourceArn).to.be.a("string").and.to.match(/rollout-watchdog/);
    });

    it("bundles the same code every time, without the AWS SDK (the Lambda runtime has it)", () => {
        const a = engineBundle();
        expect(a.code).to.match(/handler: \(\) => handler/);
        expect(a.code).not.to.contain("@pulumi/pulumi");
        expect(a.code).to.contain('require("@aws-sdk/client-secrets-manager")');
        expect(a.code.length).to.be.lessThan(2_000_000);
    });
});
