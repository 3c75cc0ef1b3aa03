// policies/rules/noPlaintextSecrets.ts: no-plaintext-secrets.
import { expect } from "chai";
import { noPlaintextSecrets } from "../../../policies/rules/noPlaintextSecrets";
import { isSecretName } from "../../../src/shared/secretNames";
import { edit, meshContainers, messages, resource, safeStack, serverAgentConfig, userDataFor } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

const taskWithEnv = (environment: { name: string; value: string }[]) =>
    resource(T.td, "orders-blue-td", { containerDefinitions: JSON.stringify(meshContainers({ apps: ["orders"], environment })), tags: { "consul.hashicorp.com/mesh": "true" } });

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
