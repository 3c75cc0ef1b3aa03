// Where the flip reaches Consul: flags, the consul CLI's environment variables, then stack config.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { consulOptionsFrom } from "../../../cli/flip/consulOptions";
import { parseStackValues } from "../../../src/offline/stackFile";
import { stackConfig } from "../../support/harness";

describe("flip: Consul access options", () => {
    const config = parseStackValues("dev", stackConfig("dev"));
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-consul-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is undefined without any address", () => {
        expect(consulOptionsFrom(undefined, {}, config)).to.equal(undefined);
    });

    it("prefers the flag over CONSUL_HTTP_ADDR, and reads the scheme from a prefix", () => {
        const options = consulOptionsFrom("http://127.0.0.1:8500", { CONSUL_HTTP_ADDR: "consul.internal:8501" }, config);
        expect(options).to.include({ address: "127.0.0.1:8500", scheme: "http", tlsServerName: "server.dc1.consul" });
        expect(consulOptionsFrom(undefined, { CONSUL_HTTP_ADDR: "consul.internal:8501" }, config)).to.include({ address: "consul.internal:8501", scheme: "https" });
    });

    it("reads the token from CONSUL_HTTP_TOKEN_FILE and the CA from CONSUL_CACERT", () => {
        fs.writeFileSync(path.join(dir, "token"), "0b4c7e9a-0000-4000-8000-000000000001\n");
        fs.writeFileSync(path.join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
        const options = consulOptionsFrom(undefined, { CONSUL_HTTP_ADDR: "localhost:8501", CONSUL_HTTP_TOKEN_FILE: path.join(dir, "token"), CONSUL_CACERT: path.join(dir, "ca.pem"), CONSUL_TLS_SERVER_NAME: "server.dc9.consul" }, config);
        expect(options).to.include({ token: "0b4c7e9a-0000-4000-8000-000000000001", tlsServerName: "server.dc9.consul" });
        expect(options?.caCertPem).to.match(/^-----BEGIN CERTIFICATE-----/);
        expect(consulOptionsFrom(undefined, { CONSUL_HTTP_ADDR: "localhost:8501", CONSUL_HTTP_TOKEN: "direct", CONSUL_HTTP_TOKEN_FILE: path.join(dir, "token") }, config)?.token).to.equal("direct");
    });

    it("names the variable when a file cannot be read", () => {
        expect(() => consulOptionsFrom(undefined, { CONSUL_HTTP_ADDR: "localhost:8501", CONSUL_HTTP_TOKEN_FILE: path.join(dir, "missing") }, config)).to.throw(/CONSUL_HTTP_TOKEN_FILE=.*missing cannot be read/);
        expect(() => consulOptionsFrom(undefined, { CONSUL_HTTP_ADDR: "localhost:8501", CONSUL_CACERT: path.join(dir, "missing.pem") }, config)).to.throw(/CONSUL_CACERT=.*cannot be read/);
    });
});
