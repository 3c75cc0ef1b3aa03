// The Consul server's rendered artifacts, from plain data: the agent config (key by key against
// docs/platform-facts.md#tls-gossip-and-acls, #consul-servers), the secret config writer (run in a
// real shell), the ha user data script and the dev server's container.
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
import { checkServerSettings, HA_SERVER_PATHS, HASHICORP_RELEASE_KEY_FINGERPRINT, ServerSecretArns, serverUserData } from "../../../src/consul/render/userData";
import { DEV_AGENT_CONFIG_ENV, DEV_SECRET_ENV, DEV_SERVER_PATHS, devServerCommand, devServerContainer } from "../../../src/consul/render/devServerContainer";

const autoJoin = { region: "eu-west-1", tagKey: "bluegreen-consul-server", tagValue: "bluegreen-prod-dc1" };
const haOptions = { mode: "ha", datacenter: "dc1", serverCount: 3, autoJoin, dataDir: HA_SERVER_PATHS.dataDir, tls: HA_SERVER_PATHS.tls } as const;
const arns: ServerSecretArns = {
    caCert: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/ca-cert-AbCdEf",
    serverCert: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/server-cert-AbCdEf",
    serverKey: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/server-key-AbCdEf",
    gossipKey: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/gossip-key-AbCdEf",
    managementToken: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/management-token-AbCdEf",
    agentToken: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bluegreen/prod/consul/agent-token-AbCdEf",
};

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

describe("ha server user data", () => {
    const agentConfig = renderServerAgentConfig(haOptions);
    const script = serverUserData({
        consulVersion: "2.0.1",
        region: "eu-west-1",
        agentConfig,
        secretArns: arns,
        dataDevice: "/dev/sdf",
        snapshot: { bucket: "bluegreen-prod-consul-snapshots-abc", prefix: "snapshots/dc1/", schedule: "hourly" },
    });

    it("is valid bash", () => {
        const file = path.join(os.tmpdir(), `bluegreen-userdata-${process.pid}.sh`);
        fs.writeFileSync(file, script);
        try {
            execFileSync("bash", ["-n", file], { stdio: "pipe" });
        } finally {
            fs.rmSync(file, { force: true });
        }
        expect(script.startsWith("#!/bin/bash\n")).to.equal(true);
        expect(script).to.include("set -euo pipefail");
        expect(Buffer.byteLength(Buffer.from(script).toString("base64"))).to.be.below(16 * 1024, "EC2 user data limit");
    });

    it("installs the pinned version from the release zip, verified by SHA256SUMS signed with HashiCorp's key", () => {
        expect(script).to.include("CONSUL_VERSION='2.0.1'");
        expect(script).to.include('https://releases.hashicorp.com/consul/${CONSUL_VERSION}/$file');
        expect(script).to.include('zip="consul_${CONSUL_VERSION}_linux_${arch}.zip"');
        expect(script).to.include('for file in "$zip" "$sums" "$sums.sig"');
        expect(script).to.include(`VALIDSIG .* ${HASHICORP_RELEASE_KEY_FINGERPRINT}$`);
        expect(script).to.include("sha256sum --check --strict -");
        expect(script).to.not.match(/rpm\.releases\.hashicorp\.com|dnf install -y consul/);
    });

    it("writes the rendered agent config verbatim, and the secrets into a separate root-owned file", () => {
        const heredoc = /cat > \/etc\/consul\.d\/consul\.json <<'CONSUL_CONFIG'\n([\s\S]*?)\nCONSUL_CONFIG\n/.exec(script);
        expect(heredoc, "agent config heredoc").to.not.equal(null);
        expect(JSON.parse(heredoc![1])).to.deep.equal(JSON.parse(agentConfig));
        expect(script).to.include(`> ${HA_SERVER_PATHS.secretConfig}`);
        expect(script).to.include(`chown root:consul ${HA_SERVER_PATHS.secretConfig}`);
        expect(script).to.include("umask 0027");
    });

    it("reads each of its five secrets from Secrets Manager by ARN with the instance role, and nothing else", () => {
        const fetched = [...script.matchAll(/'(arn:aws:secretsmanager:[^']+)'/g)].map((m) => m[1]);
        expect(new Set(fetched)).to.deep.equal(new Set(Object.values(arns)));
        expect(script).to.include("aws secretsmanager get-secret-value");
        expect(script).to.not.include("ca-key");
        expect(script).to.include(`fetch_secret_file '${arns.serverKey}' ${HA_SERVER_PATHS.tls.keyFile}`);
    });

    it("formats and mounts the data volume, and runs Consul as a systemd service", () => {
        expect(script).to.include("DATA_DEVICE='/dev/sdf'");
        expect(script).to.include("mkfs.xfs -L consul-data");
        expect(script).to.include("LABEL=consul-data /opt/consul/data xfs defaults,nofail 0 2");
        expect(script).to.include("ExecStart=/usr/bin/consul agent -config-dir=/etc/consul.d\n");
        expect(script).to.include("User=consul\n");
        expect(script).to.include("RequiresMountsFor=/opt/consul/data");
        expect(script).to.include("systemctl enable --now consul.service consul-snapshot.timer");
    });

    it("saves snapshots from the leader on the configured schedule, with the token only in a file", () => {
        const snapshot = /<<'SNAPSHOT'\n([\s\S]*?)\nSNAPSHOT\n/.exec(script)![1];
        expect(snapshot).to.include(`--secret-id '${arns.managementToken}'`);
        expect(snapshot).to.include('CONSUL_HTTP_TOKEN_FILE="$work/token"');
        expect(snapshot).to.not.match(/-token[= ]|CONSUL_HTTP_TOKEN=/);
        expect(snapshot).to.include("leader = true");
        expect(snapshot).to.include('consul snapshot save "$work/$name"');
        expect(snapshot).to.include(`aws s3 cp "$work/$name" 's3://bluegreen-prod-consul-snapshots-abc/snapshots/dc1/'"$name"`);
        expect(script).to.include("OnCalendar=hourly\n");
    });

    it("rejects settings that would break the script", () => {
        expect(() => checkServerSettings({ consulVersion: "latest", snapshotSchedule: "hourly" })).to.throw(/bluegreen:consul.version/);
        expect(() => checkServerSettings({ consulVersion: "2.0.1", snapshotSchedule: "hourly\nExecStart=/bin/sh" })).to.throw(/snapshotSchedule/);
        const base = { consulVersion: "2.0.1", region: "eu-west-1", agentConfig, secretArns: arns, dataDevice: "/dev/sdf", snapshot: { bucket: "b", prefix: "s/", schedule: "daily" } };
        expect(() => serverUserData({ ...base, dataDevice: "/dev/xvda" })).to.throw(/data device/);
        expect(() => serverUserData({ ...base, snapshot: { ...base.snapshot, prefix: "/abs/" } })).to.throw(/snapshot prefix/);
    });
});

describe("dev server container", () => {
    const agentConfig = renderServerAgentConfig({ mode: "dev", datacenter: "dc1", dataDir: DEV_SERVER_PATHS.dataDir, tls: DEV_SERVER_PATHS.tls });
    const container = devServerContainer({
        image: "hashicorp/consul:2.0.1",
        agentConfig,
        secretArns: arns,
        region: "eu-west-1",
        logGroupName: "/bluegreen/dev",
        serverCertificateNotAfter: "2026-01-01T00:00:00Z",
    }) as {
        name: string;
        image: string;
        entryPoint: string[];
        command: string[];
        environment: { name: string; value: string }[];
        secrets: { name: string; valueFrom: string }[];
        portMappings: { containerPort: number }[];
    };

    it("gets every secret as an ECS secret (an ARN), never as a plain value", () => {
        expect(container.secrets).to.deep.equal([
            { name: DEV_SECRET_ENV.caCert, valueFrom: arns.caCert },
            { name: DEV_SECRET_ENV.serverCert, valueFrom: arns.serverCert },
            { name: DEV_SECRET_ENV.serverKey, valueFrom: arns.serverKey },
            { name: DEV_SECRET_ENV.gossipKey, valueFrom: arns.gossipKey },
            { name: DEV_SECRET_ENV.managementToken, valueFrom: arns.managementToken },
            { name: DEV_SECRET_ENV.agentToken, valueFrom: arns.agentToken },
        ]);
        expect(container.environment.map((e) => e.name)).to.deep.equal([DEV_AGENT_CONFIG_ENV, "BLUEGREEN_SERVER_CERT_NOT_AFTER"]);
        expect(JSON.parse(container.environment[0].value)).to.deep.equal(JSON.parse(agentConfig));
    });

    it("writes the secrets to files, drops them from its environment and execs one agent", () => {
        expect(container.image).to.equal("hashicorp/consul:2.0.1");
        expect(container.entryPoint).to.deep.equal(["/bin/sh", "-ec"]);
        const command = container.command[0];
        expect(command).to.equal(devServerCommand());
        execFileSync("sh", ["-n", "-c", command], { stdio: "pipe" });
        expect(command).to.include(`printf '%s\\n' "$${DEV_SECRET_ENV.serverKey}" > ${DEV_SERVER_PATHS.tls.keyFile}`);
        expect(command).to.include(`> ${DEV_SERVER_PATHS.secretConfig}`);
        expect(command).to.include(`unset ${Object.values(DEV_SECRET_ENV).join(" ")}`);
        expect(command.trim().split("\n").pop()).to.equal('exec consul agent -config-dir=/consul/config -advertise="$ECS_IPV4"');
        expect(container.portMappings.map((p) => p.containerPort)).to.deep.equal([8501, 8503]);
    });
});
