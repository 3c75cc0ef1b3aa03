// The thin axios client, against a loopback HTTP server that answers in Consul's documented
// response format (tests/fakeConsul.ts). No Consul runs here; this checks our requests and parsing.
import { expect } from "chai";
import { ConsulHttpError, consulHttpClient } from "../components/consulHttp";
import { FakeConsul, startFakeConsul } from "./fakeConsul";

describe("Consul HTTP client (loopback server in Consul's response format)", () => {
    let consul: FakeConsul;
    beforeEach(async () => {
        consul = await startFakeConsul({
            instances: [
                { service: "orders", version: "blue", status: "passing" },
                { service: "orders", version: "blue", status: "passing" },
                { service: "orders", version: "green", status: "passing" },
                { service: "orders", version: "green", status: "critical" },
                { service: "inventory", version: "green", status: "passing" },
            ],
        });
    });
    afterEach(() => consul.close());

    const client = (token = "management-token") => consulHttpClient({ address: consul.address, scheme: "http", token });

    it("reads the leader, and an empty leader while there is none", async () => {
        expect(await client().leader()).to.equal("10.40.1.10:8300");
        consul.state.leader = "";
        expect(await client().leader()).to.equal("");
    });

    it("reads the token's identity and sends the token as X-Consul-Token", async () => {
        expect(await client().tokenSelf()).to.deep.equal({ accessorId: "fake-accessor", description: "Initial Management Token" });
    });

    it("raises a ConsulHttpError with status 403 for a token Consul does not know", async () => {
        const err = await client("wrong").tokenSelf().then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(ConsulHttpError);
        expect((err as ConsulHttpError).status).to.equal(403);
        expect((err as Error).message).to.include("ACL not found");
    });

    it("counts only the passing instances of one colour", async () => {
        expect(await client().passingInstances("orders", "blue")).to.equal(2);
        expect(await client().passingInstances("orders", "green")).to.equal(1);
        expect(await client().passingInstances("inventory", "blue")).to.equal(0);
        expect(consul.state.requests).to.include('GET /v1/health/service/orders?passing=true&filter=Service.Meta.version+%3D%3D+%22blue%22');
    });

    it("reports an unreachable address as a ConsulHttpError", async () => {
        const address = consul.address;
        await consul.close();
        const err = await consulHttpClient({ address, scheme: "http", timeoutMs: 500 })
            .leader()
            .then(
                () => undefined,
                (e: unknown) => e,
            );
        expect(err).to.be.instanceOf(ConsulHttpError);
        expect((err as Error).message).to.include(address);
        consul = await startFakeConsul();
    });
});
