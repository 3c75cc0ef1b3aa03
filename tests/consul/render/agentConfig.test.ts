// The Consul server agent config, from plain data, key by key against
// docs/platform-facts.md#tls-gossip-and-acls, #consul-servers; and the secret config writer, run in
// a real shell.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    awsDiscoverArgs,
    discoverHosts,
    quorumSize,
    renderServerAgentConfig,
    secretConfigShell,
    serverAgentConfig,
    serverTlsName,
} from "../../../src/consul/render/agentConfig";
import { DEV_SERVER_PATHS } from "../../../src/consul/render/devServerContainer";
import { HA_SERVER_PATHS } from "../../../src/consul/render/userData";

const autoJoin = { region: "eu-west-1", tagKey: "bluegreen-consul-server", tagValue: "bluegreen-prod-dc1" };
const haOptions = { mode: "ha", datacenter: "dc1", serverCount: 3, autoJoin, dataDir: HA_SERVER_PATHS.dataDir, tls: HA_SERVER_PATHS.tls } as const;

/** The TLS block docs/platform-facts.md#tls-gossip-and-acls describes, exactly. */
const expectedTls = {
    defaults: { ca_file: "/opt/consul/tls/ca.pem", cert_file: "/opt/consul/tls/server.pem", key_file: "/opt/consul/tls/server-key.pem", verify_outgoing: true },
    internal_rpc: { verify_incoming: true, verify_server_hostname: true },
    grpc: { verify_incoming: false },
    https: { verify_incoming: false },
};

describe("server agent config", () => {
    it("renders the ha config key by key (docs/platform-facts.md#tls-gossip-and-acls, #consul-servers)", () => {
        const config = JSON.parse(renderServerAgentConfig(haOptions));
        expect(config.server).to.equal(true);
        expect(config.datacenter).to.equal("dc1");
        expect(config.data_dir).to.equal("/opt/consul/data");
        expect(config.bootstrap_expect).to.equal(3);
        expect(config.retry_join).to.deep.equal(["provider=aws region=eu-west-1 tag_key=bluegreen-consul-server tag_value=bluegreen-prod-dc1"]);
        expect(config.client_addr).to.equal("0.0.0.0");
        expect(config.ports).to.deep.equal({ https: 8501, grpc_tls: 8503, http: -1 });
        expect(config.tls).to.deep.equal(expectedTls);
        expect(config.acl).to.deep.equal({ enabled: true, default_policy: "deny", down_policy: "extend-cache", enable_token_persistence: true });
        expect(config.connect).to.deep.equal({ enabled: true });
        expect(config.enable_central_service_config).to.equal(true);
        expect(config.autopilot).to.deep.equal({ cleanup_dead_servers: true, min_quorum: 3 });
        expect(config).to.not.have.property("bootstrap");
        // No secret and no placeholder for one: both come from the separate secrets.json at boot.
        expect(config).to.not.have.property("encrypt");
        expect(config.acl).to.not.have.property("tokens");
        expect(Object.keys(config).sort()).to.deep.equal(
            [
                "acl",
                "autopilot",
                "bootstrap_expect",
                "client_addr",
                "connect",
                "data_dir",
                "datacenter",
                "disable_update_check",
                "enable_central_service_config",
                "ports",
                "retry_join",
                "server",
                "tls",
                "ui_config",
            ].sort(),
        );
    });

    it("sets bootstrap_expect and min_quorum to the server count", () => {
        const five = serverAgentConfig({ ...haOptions, serverCount: 5 });
        expect(five.bootstrap_expect).to.equal(5);
        expect(five.autopilot).to.deep.equal({ cleanup_dead_servers: true, min_quorum: 5 });
        expect(quorumSize(3)).to.equal(2);
        expect(quorumSize(5)).to.equal(3);
    });

    it("rejects an even or too small ha server count", () => {
        for (const serverCount of [1, 2, 4, 2.5]) {
            expect(() => serverAgentConfig({ ...haOptions, serverCount })).to.throw(/odd count of at least 3.*bluegreen:consul.servers.count/);
        }
    });

    it("renders the dev config: one self-bootstrapping server, same TLS and ACLs, no auto-join", () => {
        const config = JSON.parse(renderServerAgentConfig({ mode: "dev", datacenter: "dc1", dataDir: DEV_SERVER_PATHS.dataDir, tls: DEV_SERVER_PATHS.tls }));
        expect(config.bootstrap).to.equal(true);
        expect(config).to.not.have.any.keys("bootstrap_expect", "retry_join", "autopilot", "encrypt");
        expect(config.data_dir).to.equal("/consul/data");
        expect(config.ports).to.deep.equal({ https: 8501, grpc_tls: 8503, http: -1 });
        expect(config.tls.defaults).to.deep.equal({ ca_file: "/consul/tls/ca.pem", cert_file: "/consul/tls/server.pem", key_file: "/consul/tls/server-key.pem", verify_outgoing: true });
        expect(config.tls.internal_rpc).to.deep.equal(expectedTls.internal_rpc);
        expect(config.tls.grpc).to.deep.equal({ verify_incoming: false });
        expect(config.tls.https).to.deep.equal({ verify_incoming: false });
        expect(config.acl.default_policy).to.equal("deny");
        expect(config.connect).to.deep.equal({ enabled: true });
        expect(config.enable_central_service_config).to.equal(true);
    });

    it("builds the consul-ecs discover command and the TLS server name", () => {
        expect(discoverHosts(autoJoin)).to.equal("exec=discover -q addrs provider=aws region=eu-west-1 tag_key=bluegreen-consul-server tag_value=bluegreen-prod-dc1");
        expect(serverTlsName("dc2")).to.equal("server.dc2.consul");
        expect(() => awsDiscoverArgs({ ...autoJoin, tagValue: "two words" })).to.throw(/single word/);
    });
});

describe("secret config writer (run in a real shell)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-secrets-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const AGENT = "9b1d2c3e-4f5a-4b6c-8d7e-1f2a3b4c5d6e";
    const run = (gossip: string, token: string, agent = AGENT) => {
        const file = path.join(dir, "secrets.json");
        const script = secretConfigShell({ gossipKeyVar: "GOSSIP", tokenVar: "TOKEN", agentTokenVar: "AGENT", path: file }).join("\n");
        execFileSync("sh", ["-ec", script], { env: { PATH: process.env.PATH, GOSSIP: gossip, TOKEN: token, AGENT: agent }, stdio: "pipe" });
        return JSON.parse(fs.readFileSync(file, "utf8"));
    };

    it("writes the gossip key, the management token and the servers' agent token as JSON Consul merges", () => {
        const gossip = Buffer.alloc(32, 7).toString("base64");
        const token = "3f2c9a1e-8d4b-4c7a-9e5f-0a1b2c3d4e5f";
        expect(run(gossip, token)).to.deep.equal({ encrypt: gossip, acl: { tokens: { initial_management: token, agent: AGENT } } });
    });

    it("refuses values that are not base64 / a UUID, so they cannot break the JSON", () => {
        expect(() => run('abc"def', "3f2c9a1e-8d4b-4c7a-9e5f-0a1b2c3d4e5f")).to.throw(/not base64/);
        expect(() => run(Buffer.alloc(32).toString("base64"), 'x", "y')).to.throw(/not a UUID/);
        expect(() => run(Buffer.alloc(32).toString("base64"), "3f2c9a1e-8d4b-4c7a-9e5f-0a1b2c3d4e5f", 'x", "y')).to.throw(/agent token .* not a UUID/);
        expect(() => run("", "3f2c9a1e-8d4b-4c7a-9e5f-0a1b2c3d4e5f")).to.throw(/not base64/);
    });

    it("names only variables, never values", () => {
        const text = secretConfigShell({ gossipKeyVar: "GOSSIP", tokenVar: "TOKEN", agentTokenVar: "AGENT", path: "/x" }).join("\n");
        expect(text).to.include('"$GOSSIP"').and.include('"$TOKEN"').and.include('"$AGENT"');
    });
});
