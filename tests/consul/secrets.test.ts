// The Consul secrets' values derived from random seeds: a gossip key and a management token.
import { expect } from "chai";
import { gossipKeyFromSeed, uuidFromSeed } from "../../src/consul/secrets";

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
