// policies/rules/iamLeastPrivilege.ts: iam-least-privilege.
import { expect } from "chai";
import { iamLeastPrivilege, policyDocumentProblems } from "../../../policies/rules/iamLeastPrivilege";
import { messages, resource, safeStack } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

const document = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

describe("policy iam-least-privilege", () => {
    it("accepts named actions on named resources, and * where AWS allows nothing else", async () => {
        expect(await messages(safeStack(), iamLeastPrivilege)).to.deep.equal([]);
        expect(policyDocumentProblems(document({ Effect: "Allow", Action: ["sts:GetCallerIdentity", "ecr:GetAuthorizationToken"], Resource: "*" }))).to.deep.equal([]);
        expect(policyDocumentProblems(document({ Effect: "Deny", Action: "*", Resource: "*" }))).to.deep.equal([]);
    });

    it("rejects a * or whole-service action", async () => {
        const stack = [resource(T.rolePolicy, "p", { policy: document({ Sid: "Everything", Effect: "Allow", Action: "*", Resource: "*" }) })];
        expect(await messages(stack, iamLeastPrivilege)).to.deep.equal(["iam-least-privilege: statement Everything allows action *; name the actions the role needs"]);
        expect(policyDocumentProblems(document({ Effect: "Allow", Action: ["ecs:*"], Resource: "arn:aws:ecs:eu-west-1:1:cluster/x" }))).to.deep.equal(["statement 0 allows action ecs:*; name the actions the role needs"]);
    });

    it("rejects * resources for actions that take ARNs, and ListTasks on * without a condition", () => {
        expect(policyDocumentProblems(document({ Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "ec2:DescribeInstances"], Resource: "*" }))).to.deep.equal([
            'statement 0 allows secretsmanager:GetSecretValue on Resource "*"; these actions take resource ARNs, so name them',
        ]);
        expect(policyDocumentProblems(document({ Effect: "Allow", Action: "ecs:ListTasks", Resource: "*" }))).to.have.length(1);
    });

    it("rejects NotAction, and broad AWS managed policies on roles", async () => {
        expect(policyDocumentProblems(document({ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b" }))[0]).to.include("uses NotAction");
        const attach = resource(T.attachment, "admin", { role: "r", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
        expect(await messages([attach], iamLeastPrivilege)).to.deep.equal(["iam-least-privilege: attaches AWS managed policy arn:aws:iam::aws:policy/AdministratorAccess, which grants whole services; write a policy with the actions needed"]);
        const role = resource(T.role, "r", { inlinePolicies: [{ name: "all", policy: document({ Effect: "Allow", Action: "s3:*", Resource: "*" }) }] });
        expect((await messages([role], iamLeastPrivilege)).join()).to.include("inline policy all: statement 0 allows action s3:*");
    });
});
