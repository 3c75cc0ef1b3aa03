// The thin axios client, against a loopback HTTP server that answers in Consul's documented
// response format (tests/support/fakeConsul.ts). No Consul runs here; this checks our requests and
// parsing.
import { expect } from "chai";
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";
import { TLSSocket } from "tls";
import { ConsulHttpError, consulHttpClient } from "../../src/consul/httpClient";
import { FakeConsul, startFakeConsul } from "../support/fakeConsul";
import { makeThrowawayTls } from "../support/throwawayTls";

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

// Kept-alive connections (the client reuses them): a server that closes an idle connection at an
// unfortunate moment resets the next request sent on it. A loopback HTTP server answering Consul's
// leader call that resets the second request of the first connection stands for it.
describe("Consul HTTP client, a kept-alive connection the server closed", () => {
    let server: http.Server;
    let address: string;
    let connections: number;
    let requests: number;
    let resetOnReuse: boolean;

    beforeEach(async () => {
        connections = 0;
        requests = 0;
        resetOnReuse = true;
        const perSocket = new WeakMap<object, number>();
        server = http.createServer((req, res) => {
            requests++;
            const n = (perSocket.get(req.socket) ?? 0) + 1;
            perSocket.set(req.socket, n);
            if (n === 2 && resetOnReuse) {
                req.socket.destroy();
                return;
            }
            res.writeHead(200, { "Content-Type": "application/json" });
            res.end(JSON.stringify("10.40.1.10:8300"));
        });
        server.on("connection", () => connections++);
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("reuses the connection, and sends a request reset on a reused connection once more on a new one", async () => {
        const client = consulHttpClient({ address, scheme: "http", timeoutMs: 2000 });
        expect(await client.leader()).to.equal("10.40.1.10:8300");
        expect(await client.leader()).to.equal("10.40.1.10:8300");
        expect({ connections, requests }).to.deep.equal({ connections: 2, requests: 3 });
        // The new connection is kept and reused in turn.
        resetOnReuse = false;
        expect(await client.leader()).to.equal("10.40.1.10:8300");
        expect({ connections, requests }).to.deep.equal({ connections: 2, requests: 4 });
    });

    it("does not send again a request reset on a new connection: the error reaches the caller", async () => {
        const client = consulHttpClient({ address, scheme: "http", timeoutMs: 2000 });
        server.removeAllListeners("request");
        server.on("request", (req: http.IncomingMessage) => {
            requests++;
            req.socket.destroy();
        });
        const err = await client.leader().then(
            () => undefined,
            (e: unknown) => e as Error,
        );
        expect(err).to.be.instanceOf(ConsulHttpError);
        expect(err?.message).to.match(/socket hang up|ECONNRESET/);
        expect(requests).to.equal(1);
    });
});

// Over HTTPS, as against a real server: the program reaches Consul by a name the server certificate may
// not carry (an address like localhost:8501 through a tunnel, or an IP), so the client must send and
// verify `server.<dc>.consul` and trust only the stack's CA. The certificates are made with the
// openssl CLI (tests/support/throwawayTls.ts: a throwaway CA; the server certificate names
// server.dc1.consul only).
describe("Consul HTTP client over TLS (loopback HTTPS server, throwaway CA)", () => {
    let server: https.Server;
    let address: string;
    let caPem: string;
    let otherCaPem: string;
    const seen: { servername: string | false | null; token?: string }[] = [];

    before(async () => {
        const tls = makeThrowawayTls();
        caPem = tls.caPem;
        otherCaPem = tls.otherCaPem;
        server = https.createServer({ key: tls.serverKeyPem, cert: tls.serverCertPem }, (req, res) => {
            seen.push({ servername: (req.socket as TLSSocket).servername, token: req.headers["x-consul-token"] as string | undefined });
            res.writeHead(200, { "Content-Type": "application/json" });
            res.end(JSON.stringify("10.40.1.10:8300"));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        address = `localhost:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const failure = (promise: Promise<unknown>) =>
        promise.then(
            () => expect.fail("expected the TLS connection to be refused"),
            (err: unknown) => err as Error,
        );

    it("sends the TLS server name as SNI, verifies the certificate against it and the stack's CA", async () => {
        seen.length = 0;
        const client = consulHttpClient({ address, caCertPem: caPem, tlsServerName: "server.dc1.consul", token: "management-token" });
        expect(await client.leader()).to.equal("10.40.1.10:8300");
        expect(seen).to.deep.equal([{ servername: "server.dc1.consul", token: "management-token" }]);
    });

    it("refuses a certificate that does not carry the name it checks (here, the address's host)", async () => {
        const err = await failure(consulHttpClient({ address, caCertPem: caPem, timeoutMs: 2000 }).leader());
        expect(err).to.be.instanceOf(ConsulHttpError);
        expect(err.message).to.match(/altnames|does not match/i);
    });

    it("refuses a server whose certificate another CA signed", async () => {
        const err = await failure(consulHttpClient({ address, caCertPem: otherCaPem, tlsServerName: "server.dc1.consul", timeoutMs: 2000 }).leader());
        expect(err).to.be.instanceOf(ConsulHttpError);
        expect(err.message).to.match(/certificate/i);
    });
});
