// bluegreen:services.<name>: one service's ports, upstreams, route, colours, traffic and gate, and
// the rules that span services (upstreams that exist, routes that do not collide).
import { checkAlarmNames } from "./alarms";
import { normaliseAnalysis } from "./analysis";
import { checkFargateSize } from "./fargate";
import { checkedImage } from "./imageReference";
import { checkPlainEnv, isSecureValue, SECURE_VALUE_ADVICE } from "./plainSecrets";
import { RESERVED_PORTS } from "../shared/ports";
import { API_GATEWAY_NAME, CONTAINERS, stickyServiceName } from "../shared/meshNames";
import type { Report } from "./types";
import { RawColour, RawService } from "./raw";
import { normaliseResilience } from "./resilience";
import { checkEnvSize } from "./taskDefinitionSize";
import { checkTraffic } from "./traffic";
import { urlPathProblem } from "./urlPath";
import { DEFAULT_FAILURE_THRESHOLD, normaliseRollout } from "./rollout";
import { ColourConfig, COLOURS, ServiceConfig } from "./types";

/**
 * The longest service name the program accepts: Consul allows 63, but each colour's IAM roles are
 * named `<name>-<colour>-execution` plus an 8-character suffix, and IAM role names stop at 64.
 */
export const MAX_SERVICE_NAME = 40;

/** Consul service names are DNS labels: lowercase, digits and '-', at most 63 characters. */
const SERVICE_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** `allNames` is undefined when `bluegreen:services` itself is malformed (already reported). */
export function normaliseServices(raw: Record<string, RawService>, allNames: readonly string[] | undefined, at: Report): ServiceConfig[] {
    if (allNames?.length === 0) {
        at("bluegreen:services", "is empty; declare at least one service");
    }
    const services = Object.keys(raw).map((name) => normaliseService(name, raw[name], at));
    checkCrossService(services, new Set(allNames ?? []), at);
    return services;
}

function normaliseService(name: string, raw: RawService, at: Report): ServiceConfig {
    const path = `bluegreen:services.${name}`;
    if (!SERVICE_NAME.test(name) || name.length > 63) {
        at(path, `service name ${JSON.stringify(name)} is not valid in Consul; use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit`);
    } else if (name.length > MAX_SERVICE_NAME) {
        at(path, `service name ${JSON.stringify(name)} has ${name.length} characters; at most ${MAX_SERVICE_NAME} fit in the IAM role names derived from it (<name>-green-execution plus Pulumi's 8-character suffix must stay within IAM's 64)`);
    }
    const taken = [API_GATEWAY_NAME, ...Object.values(CONTAINERS)];
    if (taken.includes(name)) {
        // The app container is named after its service, and the gateway registers under its own name.
        at(path, `service name ${JSON.stringify(name)} is taken by the mesh itself (${taken.join(", ")}); rename the service`);
    }
    const cpu = raw.cpu ?? 256;
    const memory = raw.memory ?? 512;
    checkFargateSize(path, cpu, memory, at);
    checkPort(`${path}.port`, raw.port, at);

    const upstreams = raw.upstreams ?? [];
    const ports = new Map<number, string>([[raw.port, `${path}.port`]]);
    upstreams.forEach((u, i) => {
        const upath = `${path}.upstreams[${i}]`;
        checkPort(`${upath}.localPort`, u.localPort, at);
        const clash = ports.get(u.localPort);
        if (clash) {
            at(`${upath}.localPort`, `${u.localPort} is already used by ${clash}; each upstream needs its own local port`);
        } else {
            ports.set(u.localPort, `${upath}.localPort`);
        }
        if (u.service === name) {
            at(`${upath}.service`, `"${name}" names the service itself; a service cannot be its own upstream`);
        }
        if (upstreams.findIndex((other) => other.service === u.service) !== i) {
            at(`${upath}.service`, `"${u.service}" is listed twice`);
        }
    });

    const routeProblem = raw.route ? urlPathProblem(raw.route.pathPrefix) : undefined;
    if (raw.route && routeProblem) {
        at(`${path}.route.pathPrefix`, routeProblem);
    } else if (raw.route && normalisePrefix(raw.route.pathPrefix) === "/") {
        // The ALB health-checks the gateway on a path no route serves (Envoy answers 404); a route
        // for "/" would tie every gateway task's health to that one service's backends.
        at(`${path}.route.pathPrefix`, `"/" would route every path, including the ALB's health check of the gateway; use a prefix such as "/${name}"`);
    }

    const colours = {
        blue: normaliseColour(`${path}.blue`, raw.blue, at),
        green: normaliseColour(`${path}.green`, raw.green, at),
    };
    checkEnv(path, raw.env, `${path}.env`, at);
    const traffic = checkTraffic(`${path}.traffic`, raw.traffic, colours, at);
    const analysis = normaliseAnalysis(`${path}.gate.analysis`, raw.gate?.analysis, at);
    const gate = {
        minHealthy: raw.gate?.minHealthy,
        skip: raw.gate?.skip ?? false,
        alarms: raw.gate?.alarms ?? [],
        failureThreshold: raw.gate?.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD,
        ...(analysis ? { analysis } : {}),
    };
    checkAlarmNames(`${path}.gate.alarms`, gate.alarms, at);
    for (const colour of COLOURS) {
        checkEnvSize(`${path}.${colour}`, { ...raw.env, ...colours[colour].env }, { ...raw.secrets, ...colours[colour].secrets }, at);
    }
    const rollout = normaliseRollout(`${path}.rollout`, raw.rollout, at);
    if (rollout.sticky && raw.protocol === "grpc") {
        at(`${path}.rollout.sticky`, "is true for a grpc service; stickiness rides on an HTTP cookie, which gRPC clients do not keep: remove it or use protocol http or http2");
    }
    const resilience = normaliseResilience(`${path}.resilience`, raw.resilience, at);
    if (gate.minHealthy !== undefined) {
        // Every colour that runs tasks may be flipped to; a colour at count 0 is refused by the flip anyway.
        for (const colour of COLOURS) {
            const { image, count } = colours[colour];
            if ((traffic[colour] > 0 || (image && count > 0)) && gate.minHealthy > count) {
                const never = traffic[colour] > 0 ? "the gate could never pass" : `a flip to ${colour} could never pass`;
                at(`${path}.gate.minHealthy`, `${gate.minHealthy} is more than ${colour}'s count of ${count}; ${never}: lower gate.minHealthy or raise ${colour}'s count`);
            }
        }
    }
    const healthCheck = raw.healthCheck
        ? {
              path: raw.healthCheck.path,
              interval: raw.healthCheck.interval ?? 10,
              timeout: raw.healthCheck.timeout ?? 5,
              retries: raw.healthCheck.retries ?? 3,
              startPeriod: raw.healthCheck.startPeriod ?? 30,
          }
        : undefined;
    // The ECS health check quotes the URL in a shell command: a quote or a space would break out of it.
    const healthCheckProblem = healthCheck ? urlPathProblem(healthCheck.path) : undefined;
    if (healthCheckProblem) {
        at(`${path}.healthCheck.path`, healthCheckProblem);
    }
    for (const [key, arn] of Object.entries({ ...raw.secrets, ...raw.blue?.secrets, ...raw.green?.secrets })) {
        if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+/.test(arn)) {
            at(`${path}.secrets.${key}`, `${JSON.stringify(arn)} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`);
        }
    }
    return {
        name,
        port: raw.port,
        protocol: raw.protocol ?? "http",
        healthCheck,
        cpu,
        memory,
        env: raw.env ?? {},
        secrets: raw.secrets ?? {},
        upstreams,
        route: raw.route,
        ...colours,
        traffic,
        gate,
        rollout,
        enableExecuteCommand: raw.enableExecuteCommand ?? false,
        resilience,
    };
}

function normaliseColour(path: string, raw: RawColour | undefined, at: Report): ColourConfig {
    if (raw?.image !== undefined) {
        checkedImage(`${path}.image`, raw.image, at);
    }
    checkEnv(path, raw?.env, `${path}.env`, at);
    return { image: raw?.image, count: raw?.count ?? 0, env: raw?.env ?? {}, secrets: raw?.secrets ?? {} };
}

/** `owner` is the service or colour whose `env` this is; its `secrets` is where secrets go. */
function checkEnv(owner: string, env: Record<string, string> | undefined, envPath: string, at: Report): void {
    if (isSecureValue(env)) {
        at(envPath, `is a secure: value; ${SECURE_VALUE_ADVICE}`);
        return;
    }
    checkPlainEnv(envPath, `${owner}.secrets`, env, at);
}

function checkPort(path: string, port: number, at: Report): void {
    if (RESERVED_PORTS.includes(port)) {
        at(path, `${port} is reserved by the mesh (${RESERVED_PORTS.join(", ")}); pick another port`);
    }
}

function checkCrossService(services: readonly ServiceConfig[], names: ReadonlySet<string>, at: Report): void {
    const routes = new Map<string, string>();
    for (const service of services) {
        service.upstreams.forEach((u, i) => {
            if (u.service !== service.name && !names.has(u.service)) {
                at(`bluegreen:services.${service.name}.upstreams[${i}].service`, `"${u.service}" is not a service in this stack; known: ${[...names].join(", ")}`);
            }
        });
        for (const colour of COLOURS) {
            if (service.rollout.sticky && names.has(stickyServiceName(service.name, colour))) {
                at(`bluegreen:services.${stickyServiceName(service.name, colour)}`, `is the name of ${service.name}'s sticky-canary routing entry for ${colour}; rename the service`);
            }
        }
        if (service.route) {
            const prefix = normalisePrefix(service.route.pathPrefix);
            const other = routes.get(prefix);
            if (other) {
                at(`bluegreen:services.${service.name}.route.pathPrefix`, `"${service.route.pathPrefix}" is already the route of ${other}; each route needs its own path`);
            } else {
                routes.set(prefix, service.name);
            }
        }
    }
}

function normalisePrefix(prefix: string): string {
    return prefix.length > 1 && prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
}
