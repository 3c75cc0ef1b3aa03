// The security-group and ACL-rule evaluators on small hand-made records: rule by rule, both sides.
import { expect } from "chai";
import { everyName, grants, mergeAclRules, parseAclRules, topLevel } from "../../src/preflight/aclRules";
import { IamEvaluator } from "../../src/preflight/iam";
import { PlanIndex, PlanRecord } from "../../src/preflight/planIndex";
import { cidrContains, SecurityGroupEvaluator } from "../../src/preflight/securityGroups";
import { matcherAccepts } from "../../src/preflight/steps/publicEdge";

const sg = (name: string): PlanRecord => ({ type: "aws:ec2/securityGroup:SecurityGroup", name, urn: `urn:${name}`, inputs: {} });
const rule = (kind: "Ingress" | "Egress", name: string, inputs: Record<string, unknown>): PlanRecord => ({
    type: `aws:vpc/securityGroup${kind}Rule:SecurityGroup${kind}Rule`,
    name,
    urn: `urn:${name}`,
    inputs,
});

describe("preflight: security groups, rule by rule", function () {
    const a = sg("a");
    const b = sg("b");
    const records = [
        a,
        b,
        { type: "awsx:ec2:Vpc", name: "vpc", urn: "urn:vpc", inputs: { cidrBlock: "10.1.0.0/16" } },
        rule("Egress", "a-out-range", { securityGroupId: "a-id", referencedSecurityGroupId: "b-id", ipProtocol: "tcp", fromPort: 8300, toPort: 8302 }),
        rule("Ingress", "b-in-range", { securityGroupId: "b-id", referencedSecurityGroupId: "a-id", ipProtocol: "tcp", fromPort: 8300, toPort: 8301 }),
        rule("Egress", "a-out-all", { securityGroupId: "a-id", cidrIpv4: "10.1.0.0/16", ipProtocol: "-1" }),
        rule("Ingress", "b-in-udp-subnet", { securityGroupId: "b-id", cidrIpv4: "10.1.2.0/24", ipProtocol: "udp", fromPort: 53, toPort: 53 }),
    ];
    const index = new PlanIndex({ stack: "t", resources: records });
    const net = new SecurityGroupEvaluator(index);
    const at = (groups: PlanRecord[]) => ({ label: groups.map((g) => g.name).join(), groups, cidr: "10.1.0.0/16" });

    it("needs egress on the source and ingress on the target, within the port range and protocol", () => {
        expect(net.reach(at([a]), at([b]), "tcp", 8301).ok).to.equal(true);
        const outOfRange = net.reach(at([a]), at([b]), "tcp", 8302);
        expect(outOfRange.ok).to.equal(false);
        expect(outOfRange.blockedAt?.name).to.equal("b");
        expect(net.reach(at([a]), at([b]), "udp", 8301).ok, "ingress is tcp only").to.equal(false);
        const noEgress = net.reach(at([b]), at([a]), "tcp", 8300);
        expect(noEgress.ok).to.equal(false);
        expect(noEgress.blockedAt?.name).to.equal("b");
        expect(noEgress.text).to.include("no egress rule of b");
    });

    it("a CIDR matches only a peer whose whole address range it holds", () => {
        expect(net.reach(at([a]), at([b]), "udp", 53).ok, "the source may be anywhere in the VPC, not only 10.1.2.0/24").to.equal(false);
        expect(net.reach({ label: "host", groups: [a], cidr: "10.1.2.0/28" }, at([b]), "udp", 53).ok).to.equal(true);
        expect(cidrContains("0.0.0.0/0", "10.1.0.0/16")).to.equal(true);
        expect(cidrContains("10.1.0.0/16", "10.2.0.0/24")).to.equal(false);
        expect(cidrContains("10.1.2.0/24", "10.1.0.0/16")).to.equal(false);
        expect(cidrContains("::/0", "10.1.0.0/16")).to.equal(false);
    });
});

describe("preflight: IAM through the policy evaluator", function () {
    const role: PlanRecord = { type: "aws:iam/role:Role", name: "r", urn: "urn:r", inputs: { path: "/" } };
    const policy = (statements: unknown[]): PlanRecord => ({ type: "aws:iam/rolePolicy:RolePolicy", name: "r-policy", urn: "urn:p", inputs: { role: "r-id", policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) } });

    it("honours conditions, explicit denies and refuses unknown actions", async () => {
        // A key of the plan without a key policy gets AWS's default one, which defers to IAM policies.
        const keyRecord: PlanRecord = { type: "aws:kms/key:Key", name: "k", urn: "urn:k", inputs: {} };
        const key = "arn:aws:kms:eu-west-1:123456789012:key/k-key-id";
        const iam = new IamEvaluator(
            new PlanIndex({
                stack: "t",
                resources: [
                    role,
                    keyRecord,
                    policy([
                        { Effect: "Allow", Action: "kms:Decrypt", Resource: key, Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } } },
                        { Effect: "Allow", Action: "ec2:*", Resource: "*" },
                        { Effect: "Deny", Action: "ec2:TerminateInstances", Resource: "*" },
                    ]),
                ],
            }),
        );
        expect((await iam.decide(role, { action: "kms:Decrypt", resource: key, context: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } })).allowed).to.equal(true);
        expect((await iam.decide(role, { action: "kms:Decrypt", resource: key, context: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } })).allowed).to.equal(false);
        expect((await iam.decide(role, { action: "ec2:DescribeInstances", resource: "*" })).allowed).to.equal(true);
        const denied = await iam.decide(role, { action: "ec2:TerminateInstances", resource: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123" });
        expect(denied.allowed).to.equal(false);
        expect(denied.text).to.include("explicitly denied");
        const unknown = await iam.decide(role, { action: "ec2:DescribeInstancez", resource: "*" });
        expect(unknown.allowed).to.equal(false);
        expect(unknown.text).to.include("refused");
    });

    it("a key policy that does not defer to IAM refuses a role its IAM policy allows", async () => {
        const keyRecord: PlanRecord = {
            type: "aws:kms/key:Key",
            name: "k",
            urn: "urn:k",
            inputs: { policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:role/admin" }, Action: "kms:*", Resource: "*" }] }) },
        };
        const iam = new IamEvaluator(new PlanIndex({ stack: "t", resources: [role, keyRecord, policy([{ Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }])] }));
        expect((await iam.decide(role, { action: "kms:Decrypt", resource: "arn:aws:kms:eu-west-1:123456789012:key/k-key-id" })).allowed).to.equal(false);
    });
});

describe("preflight: Consul ACL rules and ELB matchers", function () {
    it("reads HCL rules with HashiCorp's parser and grants by level", async () => {
        const rules = await parseAclRules('acl = "write"\nnode_prefix "" {\n  policy = "write"\n}\nservice_prefix "web" {\n  policy = "read"\n}\n');
        expect(grants(topLevel(rules, "acl"), "write")).to.equal(true);
        expect(grants(everyName(rules, "node"), "read")).to.equal(true);
        expect(grants(everyName(rules, "service"), "read"), "a prefix for web is not every service").to.equal(false);
        expect(grants(everyName(rules, "agent"), "read")).to.equal(false);
        expect(grants("deny", "read")).to.equal(false);
        await parseAclRules('acl = "write" node {').then(
            () => expect.fail("invalid HCL must be refused"),
            (err: unknown) => expect(String(err)).to.include("rules.hcl"),
        );
    });

    it("adds up several policies' rules; deny wins", async () => {
        const merged = mergeAclRules([await parseAclRules('node_prefix "" {\n  policy = "read"\n}\n'), await parseAclRules('node_prefix "" {\n  policy = "write"\n}\nacl = "read"\n'), { acl: "write" }]);
        expect(everyName(merged, "node")).to.equal("write");
        expect(topLevel(merged, "acl")).to.equal("write");
        expect(everyName(mergeAclRules([merged, await parseAclRules('node_prefix "" {\n  policy = "deny"\n}\n')]), "node")).to.equal("deny");
    });

    it("matches ELB matchers", () => {
        expect(matcherAccepts("200-499", 404)).to.equal(true);
        expect(matcherAccepts("200,302", 404)).to.equal(false);
        expect(matcherAccepts("200,404", 404)).to.equal(true);
    });
});
