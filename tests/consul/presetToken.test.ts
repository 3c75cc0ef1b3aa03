// The servers' agent token is created under a SecretID the program chose, through Consul's ACL API.
// Tested against a loopback HTTP server answering in that API's documented format
// (tests/support/fakeConsul.ts; it is NOT Consul), through the real axios code path.
import { expect } from "chai";
import { deletePresetToken, presetTokenProvider, upsertPresetToken } from "../../src/consul/presetToken";
import { FakeConsul, startFakeConsul } from "../support/fakeConsul";

const SECRET = "9b1d2c3e-4f5a-4b6c-8d7e-1f2a3b4c5d6e";

describe("preset ACL token (Consul ACL API)", () => {
    let consul: FakeConsul;
    beforeEach(async () => {
        consul = await startFakeConsul();
    });
    afterEach(() => consul.close());

    const options = () => ({ address: consul.address, scheme: "http" as const, token: "management-token" });
    const spec = { secretId: SECRET, description: "Consul servers' agent token", policies: ["prod-consul-server-agent"] };

    it("creates the token with the SecretID given and the policies named, and returns its AccessorID", async () => {
        const accessor = await upsertPresetToken(options(), spec);
        expect(consul.state.aclTokens).to.deep.equal([{ AccessorID: accessor, SecretID: SECRET, Description: spec.description, Policies: [{ Name: "prod-consul-server-agent" }] }]);
        expect(consul.state.requests).to.deep.equal(["GET /v1/acl/token/self", "PUT /v1/acl/token"]);
    });

    it("finds a token that already holds the SecretID and updates it instead of failing on a SecretID in use", async () => {
        const first = await upsertPresetToken(options(), spec);
        const again = await upsertPresetToken(options(), { ...spec, policies: ["prod-consul-server-agent", "extra"] });
        expect(again).to.equal(first);
        expect(consul.state.aclTokens).to.have.length(1);
        expect(consul.state.aclTokens[0].Policies).to.deep.equal([{ Name: "prod-consul-server-agent" }, { Name: "extra" }]);
        expect(consul.state.requests.slice(2)).to.deep.equal(["GET /v1/acl/token/self", `PUT /v1/acl/token/${first}`]);
    });

    it("deletes the token, and takes one that is already gone as deleted", async () => {
        const accessor = await upsertPresetToken(options(), spec);
        await deletePresetToken(options(), accessor);
        expect(consul.state.aclTokens).to.deep.equal([]);
        await deletePresetToken(options(), accessor);
    });

    it("says what Consul answered when the management token is refused", async () => {
        const error = await upsertPresetToken({ ...options(), token: "wrong" }, spec).catch((e: Error) => e);
        expect(String(error)).to.match(/PUT \/v1\/acl\/token on 127\.0\.0\.1:\d+ answered 403: ACL not found/);
    });

    it("replaces the token when its SecretID changes and updates it in place otherwise", async () => {
        const olds = { address: "a", caCertPem: "pem", token: "t", tlsServerName: "server.dc1.consul", secretId: SECRET, description: "d", policies: ["p"] };
        expect(await presetTokenProvider.diff!("id", olds, { ...olds, secretId: "other" })).to.deep.include({ changes: true, replaces: ["secretId"] });
        expect(await presetTokenProvider.diff!("id", olds, { ...olds, policies: ["p", "q"] })).to.deep.include({ changes: true, replaces: [] });
        expect(await presetTokenProvider.diff!("id", olds, { ...olds })).to.deep.include({ changes: false });
    });
});
