// The secret and IAM rules: no-plaintext-secrets, secrets-kms-encrypted and iam-least-privilege.
import { expect } from "chai";
import { iamLeastPrivilege, policyDocumentProblems } from "../../policies/rules/iamLeastPrivilege";
import { noPlaintextSecrets } from "../../policies/rules/noPlaintextSecrets";
import { isSecretName } from "../../policies/rules/secretNames";
import { secretsKmsEncrypted } from "../../policies/rules/secretsEncrypted";
import { edit, meshContainers, messages, resource, safeStack, serverAgentConfig, T, userDataFor } from "../support/policyFixtures";

const taskWithEnv = (environment: { name: string; value: string }[]) =>
    resource(T.td, "orders-blue-td", { containerDefinitions: JSON.stringify(meshContainers({ apps: ["orders"], environment })), tags: { "consul.hashicorp.com/mesh": "true" } });
const document = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

describe("policy no-plaintext-secrets", () => {
    it("tells secret names from references and plain settings", () => {
        for (const name of ["DB_PASSWORD", "API_KEY", "apiKey", "CONSUL_HTTP_TOKEN", "DP_CREDENTIAL_STATIC_TOKEN", "CONSUL_HTTPS_CACERT_PEM", "CONSUL_HTTP_AUTH", "STRIPE_SECRET", "GOSSIP_KEY"]) {
            expect(isSecretName(name), name).to.equal(true);
        }
        for (const name of ["NAME", "MESSAGE", "CONSUL_HTTP_TOKEN_FILE", "KMS_KEY_ID", "SECRET_ARN", "UPSTREAM_URIS", "MONKEY", "KEYBOARD_LAYOUT"]) {
            expect(isSecretName(name), name).to.equal(false);
        }
    });

    it("accepts secrets passed as ECS secrets and plain settings in environment", async () => {
        expect(await messages(safeStack(), noPlaintextSecrets)).to.deep.equal([]);
    });

    it("rejects a token or password in plain environment, and a private key in any variable", async () => {
        expect(await messages([taskWithEnv([{ name: "CONSUL_HTTP_TOKEN", value: "c0ffee" }])], noPlaintextSecrets)).to.deep.equal([
            'no-plaintext-secrets: container "orders" sets CONSUL_HTTP_TOKEN in plain environment; pass it in "secrets" (a Secrets Manager ARN) instead',
        ]);
        const pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----";
        expect(await messages([taskWithEnv([{ name: "TLS_MATERIAL", value: pem }])], noPlaintextSecrets)).to.deep.equal(['no-plaintext-secrets: container "orders" has a private key in plain environment variable TLS_MATERIAL']);
    });

    it("rejects a task definition whose container definitions carry a Pulumi secret", async () => {
        const leaked = resource(T.td, "leak", { containerDefinitions: "[secret]" });
        expect((await messages([leaked], noPlaintextSecrets)).join()).to.include("containerDefinitions is a secret");
    });

    it("rejects user data that carries the gossip key or an ACL token", async () => {
        const config = { ...serverAgentConfig(3), encrypt: "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=", acl: { enabled: true, default_policy: "deny", tokens: { initial_management: "1b4c7e9a-0000-4000-8000-000000000000" } } };
        const stack = edit(safeStack(), "consul-servers-lt", (i) => ({ ...i, userData: userDataFor(config) }));
        expect(await messages(stack, noPlaintextSecrets)).to.deep.equal([
            "no-plaintext-secrets: user data contains the gossip encryption key (encrypt); fetch it from Secrets Manager at boot",
            "no-plaintext-secrets: user data contains ACL token acl.tokens.initial_management; fetch it from Secrets Manager at boot",
        ]);
    });

    it("accepts user data with a template that fills the gossip key and token in at boot", async () => {
        const config = { ...serverAgentConfig(3), encrypt: "%s", acl: { enabled: true, default_policy: "deny", tokens: { initial_management: "$MANAGEMENT_TOKEN" } } };
        const stack = edit(safeStack(), "consul-servers-lt", (i) => ({ ...i, userData: userDataFor(config) }));
        expect(await messages(stack, noPlaintextSecrets)).to.deep.equal([]);
    });
});

describe("policy secrets-kms-encrypted", () => {
    it("accepts a secret encrypted with the stack's key", async () => {
        expect(await messages(safeStack(), secretsKmsEncrypted)).to.deep.equal([]);
    });

    it("rejects a secret without kmsKeyId or with the AWS managed key", async () => {
        expect(await messages([resource(T.secret, "s", { name: "s" })], secretsKmsEncrypted)).to.deep.equal([
            "secrets-kms-encrypted: secret has no kmsKeyId, so it uses the account's AWS managed key; set kmsKeyId to the stack's KMS key",
        ]);
        expect((await messages([resource(T.secret, "s", { kmsKeyId: "alias/aws/secretsmanager" })], secretsKmsEncrypted)).join()).to.include("uses the AWS managed key alias/aws/secretsmanager");
    });
});

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
        const role = resource("aws:iam/role:Role", "r", { inlinePolicies: [{ name: "all", policy: document({ Effect: "Allow", Action: "s3:*", Resource: "*" }) }] });
        expect((await messages([role], iamLeastPrivilege)).join()).to.include("inline policy all: statement 0 allows action s3:*");
    });
});
