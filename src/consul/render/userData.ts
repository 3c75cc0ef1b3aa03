// The first-boot script of an ha Consul server (EC2 user data, bash), built from plain data.
//
// Consul comes from HashiCorp's release zip, checked against SHA256SUMS whose signature must be made by
// HashiCorp's release key (fingerprint pinned below). We do not use HashiCorp's RPM repository: its
// Amazon Linux repo is keyed on $releasever, which on Amazon Linux 2023 is a dated string the repo
// does not serve (hashicorp/vault#19755), and it has had outages that break every boot.
//
// The script holds no secret. The TLS key and certificates, the gossip key and the management token
// are read from Secrets Manager with the instance role at boot and written to root-owned files only
// the consul group can read; the rendered agent config (agentConfig.ts) holds file paths only.
import { secretConfigShell, serverPaths } from "./agentConfig";
import { haNodeNameShell } from "./serverAgentToken";

/** HashiCorp's release signing key (https://www.hashicorp.com/security). */
export const HASHICORP_RELEASE_KEY_FINGERPRINT = "C874011F0AB405110D02105534365D9472D7468F";

/** Where an ha server keeps its config, TLS material and Raft data. */
export const HA_SERVER_PATHS = serverPaths({ configDir: "/etc/consul.d", agentConfigFile: "consul.json", dataDir: "/opt/consul/data", tlsDir: "/opt/consul/tls" });

/** Secrets Manager ARNs a server reads at boot (never the CA's private key). */
export interface ServerSecretArns {
    readonly caCert: string;
    readonly serverCert: string;
    readonly serverKey: string;
    readonly gossipKey: string;
    readonly managementToken: string;
    /** The SecretID of the servers' agent token (acl.tokens.agent). */
    readonly agentToken: string;
}

interface SnapshotTarget {
    readonly bucket: string;
    /** Key prefix, ending in "/", that the instance role may write to. */
    readonly prefix: string;
    /** systemd OnCalendar expression, for example "hourly". */
    readonly schedule: string;
}

export interface ServerUserDataOptions {
    readonly consulVersion: string;
    readonly region: string;
    /** The rendered, secret-free agent config (renderServerAgentConfig). */
    readonly agentConfig: string;
    readonly secretArns: ServerSecretArns;
    /** Device name of the data volume in the launch template, for example /dev/sdf. */
    readonly dataDevice: string;
    readonly snapshot: SnapshotTarget;
}

/** Single-quotes a value for bash; the values here are versions, ARNs, names and paths. */
function quote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Checks the settings that come from stack config, so a component can reject them before it
 * registers anything (the script itself is rendered later, once the ARNs are known).
 */
export function checkServerSettings(settings: { readonly consulVersion: string; readonly snapshotSchedule: string }): void {
    if (!/^\d+\.\d+\.\d+$/.test(settings.consulVersion)) {
        throw new Error(`consul version ${JSON.stringify(settings.consulVersion)} is not x.y.z (bluegreen:consul.version)`);
    }
    if (!/^[A-Za-z0-9 *:,./~-]+$/.test(settings.snapshotSchedule)) {
        throw new Error(
            `snapshot schedule ${JSON.stringify(settings.snapshotSchedule)} is not a systemd OnCalendar expression (bluegreen:consul.servers.snapshotSchedule), for example "hourly" or "*-*-* 00/6:00:00"`,
        );
    }
}

function checkOptions(options: ServerUserDataOptions): void {
    checkServerSettings({ consulVersion: options.consulVersion, snapshotSchedule: options.snapshot.schedule });
    if (!options.snapshot.prefix.endsWith("/") || options.snapshot.prefix.startsWith("/")) {
        throw new Error(`snapshot prefix ${JSON.stringify(options.snapshot.prefix)} must be relative and end with "/"`);
    }
    if (!/^\/dev\/sd[f-p]$/.test(options.dataDevice)) {
        throw new Error(`data device ${JSON.stringify(options.dataDevice)} must be one of /dev/sdf../dev/sdp (EC2's recommended names for EBS data volumes)`);
    }
    if (options.agentConfig.includes("\nCONSUL_CONFIG\n")) {
        throw new Error("the agent config must not contain the heredoc delimiter CONSUL_CONFIG");
    }
}

/** The user data script (plain text; the launch template takes it base64-encoded). */
export function serverUserData(options: ServerUserDataOptions): string {
    checkOptions(options);
    const paths = HA_SERVER_PATHS;
    const arns = options.secretArns;
    return `#!/bin/bash
# Consul ${options.consulVersion} server (bluegreen), first boot: install, data volume, secrets, config,
# systemd units and the snapshot timer. No secret is written in this script; see serverUserData.ts.
set -euo pipefail

CONSUL_VERSION=${quote(options.consulVersion)}
AWS_REGION=${quote(options.region)}
DATA_DEVICE=${quote(options.dataDevice)}

retry() {
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    "$@" && return 0
    echo "attempt $attempt of $1 failed; retrying in $((attempt * 3))s" >&2
    sleep $((attempt * 3))
  done
  return 1
}

secret_value() {
  aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$1" --query SecretString --output text
}

# --- Consul: the release zip, its SHA256SUMS verified against HashiCorp's signing key ---------------
install_consul() {
  local arch work zip sums verdict
  case "$(uname -m)" in
    aarch64) arch=arm64 ;;
    x86_64) arch=amd64 ;;
    *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
  esac
  command -v unzip >/dev/null || dnf install -y unzip
  command -v aws >/dev/null || dnf install -y awscli-2
  work=$(mktemp -d)
  zip="consul_\${CONSUL_VERSION}_linux_\${arch}.zip"
  sums="consul_\${CONSUL_VERSION}_SHA256SUMS"
  for file in "$zip" "$sums" "$sums.sig"; do
    retry curl -fsSL -o "$work/$file" "https://releases.hashicorp.com/consul/\${CONSUL_VERSION}/$file"
  done
  retry curl -fsSL -o "$work/hashicorp.asc" https://www.hashicorp.com/.well-known/pgp-key.txt
  export GNUPGHOME="$work/gnupg"
  install -d -m 0700 "$GNUPGHOME"
  gpg --batch --quiet --import "$work/hashicorp.asc"
  verdict=$(gpg --batch --status-fd 1 --verify "$work/$sums.sig" "$work/$sums" 2>/dev/null) || true
  if ! grep -Eq "^\\[GNUPG:\\] VALIDSIG .* ${HASHICORP_RELEASE_KEY_FINGERPRINT}$" <<<"$verdict"; then
    echo "$sums is not signed by HashiCorp's release key ${HASHICORP_RELEASE_KEY_FINGERPRINT}" >&2
    exit 1
  fi
  (cd "$work" && grep " $zip$" "$sums" | sha256sum --check --strict -)
  unzip -o -q "$work/$zip" consul -d /usr/bin
  chmod 0755 /usr/bin/consul
  unset GNUPGHOME
  rm -rf "$work"
}

# --- Raft data on the encrypted gp3 volume, formatted on first use -----------------------------------
mount_data_volume() {
  local device=""
  for _ in $(seq 1 60); do
    for candidate in "$DATA_DEVICE" "\${DATA_DEVICE/sd/xvd}"; do
      if [ -b "$candidate" ]; then device=$(readlink -f "$candidate"); break 2; fi
    done
    sleep 2
  done
  if [ -z "$device" ]; then echo "data volume $DATA_DEVICE did not appear" >&2; exit 1; fi
  blkid "$device" >/dev/null || { mkfs.xfs -L consul-data "$device"; udevadm settle; }
  install -d ${paths.dataDir}
  grep -q '^LABEL=consul-data ' /etc/fstab || echo 'LABEL=consul-data ${paths.dataDir} xfs defaults,nofail 0 2' >> /etc/fstab
  mountpoint -q ${paths.dataDir} || mount ${paths.dataDir}
  chown consul:consul ${paths.dataDir}
  chmod 0750 ${paths.dataDir}
}

# --- Secrets, read with the instance role; files readable by root and the consul group only ----------
fetch_secret_file() {
  local tmp
  tmp=$(mktemp "$2.XXXXXX")
  retry secret_value "$1" > "$tmp"
  chown root:consul "$tmp"
  chmod 0640 "$tmp"
  mv "$tmp" "$2"
}

write_secrets() {
  local gossip_key management_token agent_token imds_token instance_id
  umask 0027
  install -d -m 0750 -o root -g consul ${paths.configDir} ${dirname(paths.tls.caFile)}
  fetch_secret_file ${quote(arns.caCert)} ${paths.tls.caFile}
  fetch_secret_file ${quote(arns.serverCert)} ${paths.tls.certFile}
  fetch_secret_file ${quote(arns.serverKey)} ${paths.tls.keyFile}
  gossip_key=$(retry secret_value ${quote(arns.gossipKey)})
  management_token=$(retry secret_value ${quote(arns.managementToken)})
  agent_token=$(retry secret_value ${quote(arns.agentToken)})
  ${secretConfigShell({ gossipKeyVar: "gossip_key", tokenVar: "management_token", agentTokenVar: "agent_token", path: paths.secretConfig }).join("\n  ")}
  chown root:consul ${paths.secretConfig}
  ${haNodeNameShell(paths.nodeConfig).join("\n  ")}
  chown root:consul ${paths.nodeConfig}
  umask 0022
}

write_agent_config() {
  cat > ${paths.agentConfig} <<'CONSUL_CONFIG'
${options.agentConfig.trimEnd()}
CONSUL_CONFIG
  chown root:consul ${paths.agentConfig}
  chmod 0640 ${paths.agentConfig}
}

write_units() {
  cat > /etc/systemd/system/consul.service <<'UNIT'
[Unit]
Description=Consul server (bluegreen)
Documentation=https://developer.hashicorp.com/consul/docs
Wants=network-online.target
After=network-online.target
RequiresMountsFor=${paths.dataDir}
ConditionFileNotEmpty=${paths.secretConfig}

[Service]
Type=notify
User=consul
Group=consul
ExecStart=/usr/bin/consul agent -config-dir=${paths.configDir}
ExecReload=/bin/kill --signal HUP $MAINPID
KillMode=process
KillSignal=SIGTERM
Restart=on-failure
RestartSec=5
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
UNIT

  # Every server runs the timer; only the leader saves (a follower's snapshot would be the same data).
  # The management token is read from Secrets Manager on each run into a private file under /run
  # and handed to the CLI by CONSUL_HTTP_TOKEN_FILE: never on a command line, never in the unit.
  cat > /usr/local/bin/consul-snapshot <<'SNAPSHOT'
#!/bin/bash
set -euo pipefail
umask 0077
work=$(mktemp -d /run/consul-snapshot.XXXXXX)
trap 'rm -rf "$work"' EXIT
aws secretsmanager get-secret-value --region ${quote(options.region)} --secret-id ${quote(arns.managementToken)} --query SecretString --output text > "$work/token"
export CONSUL_HTTP_ADDR=https://127.0.0.1:8501 CONSUL_CACERT=${paths.tls.caFile} CONSUL_HTTP_TOKEN_FILE="$work/token"
info=$(consul info)
if ! grep -Eq '^[[:space:]]+leader = true$' <<<"$info"; then
  echo "this server is not the leader; the leader saves the snapshot"
  exit 0
fi
name="$(date -u +%Y%m%dT%H%M%SZ).snap"
consul snapshot save "$work/$name"
aws s3 cp "$work/$name" ${quote(`s3://${options.snapshot.bucket}/${options.snapshot.prefix}`)}"$name" --region ${quote(options.region)} --only-show-errors
SNAPSHOT
  chmod 0750 /usr/local/bin/consul-snapshot

  cat > /etc/systemd/system/consul-snapshot.service <<'UNIT'
[Unit]
Description=Save a Consul snapshot to S3 (leader only)
After=consul.service
Requires=consul.service

[Service]
Type=oneshot
ExecStart=/usr/local/bin/consul-snapshot
UNIT

  cat > /etc/systemd/system/consul-snapshot.timer <<'UNIT'
[Unit]
Description=Consul snapshot schedule

[Timer]
OnCalendar=${options.snapshot.schedule}
RandomizedDelaySec=300
Persistent=true

[Install]
WantedBy=timers.target
UNIT
}

id consul >/dev/null 2>&1 || useradd --system --home-dir ${paths.configDir} --shell /sbin/nologin consul
install_consul
mount_data_volume
write_secrets
write_agent_config
write_units
systemctl daemon-reload
systemctl enable --now consul.service consul-snapshot.timer
`;
}

function dirname(path: string): string {
    return path.slice(0, path.lastIndexOf("/"));
}
