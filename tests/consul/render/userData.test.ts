// The first-boot script of an ha server, from plain data: what it installs and verifies, where it
// writes each secret, and that it holds none.
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderServerAgentConfig } from "../../../src/consul/render/agentConfig";
import { checkServerSettings, HA_SERVER_PATHS, HASHICORP_RELEASE_KEY_FINGERPRINT, serverUserData } from "../../../src/consul/render/userData";
import { PROD_SERVER_SECRET_ARNS as arns } from "../../support/fakeArns";

const autoJoin = { region: "eu-west-1", tagKey: "bluegreen-consul-server", tagValue: "bluegreen-prod-dc1" };
const haOptions = { mode: "ha", datacenter: "dc1", serverCount: 3, autoJoin, dataDir: HA_SERVER_PATHS.dataDir, tls: HA_SERVER_PATHS.tls } as const;

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
