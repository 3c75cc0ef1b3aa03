// The Consul server agent configuration (docs/platform-facts.md#tls-gossip-and-acls, #consul-servers) as a JSON document, built from
// plain data. Consul reads every `.json` file in its config directory and merges them; this document
// is the non-secret part. The gossip key and the initial management token are written at boot into a
// separate root-owned file (see userData.ts and devServerContainer.ts), so what is rendered here, and
// therefore what appears in the plan, user data and task definitions, holds file paths and no secret.
import { PORTS } from "../../shared/ports";
import { DEV_SERVER_NODE_NAME } from "./serverAgentToken";

/** Where the agent finds its TLS material on disk. */
interface TlsFiles {
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
}

/** Where a server keeps its config, TLS material and Raft data. */
export interface ServerPaths {
    readonly configDir: string;
    readonly agentConfig: string;
    readonly secretConfig: string;
    /** ha: the file naming the node after its instance, written at boot. */
    readonly nodeConfig: string;
    readonly dataDir: string;
    readonly tls: TlsFiles;
}

/** The same layout for ha and dev: the agent and secret config in `configDir`, TLS files in `tlsDir`. */
export function serverPaths(dirs: { readonly configDir: string; readonly agentConfigFile: string; readonly dataDir: string; readonly tlsDir: string }): ServerPaths {
    return {
        configDir: dirs.configDir,
        agentConfig: `${dirs.configDir}/${dirs.agentConfigFile}`,
        secretConfig: `${dirs.configDir}/secrets.json`,
        nodeConfig: `${dirs.configDir}/node.json`,
        dataDir: dirs.dataDir,
        tls: { caFile: `${dirs.tlsDir}/ca.pem`, certFile: `${dirs.tlsDir}/server.pem`, keyFile: `${dirs.tlsDir}/server-key.pem` },
    };
}

/** The EC2 tag the ha servers carry and find each other by (cloud auto-join). */
export interface AutoJoinTag {
    readonly region: string;
    readonly tagKey: string;
    readonly tagValue: string;
}

export type ServerAgentConfigOptions =
    | {
          readonly mode: "ha";
          readonly datacenter: string;
          /** Servers in the cluster: `bootstrap_expect` and autopilot's `min_quorum`. */
          readonly serverCount: number;
          readonly autoJoin: AutoJoinTag;
          readonly dataDir: string;
          readonly tls: TlsFiles;
      }
    | {
          readonly mode: "dev";
          readonly datacenter: string;
          readonly dataDir: string;
          readonly tls: TlsFiles;
      };

/** The server certificate's name, which every client verifies: `server.<datacenter>.consul`. */
export function serverTlsName(datacenter: string): string {
    return `server.${datacenter}.consul`;
}

/** go-discover's AWS provider arguments, shared by `retry_join` and consul-ecs's `exec=discover`. */
export function awsDiscoverArgs(tag: AutoJoinTag): string {
    for (const [key, value] of Object.entries(tag)) {
        if (!/^[A-Za-z0-9._:/-]+$/.test(value)) {
            throw new Error(`auto-join ${key} ${JSON.stringify(value)} must be a single word (letters, digits, . _ : / -); go-discover splits its arguments on spaces`);
        }
    }
    return `provider=aws region=${tag.region} tag_key=${tag.tagKey} tag_value=${tag.tagValue}`;
}

/** consul-ecs `consulServers.hosts` for ha servers: the addresses of the tagged instances. */
export function discoverHosts(tag: AutoJoinTag): string {
    return `exec=discover -q addrs ${awsDiscoverArgs(tag)}`;
}

/**
 * Quorum is floor(N/2)+1: 3 servers survive one loss, 5 survive two. ha runs an odd count of at least 3.
 */
export function quorumSize(serverCount: number): number {
    return Math.floor(serverCount / 2) + 1;
}

/** The server agent config as a plain object; `renderServerAgentConfig` serialises it. */
export function serverAgentConfig(options: ServerAgentConfigOptions): Record<string, unknown> {
    if (options.mode === "ha" && (!Number.isInteger(options.serverCount) || options.serverCount < 3 || options.serverCount % 2 === 0)) {
        throw new Error(`serverCount ${options.serverCount}: ha servers must be an odd count of at least 3 (bluegreen:consul.servers.count)`);
    }
    const topology =
        options.mode === "ha"
            ? {
                  bootstrap_expect: options.serverCount,
                  retry_join: [awsDiscoverArgs(options.autoJoin)],
              }
            : // One server elects itself; its data lives and dies with the task.
              { bootstrap: true, node_name: DEV_SERVER_NODE_NAME };
    return {
        datacenter: options.datacenter,
        data_dir: options.dataDir,
        server: true,
        ...topology,
        // The API and gRPC listen on every interface: the NLB, dataplanes and the controller reach them.
        client_addr: "0.0.0.0",
        ui_config: { enabled: true },
        disable_update_check: true,
        ports: { https: PORTS.consulHttps, grpc_tls: PORTS.consulGrpcTls, http: -1 },
        tls: {
            defaults: {
                ca_file: options.tls.caFile,
                cert_file: options.tls.certFile,
                key_file: options.tls.keyFile,
                verify_outgoing: true,
            },
            internal_rpc: { verify_incoming: true, verify_server_hostname: true },
            // Dataplanes and API clients present no certificate: requiring one breaks every dataplane.
            grpc: { verify_incoming: false },
            https: { verify_incoming: false },
        },
        acl: {
            enabled: true,
            default_policy: "deny",
            down_policy: "extend-cache",
            enable_token_persistence: true,
        },
        connect: { enabled: true },
        enable_central_service_config: true,
        ...(options.mode === "ha"
            ? { autopilot: { cleanup_dead_servers: true, min_quorum: options.serverCount } }
            : {}),
    };
}

/** The config file's text (stable key order, two-space indent). */
export function renderServerAgentConfig(options: ServerAgentConfigOptions): string {
    return `${JSON.stringify(serverAgentConfig(options), null, 2)}\n`;
}

/**
 * POSIX shell lines that write the secret config file Consul merges over the rendered one: the gossip
 * key as `encrypt`, the initial management token as `acl.tokens.initial_management` and the agent
 * token's SecretID as `acl.tokens.agent` (the token itself is created once the cluster is ready; until
 * then the agent's own updates are refused, as they were without any agent token). The values
 * come from shell variables filled at boot from Secrets Manager, are checked to be base64 and a UUID
 * (so they cannot break the JSON), and never appear in this text.
 */
export function secretConfigShell(options: { readonly gossipKeyVar: string; readonly tokenVar: string; readonly agentTokenVar: string; readonly path: string }): string[] {
    const gossip = `"$${options.gossipKeyVar}"`;
    const token = `"$${options.tokenVar}"`;
    const agent = `"$${options.agentTokenVar}"`;
    return [
        `case ${gossip} in '' | *[!A-Za-z0-9+/=]*) echo "the gossip key from Secrets Manager is not base64" >&2; exit 1 ;; esac`,
        `case ${token} in '' | *[!0-9a-fA-F-]*) echo "the management token from Secrets Manager is not a UUID" >&2; exit 1 ;; esac`,
        `case ${agent} in '' | *[!0-9a-fA-F-]*) echo "the agent token from Secrets Manager is not a UUID" >&2; exit 1 ;; esac`,
        `printf '{"encrypt": "%s", "acl": {"tokens": {"initial_management": "%s", "agent": "%s"}}}\\n' ${gossip} ${token} ${agent} > ${options.path}`,
    ];
}
