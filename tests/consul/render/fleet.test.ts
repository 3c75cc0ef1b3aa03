// Plain decisions behind the server cluster: the AMI parameter per architecture, the rolling
// replacement rate, and the secrets derived from @pulumi/random seeds.
import { expect } from "chai";
import { gossipKeyFromSeed, uuidFromSeed } from "../../../src/consul/secrets";
import { quorumSize } from "../../../src/consul/render/agentConfig";
import { amazonLinuxAmiParameter, rollingMinHealthyPercentage } from "../../../src/consul/render/fleet";

describe("server fleet", () => {
    it("picks the Amazon Linux 2023 parameter matching the instance type's architecture", () => {
        const arm = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";
        const x86 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        for (const type of ["t4g.small", "m7g.large", "c6gn.xlarge", "r8gd.2xlarge", "m6gd.medium", "im4gn.large", "is4gen.xlarge"]) {
            expect(amazonLinuxAmiParameter(type), type).to.equal(arm);
        }
        for (const type of ["t3.small", "m7i.large", "c7a.xlarge", "m5zn.large", "g4dn.xlarge", "r7iz.large", "m5d.large"]) {
            expect(amazonLinuxAmiParameter(type), type).to.equal(x86);
        }
    });

    it("replaces exactly one server at a time, keeping quorum", () => {
        expect(rollingMinHealthyPercentage(3)).to.equal(66);
        expect(rollingMinHealthyPercentage(5)).to.equal(80);
        expect(rollingMinHealthyPercentage(7)).to.equal(85);
        for (const count of [3, 5, 7]) {
            const kept = Math.ceil((count * rollingMinHealthyPercentage(count)) / 100);
            expect(kept, `servers kept of ${count}`).to.equal(count - 1);
            expect(kept).to.be.at.least(quorumSize(count));
        }
        expect(() => rollingMinHealthyPercentage(1)).to.throw(/quorum/);
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
