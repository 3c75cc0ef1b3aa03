// The Consul secrets (src/consul/secrets.ts): values derived from random seeds (a gossip key and a
// management token), and the secrets, keys and certificates the real program registers.
import { expect } from "chai";
import { gossipKeyFromSeed, uuidFromSeed } from "../../src/consul/secrets";
import { examplePlan, Plan } from "../support/harness";
import { T } from "../support/typeTokens";
import { SECRETS_KMS_KEY_ARN } from "../support/fakeArns";

describe("the Consul secrets in the example stacks", () => {
    let dev: Plan;
    let prod: Plan;
    before(async () => {
        dev = await examplePlan("dev");
        prod = await examplePlan("prod");
    });

    it("stores seven KMS-encrypted secrets named after the stack, with a rotating key", () => {
        for (const [p, stack, window] of [[prod, "prod", 30], [dev, "dev", 0]] as const) {
            const secrets = p.ofTypeUnder(T.secret, "consul");
            expect(secrets.map((s) => s.inputs.name).sort()).to.deep.equal(
                ["agent-token", "ca-cert", "ca-key", "gossip-key", "management-token", "server-cert", "server-key"].map((item) => `bluegreen/${stack}/consul/${item}`),
            );
            for (const s of secrets) {
                expect(s.inputs.kmsKeyId).to.equal(SECRETS_KMS_KEY_ARN);
                expect(s.inputs.recoveryWindowInDays).to.equal(window);
            }
            for (const v of p.ofTypeUnder(T.secretVersion, "consul")) {
                expect(v.secretInputs).to.deep.equal(["secretString"]);
            }
            expect(p.named("consul-secrets-key", T.kmsKey).inputs.enableKeyRotation).to.equal(true);
        }
    });

    it("generates an ECDSA P-384 CA and a server certificate for every name clients use", () => {
        for (const p of [prod, dev]) {
            expect(p.named("consul-secrets-ca-key", T.privateKey).inputs).to.deep.equal({ algorithm: "ECDSA", ecdsaCurve: "P384" });
            expect(p.named("consul-secrets-ca-cert", T.selfSignedCert).inputs).to.include({ isCaCertificate: true });
            const csr = p.named("consul-secrets-server-csr", T.certRequest);
            expect(csr.inputs.dnsNames).to.include.members(["server.dc1.consul", "localhost", "consul-api-mock.eu-west-1.elb.amazonaws.com"]);
            expect(csr.inputs.ipAddresses).to.deep.equal(["127.0.0.1"]);
            const cert = p.named("consul-secrets-server-cert", T.locallySignedCert);
            expect(cert.inputs.allowedUses).to.include.members(["server_auth", "client_auth"]);
        }
    });
});

describe("secrets derived from random seeds", () => {
    const seedA = "a".repeat(40) + "Z9";
    const seedB = "b".repeat(40) + "Z9";

    it("makes a 32-byte base64 gossip key, stable for a seed and different across seeds", () => {
        const key = gossipKeyFromSeed(seedA);
        expect(key).to.match(/^[A-Za-z0-9+/]{43}=$/);
        expect(Buffer.from(key, "base64")).to.have.length(32);
        expect(gossipKeyFromSeed(seedA)).to.equal(key);
        expect(gossipKeyFromSeed(seedB)).to.not.equal(key);
        expect(key).to.not.include(seedA.slice(0, 8));
    });

    it("makes a version-4 UUID token, independent of the gossip key for the same seed", () => {
        const token = uuidFromSeed(seedA);
        expect(token).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(uuidFromSeed(seedA)).to.equal(token);
        expect(uuidFromSeed(seedB)).to.not.equal(token);
        expect(Buffer.from(gossipKeyFromSeed(seedA), "base64").toString("hex")).to.not.include(token.replace(/-/g, "").slice(0, 12));
    });

    it("refuses seeds too short to carry the entropy", () => {
        expect(() => gossipKeyFromSeed("short")).to.throw(/too short/);
        expect(() => uuidFromSeed("short")).to.throw(/too short/);
    });
});
