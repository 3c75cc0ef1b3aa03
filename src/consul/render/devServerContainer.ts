// The dev server's container (docs/platform-facts.md#consul-servers, `dev`): one `hashicorp/consul` container that writes
// its TLS material and secret config from ECS `secrets` (Secrets Manager ARNs, resolved by ECS at
// start) into files, then runs a single self-bootstrapping server with TLS, gossip encryption and ACLs
// on, like ha. Its data lives in the task and is lost when the task stops: never for production.
import { secretConfigShell, serverPaths } from "./agentConfig";
import { ServerSecretArns } from "./userData";
import { PORTS } from "../../shared/ports";

export const DEV_SERVER_CONTAINER = "consul-server";

export const DEV_SERVER_PATHS = serverPaths({ configDir: "/consul/config", agentConfigFile: "server.json", dataDir: "/consul/data", tlsDir: "/consul/tls" });

/** Environment names under which ECS injects each secret into the container. */
export const DEV_SECRET_ENV: Readonly<Record<keyof ServerSecretArns, string>> = {
    caCert: "BLUEGREEN_CA_PEM",
    serverCert: "BLUEGREEN_SERVER_CERT_PEM",
    serverKey: "BLUEGREEN_SERVER_KEY_PEM",
    gossipKey: "BLUEGREEN_GOSSIP_KEY",
    managementToken: "BLUEGREEN_MANAGEMENT_TOKEN",
    agentToken: "BLUEGREEN_AGENT_TOKEN",
};

/** The plain (secret-free) agent config reaches the container in this variable. */
export const DEV_AGENT_CONFIG_ENV = "BLUEGREEN_AGENT_CONFIG";

export interface DevServerContainerOptions {
    /** A Consul image, by default `public.ecr.aws/hashicorp/consul:<version>`. */
    readonly image: string;
    /** The rendered, secret-free agent config (renderServerAgentConfig, mode dev). */
    readonly agentConfig: string;
    readonly secretArns: ServerSecretArns;
    readonly region: string;
    readonly logGroupName: string;
    /**
     * The server certificate's expiry: a renewed certificate changes it, which makes a new task
     * definition revision and so a new task that reads the new certificate.
     */
    readonly serverCertificateNotAfter: string;
}

/** The entry command (`/bin/sh -ec`): secrets to files, then exec the agent. */
export function devServerCommand(): string {
    const p = DEV_SERVER_PATHS;
    const env = DEV_SECRET_ENV;
    return [
        "set -eu",
        "umask 077",
        `mkdir -p ${p.configDir} ${p.dataDir} ${p.tls.caFile.slice(0, p.tls.caFile.lastIndexOf("/"))}`,
        `printf '%s\\n' "$${env.caCert}" > ${p.tls.caFile}`,
        `printf '%s\\n' "$${env.serverCert}" > ${p.tls.certFile}`,
        `printf '%s\\n' "$${env.serverKey}" > ${p.tls.keyFile}`,
        `printf '%s\\n' "$${DEV_AGENT_CONFIG_ENV}" > ${p.agentConfig}`,
        ...secretConfigShell({ gossipKeyVar: env.gossipKey, tokenVar: env.managementToken, agentTokenVar: env.agentToken, path: p.secretConfig }),
        // The agent keeps no copy of the secrets in its environment.
        `unset ${Object.values(env).join(" ")}`,
        // awsvpc gives the task one private address; advertise it (curl and jq ship in the image).
        `ECS_IPV4=$(curl -fsS "$ECS_CONTAINER_METADATA_URI_V4" | jq -r '.Networks[0].IPv4Addresses[0]')`,
        `exec consul agent -config-dir=${p.configDir} -advertise="$ECS_IPV4"`,
    ].join("\n");
}

/** The ECS container definition (one element of the task's containerDefinitions). */
export function devServerContainer(options: DevServerContainerOptions): Record<string, unknown> {
    return {
        name: DEV_SERVER_CONTAINER,
        image: options.image,
        essential: true,
        entryPoint: ["/bin/sh", "-ec"],
        command: [devServerCommand()],
        portMappings: [
            { containerPort: PORTS.consulHttps, protocol: "tcp" },
            { containerPort: PORTS.consulGrpcTls, protocol: "tcp" },
        ],
        environment: [
            { name: DEV_AGENT_CONFIG_ENV, value: options.agentConfig },
            { name: "BLUEGREEN_SERVER_CERT_NOT_AFTER", value: options.serverCertificateNotAfter },
        ],
        secrets: (Object.keys(DEV_SECRET_ENV) as (keyof ServerSecretArns)[]).map((key) => ({
            name: DEV_SECRET_ENV[key],
            valueFrom: options.secretArns[key],
        })),
        // Status endpoints need no token; a server without a leader is not a working server.
        healthCheck: {
            command: ["CMD-SHELL", `curl -fsS --cacert ${DEV_SERVER_PATHS.tls.caFile} https://127.0.0.1:${PORTS.consulHttps}/v1/status/leader | grep -q ':8300'`],
            interval: 10,
            timeout: 5,
            retries: 6,
            startPeriod: 60,
        },
        linuxParameters: { initProcessEnabled: true },
        logConfiguration: {
            logDriver: "awslogs",
            options: {
                "awslogs-group": options.logGroupName,
                "awslogs-region": options.region,
                "awslogs-stream-prefix": DEV_SERVER_CONTAINER,
            },
        },
    };
}
