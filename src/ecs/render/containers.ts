// The containers and volumes of every consul-ecs task this program runs: one colour of a mesh
// service, the API gateway, and the controller (docs/platform-facts.md#mesh-tasks, #the-controller,
// #the-api-gateway). Pure: plain data in, ECS `ContainerDefinition`s out, typed with the ECS API's
// own type so a misspelt field fails to compile.
import type { ContainerDefinition, KeyValuePair, LogConfiguration, Secret } from "@aws-sdk/client-ecs";
import { BOOTSTRAP_DIR, ConsulEcsConfig, ConsulServerFacts, controllerConfig, gatewayTaskConfig, serviceTaskConfig } from "./consulEcsConfig";
import { GATEWAY_LISTENER } from "../../shared/ports";
import { CONSUL_ECS_CONFIG_ENV, CONTAINERS } from "../../shared/meshNames";
import type { Colour, ServiceConfig } from "../../config";
import { dataplaneEnvironment } from "../../mesh/render/accessLog";

/** The two empty task volumes every mesh task shares between its containers. */
const VOLUMES = { data: "consul_data", binary: "consul_binary" } as const;

/** Envoy's readiness listener, loopback-only; the dataplane's ECS health check dials it. */
const ENVOY_READINESS_PORT = 22000;
const DATAPLANE_USER = "5995";
const HEALTH_SYNC_USER = "5996";
/** Open files for Envoy: 2^20, the most Fargate allows (a higher value fails only when the task starts). */
const DATAPLANE_NOFILE = 1048576;
/**
 * Seconds the app gets between SIGTERM and SIGKILL. ECS stops the app before the dataplane it
 * depends on, and health-sync deregisters the instance at once, so this only has to cover requests
 * already in flight: twice Envoy's default 15 s route timeout.
 */
const APP_STOP_TIMEOUT_SECONDS = 30;

/** The CA certificate reaches consul-ecs under these names, from Secrets Manager, never as plain values. */
const CA_CERT_SECRETS = ["CONSUL_HTTPS_CACERT_PEM", "CONSUL_GRPC_CACERT_PEM"] as const;
const CONTROLLER_TOKEN_SECRET = "CONSUL_HTTP_TOKEN";
/** The variable fake-service reads its upstreams from; other apps may read it too. */
const UPSTREAM_URIS_ENV = "UPSTREAM_URIS";

/** What every task needs from the stack, with every output resolved. */
export interface TaskPlatform {
    /** The stack's name: service dataplanes print it in their access log lines (Stack dimension). */
    readonly stack: string;
    readonly region: string;
    readonly logGroupName: string;
    readonly consulEcsImage: string;
    readonly dataplaneImage: string;
    /** Secrets Manager ARN of the servers' CA certificate. */
    readonly caCertSecretArn: string;
    readonly servers: ConsulServerFacts;
}

export interface TaskVolume {
    readonly name: string;
}

export interface MeshTask {
    /** Application containers first, then mesh-init, dataplane and health-sync. */
    readonly containerDefinitions: ContainerDefinition[];
    readonly volumes: TaskVolume[];
    /** The CONSUL_ECS_CONFIG_JSON document handed to mesh-init and health-sync. */
    readonly config: ConsulEcsConfig;
}

/** The app container's name: the service's name, so logs and ECS Exec say which service they are. */
function appContainerName(service: ServiceConfig): string {
    return service.name;
}

/**
 * The plain environment of one colour's app: the service's `env`, then the colour's `env` over it,
 * plus `UPSTREAM_URIS` (comma-separated `http://localhost:<localPort>`) when the service has
 * upstreams, unless the config sets that variable itself.
 */
export function appEnvironment(service: ServiceConfig, colour: Colour): Record<string, string> {
    const uris = upstreamUris(service);
    return {
        ...(uris === undefined ? {} : { [UPSTREAM_URIS_ENV]: uris }),
        ...service.env,
        ...service[colour].env,
    };
}

/** Where the app reaches its upstreams: each through its own local Envoy listener. */
function upstreamUris(service: ServiceConfig): string | undefined {
    if (service.upstreams.length === 0) {
        return undefined;
    }
    return service.upstreams.map((u) => `http://localhost:${u.localPort}`).join(",");
}

/** One colour's app secrets: Secrets Manager ARNs by variable name, the colour's over the service's. */
export function appSecrets(service: ServiceConfig, colour: Colour): Record<string, string> {
    return { ...service.secrets, ...service[colour].secrets };
}

/**
 * Throws, naming the setting, when a service cannot become a mesh task; components call it before
 * creating anything (the builder itself runs later, inside outputs).
 */
/** The task definition contents of one colour of a service; built only from that colour's data. */
export function serviceTask(service: ServiceConfig, colour: Colour, platform: TaskPlatform): MeshTask {
    const image = service[colour].image;
    if (!image) {
        throw new Error(`${service.name}.${colour} has no image; a colour without an image runs no tasks and needs no task definition`);
    }
    const app = appContainerName(service);
    const healthSyncContainers = service.healthCheck ? [app] : [];
    const config = serviceTaskConfig(service, colour, platform.servers, healthSyncContainers);
    const logs = logConfiguration(platform, `${service.name}-${colour}`);
    const appContainer: ContainerDefinition = {
        name: app,
        image,
        essential: true,
        environment: nonEmpty(keyValuePairs(appEnvironment(service, colour))),
        secrets: nonEmpty(secretRefs(appSecrets(service, colour))),
        dependsOn: [{ containerName: CONTAINERS.dataplane, condition: "HEALTHY" }],
        stopTimeout: APP_STOP_TIMEOUT_SECONDS,
        logConfiguration: logs,
        // The image must carry curl (fake-service's Alpine image does; HashiCorp's examples rely on it).
        healthCheck: service.healthCheck && {
            command: ["CMD-SHELL", `curl -fsS -o /dev/null '${healthCheckUrl(service, service.healthCheck.path)}' || exit 1`],
            interval: service.healthCheck.interval,
            timeout: service.healthCheck.timeout,
            retries: service.healthCheck.retries,
            startPeriod: service.healthCheck.startPeriod,
        },
    };
    return {
        containerDefinitions: [appContainer, ...sidecars(platform, config, logs, undefined, dataplaneEnvironment(platform.stack, service.name, colour))],
        volumes: meshVolumes(),
        config,
    };
}

/** The URL the app's health check probes, single-quoted in a shell command (config refuses quotes and spaces in the path). */
function healthCheckUrl(service: ServiceConfig, path: string): string {
    return `http://127.0.0.1:${service.port}${path}`;
}

/** The API gateway's task: no app, a dataplane that listens on the gateway listener's port. */
export function gatewayTask(platform: TaskPlatform, logStreamPrefix: string): MeshTask {
    const config = gatewayTaskConfig(platform.servers);
    const logs = logConfiguration(platform, logStreamPrefix);
    return {
        containerDefinitions: sidecars(platform, config, logs, GATEWAY_LISTENER.port),
        volumes: meshVolumes(),
        config,
    };
}

export interface ControllerTask {
    readonly containerDefinitions: ContainerDefinition[];
    readonly config: ConsulEcsConfig;
}

/** The controller's one container; its token comes from Secrets Manager like the CA certificate. */
export function controllerTask(platform: TaskPlatform, tokenSecretArn: string): ControllerTask {
    const config = controllerConfig(platform.servers);
    const container: ContainerDefinition = {
        name: CONTAINERS.controller,
        image: platform.consulEcsImage,
        essential: true,
        command: ["controller"],
        environment: [{ name: CONSUL_ECS_CONFIG_ENV, value: JSON.stringify(config) }],
        secrets: [{ name: CONTROLLER_TOKEN_SECRET, valueFrom: tokenSecretArn }, ...caCertSecrets(platform)],
        readonlyRootFilesystem: true,
        linuxParameters: { initProcessEnabled: true },
        logConfiguration: logConfiguration(platform, CONTAINERS.controller),
    };
    return { containerDefinitions: [container], config };
}

export function meshVolumes(): TaskVolume[] {
    return [{ name: VOLUMES.data }, { name: VOLUMES.binary }];
}

/**
 * `listenerPort`: a port the dataplane publishes (the gateway listener); service dataplanes publish none.
 * `dataplaneEnv`: a service colour's identity for Envoy's access log lines; the gateway has none.
 */
function sidecars(
    platform: TaskPlatform,
    config: ConsulEcsConfig,
    logs: LogConfiguration,
    listenerPort: number | undefined,
    dataplaneEnv: Readonly<Record<string, string>> = {},
): ContainerDefinition[] {
    const configEnv: KeyValuePair[] = [{ name: CONSUL_ECS_CONFIG_ENV, value: JSON.stringify(config) }];
    const dataReadOnly = { sourceVolume: VOLUMES.data, containerPath: BOOTSTRAP_DIR, readOnly: true };
    const afterMeshInit = [{ containerName: CONTAINERS.meshInit, condition: "SUCCESS" as const }];
    const meshInit: ContainerDefinition = {
        name: CONTAINERS.meshInit,
        image: platform.consulEcsImage,
        essential: false,
        command: ["mesh-init"],
        mountPoints: [
            { sourceVolume: VOLUMES.data, containerPath: BOOTSTRAP_DIR, readOnly: false },
            { sourceVolume: VOLUMES.binary, containerPath: "/bin/consul-inject", readOnly: true },
        ],
        environment: configEnv,
        secrets: caCertSecrets(platform),
        // No `capabilities`: AWS normalises an empty object away and every preview would show a diff.
        linuxParameters: { initProcessEnabled: true },
        logConfiguration: logs,
    };
    const dataplane: ContainerDefinition = {
        name: CONTAINERS.dataplane,
        image: platform.dataplaneImage,
        // Essential, for services too (HashiCorp's service module says false): a dataplane that dies, out
        // of memory say, must stop the task so ECS replaces it, instead of keeping a task it thinks is
        // fine that the mesh can no longer reach.
        essential: true,
        user: DATAPLANE_USER,
        entryPoint: [`${BOOTSTRAP_DIR}/consul-ecs`, "envoy-entrypoint"],
        command: ["consul-dataplane", "-config-file", `${BOOTSTRAP_DIR}/consul-dataplane.json`],
        environment: nonEmpty(keyValuePairs(dataplaneEnv)),
        portMappings: listenerPort === undefined ? undefined : [{ containerPort: listenerPort, hostPort: listenerPort, protocol: "tcp" }],
        mountPoints: [dataReadOnly],
        dependsOn: afterMeshInit,
        healthCheck: {
            command: ["CMD", `${BOOTSTRAP_DIR}/consul-ecs`, "net-dial", `127.0.0.1:${ENVOY_READINESS_PORT}`],
            interval: 5,
            timeout: 5,
            retries: 10,
        },
        ulimits: [{ name: "nofile", softLimit: DATAPLANE_NOFILE, hardLimit: DATAPLANE_NOFILE }],
        logConfiguration: logs,
    };
    const healthSync: ContainerDefinition = {
        name: CONTAINERS.healthSync,
        image: platform.consulEcsImage,
        essential: false,
        user: HEALTH_SYNC_USER,
        command: ["health-sync"],
        mountPoints: [dataReadOnly],
        dependsOn: afterMeshInit,
        environment: configEnv,
        secrets: caCertSecrets(platform),
        linuxParameters: { initProcessEnabled: true },
        logConfiguration: logs,
    };
    return [meshInit, dataplane, healthSync];
}

function caCertSecrets(platform: TaskPlatform): Secret[] {
    return CA_CERT_SECRETS.map((name) => ({ name, valueFrom: platform.caCertSecretArn }));
}

/** awslogs to the stack's log group; streams are `<prefix>/<container>/<task id>`. */
function logConfiguration(platform: TaskPlatform, streamPrefix: string): LogConfiguration {
    return {
        logDriver: "awslogs",
        options: {
            "awslogs-group": platform.logGroupName,
            "awslogs-region": platform.region,
            "awslogs-stream-prefix": streamPrefix,
        },
    };
}

/** Sorted by name, so the task definition does not change when a map's key order does. */
function keyValuePairs(values: Readonly<Record<string, string>>): KeyValuePair[] {
    return Object.keys(values)
        .sort()
        .map((name) => ({ name, value: values[name] }));
}

/** Empty lists are left out: AWS drops them, and the next preview would show a diff. */
function nonEmpty<T>(items: T[]): T[] | undefined {
    return items.length > 0 ? items : undefined;
}

function secretRefs(arns: Readonly<Record<string, string>>): Secret[] {
    return Object.keys(arns)
        .sort()
        .map((name) => ({ name, valueFrom: arns[name] }));
}
