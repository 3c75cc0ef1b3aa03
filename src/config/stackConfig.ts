// The stack configuration: its types, its defaults and every check on it, in one place.
//
// `validateStackConfig` is pure (plain data in, typed config or a list of problems out) so that it
// can be tested table by table; `loadStackConfig` reads the Pulumi config and throws one error that
// lists every problem before the program registers a single resource.
import * as pulumi from "@pulumi/pulumi";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { rawConfigSchemas, rawServiceSchema } from "./schema";

export const COLOURS = ["blue", "green"] as const;
export type Colour = (typeof COLOURS)[number];

/** Ports the mesh uses inside a task or on the servers; never a service or upstream port. */
export const RESERVED_PORTS: readonly number[] = [19000, 20000, 22000, 8300, 8301, 8302, 8500, 8501, 8502, 8503, 8600, 10000];

/** Default images, matched as HashiCorp releases them (reference section 0). */
export const DEFAULT_CONSUL_VERSION = "2.0.1";
export const DEFAULT_CONSUL_ECS_IMAGE = "public.ecr.aws/hashicorp/consul-ecs:0.10.0";
export const DEFAULT_DATAPLANE_IMAGE = "hashicorp/consul-dataplane:2.0.1";

export type NetworkConfig =
    | { readonly kind: "create"; readonly cidr: string; readonly azCount: number; readonly natGateways: "single" | "perAz" }
    | { readonly kind: "existing"; readonly vpcId: string; readonly privateSubnetIds: readonly string[]; readonly publicSubnetIds: readonly string[] };

export interface ServerConfig {
    /** `dev`: one Fargate server, ephemeral data; `ha`: an EC2 Auto Scaling group of `count` servers. */
    readonly mode: "dev" | "ha";
    /** Number of servers: 1 in dev; 3 or 5 in ha. */
    readonly count: number;
    /** EC2 instance type of the ha servers. Default t4g.small (arm64). */
    readonly instanceType: string;
    /** Size of the servers' encrypted gp3 data volume in GiB. Default 20. */
    readonly dataVolumeSize: number;
    /** How often a snapshot is saved to S3 (a systemd OnCalendar expression). Default hourly. */
    readonly snapshotSchedule: string;
    /** Days a snapshot is kept before its lifecycle rule expires it. Default 30. */
    readonly snapshotRetentionDays: number;
}

export interface ConsulConfig {
    /** The Consul datacenter name. Default dc1. */
    readonly datacenter: string;
    /** The Consul server version. Default 2.0.1. */
    readonly version: string;
    readonly servers: ServerConfig;
    /** The consul-ecs image (mesh-init, health-sync, controller). */
    readonly ecsImage: string;
    /** The consul-dataplane image (runs Envoy). */
    readonly dataplaneImage: string;
    /**
     * Where this program reaches Consul's HTTPS API (`host:port`), for example `localhost:8501` through
     * an SSM tunnel. Default: the internal load balancer's DNS name on 8501.
     */
    readonly apiAddress?: string;
}

export interface GatewayConfig {
    /** CIDRs allowed to reach the public ALB. */
    readonly ingressCidrs: readonly string[];
    /** ACM certificate for HTTPS; without it the ALB listens on HTTP only (dev). */
    readonly certificateArn?: string;
    /** Gateway tasks. Default 1 in a dev-server stack, 2 otherwise. */
    readonly count: number;
    readonly cpu: number;
    readonly memory: number;
}

export interface UpstreamConfig {
    readonly service: string;
    readonly localPort: number;
}

export interface ColourConfig {
    /** Container image of this colour; a colour without one runs no tasks. */
    readonly image?: string;
    /** Desired task count. */
    readonly count: number;
    /** Plain settings merged over the service's `env`. */
    readonly env: Readonly<Record<string, string>>;
    /** Secrets Manager ARNs merged over the service's `secrets`. */
    readonly secrets: Readonly<Record<string, string>>;
}

export interface HealthCheckConfig {
    /** HTTP path probed inside the app container. */
    readonly path: string;
    readonly interval: number;
    readonly timeout: number;
    readonly retries: number;
    readonly startPeriod: number;
}

export interface GateConfig {
    /** Passing instances a colour needs before it may receive weight. Default: its count. */
    readonly minHealthy?: number;
    /** Skips the health gate: for emergencies only, and logged loudly. Default false. */
    readonly skip: boolean;
    /** CloudWatch alarm names that must be OK before and during a flip. */
    readonly alarms: readonly string[];
}

export interface ServiceConfig {
    readonly name: string;
    /** The port the application listens on (Envoy reaches it at 127.0.0.1:port). */
    readonly port: number;
    /** L7 protocol for Consul's routing; splitters need an HTTP-like one. Default http. */
    readonly protocol: "http" | "http2" | "grpc";
    readonly healthCheck?: HealthCheckConfig;
    /** Fargate task CPU units. Default 256. */
    readonly cpu: number;
    /** Fargate task memory in MiB. Default 512. */
    readonly memory: number;
    readonly env: Readonly<Record<string, string>>;
    readonly secrets: Readonly<Record<string, string>>;
    readonly upstreams: readonly UpstreamConfig[];
    /** Path prefix at which the API gateway routes internet traffic to this service. */
    readonly route?: { readonly pathPrefix: string };
    readonly blue: ColourConfig;
    readonly green: ColourConfig;
    readonly traffic: Readonly<Record<Colour, number>>;
    readonly gate: GateConfig;
    /** ECS Exec into this service's tasks. Default false. */
    readonly enableExecuteCommand: boolean;
}

export interface StackConfig {
    readonly project: string;
    readonly stack: string;
    readonly region: string;
    readonly network: NetworkConfig;
    readonly consul: ConsulConfig;
    readonly gateway: GatewayConfig;
    /** Services in the order the stack file lists them. */
    readonly services: readonly ServiceConfig[];
    /** Days CloudWatch keeps container logs. Default 30. */
    readonly logRetentionDays: number;
}

/** The top-level `bluegreen:*` keys a stack file may set. */
export const CONFIG_KEYS = ["network", "consul", "gateway", "services", "logRetentionDays"] as const;

/** One problem with the stack config: the key's path and what is wrong and allowed. */
export interface ConfigProblem {
    readonly path: string;
    readonly message: string;
}

/** Every problem found in a stack's config, reported at once; Pulumi prints it without a stack trace. */
export class StackConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "StackConfigError";
    }
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
    const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
    return `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** What `validateStackConfig` reads: the raw `bluegreen:*` values (parsed from YAML/JSON) and context. */
export interface RawStackInput {
    readonly project: string;
    readonly stack: string;
    readonly region?: unknown;
    /** Keys without the `bluegreen:` prefix. */
    readonly values: Readonly<Record<string, unknown>>;
}

export type ValidationResult = { ok: true; config: StackConfig } | { ok: false; problems: ConfigProblem[] };

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const structuralValidators = Object.fromEntries(
    Object.entries(rawConfigSchemas).map(([key, schema]) => [key, ajv.compile(schema)]),
);
const serviceValidator = ajv.compile(rawServiceSchema);

function checkStructure(root: string, validate: ValidateFunction, value: unknown, problems: ConfigProblem[]): boolean {
    if (validate(value)) {
        return true;
    }
    for (const error of validate.errors ?? []) {
        problems.push(describeSchemaError(root, error));
    }
    return false;
}

/** Validates and normalises a stack's config. Pure: no Pulumi runtime needed. */
export function validateStackConfig(input: RawStackInput): ValidationResult {
    const problems: ConfigProblem[] = [];
    const at = (path: string, message: string) => problems.push({ path, message });

    for (const key of Object.keys(input.values)) {
        if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
            at(`bluegreen:${key}`, `unknown key; allowed keys: ${CONFIG_KEYS.map((k) => `bluegreen:${k}`).join(", ")}`);
        }
    }
    if (typeof input.region !== "string" || input.region === "") {
        at("aws:region", "is required (for example eu-west-1)");
    }
    for (const required of ["consul", "gateway", "services"] as const) {
        if (input.values[required] === undefined) {
            at(`bluegreen:${required}`, "is required");
        }
    }
    const structurallyValid = new Set<string>();
    for (const key of CONFIG_KEYS) {
        const value = input.values[key];
        if (value !== undefined && checkStructure(`bluegreen:${key}`, structuralValidators[key], value, problems)) {
            structurallyValid.add(key);
        }
    }
    // Each service is checked on its own, so one broken service does not hide the others' problems.
    const rawServices: Record<string, RawService> = {};
    if (structurallyValid.has("services")) {
        for (const [name, value] of Object.entries(input.values.services as Record<string, unknown>)) {
            if (checkStructure(`bluegreen:services.${name}`, serviceValidator, value, problems)) {
                rawServices[name] = value as RawService;
            }
        }
    }

    const values = input.values as RawValues;
    const valid = <K extends keyof RawValues>(key: K): RawValues[K] | undefined => (structurallyValid.has(key) ? values[key] : undefined);
    const network = normaliseNetwork(valid("network"), at);
    const consul = normaliseConsul(valid("consul") ?? {}, input.stack, at);
    const serviceNames = structurallyValid.has("services") ? Object.keys(input.values.services as object) : undefined;
    const services = normaliseServices(rawServices, serviceNames, at);
    const gateway = normaliseGateway(valid("gateway") ?? {}, consul.servers.mode, at);
    if (problems.length > 0) {
        return { ok: false, problems: dedupe(problems) };
    }
    return {
        ok: true,
        config: {
            project: input.project,
            stack: input.stack,
            region: input.region as string,
            network,
            consul,
            gateway,
            services,
            logRetentionDays: values.logRetentionDays ?? 30,
        },
    };
}

/** Reads `aws:region` and the `bluegreen:*` keys from the running program's config, or throws. */
export function loadStackConfig(): StackConfig {
    const values: Record<string, unknown> = {};
    let region: unknown;
    for (const [fullKey, raw] of Object.entries(pulumi.runtime.allConfig())) {
        const [namespace, key] = splitKey(fullKey);
        if (namespace === "aws" && key === "region") {
            region = raw;
        } else if (namespace === pulumi.getProject()) {
            values[key] = parseConfigValue(raw);
        }
    }
    const result = validateStackConfig({ project: pulumi.getProject(), stack: pulumi.getStack(), region, values });
    if (!result.ok) {
        throw new StackConfigError(result.problems);
    }
    return result.config;
}

function splitKey(fullKey: string): [string, string] {
    const colon = fullKey.indexOf(":");
    return colon < 0 ? ["", fullKey] : [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
}

/** Pulumi hands structured and numeric config to the program as JSON text. */
function parseConfigValue(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

// ---------------------------------------------------------------------------------------------
// Semantic checks and defaults, after the structural schema has passed.

type Report = (path: string, message: string) => void;

interface RawValues {
    network?: RawNetwork;
    consul?: RawConsul;
    gateway?: RawGateway;
    services?: Record<string, RawService>;
    logRetentionDays?: number;
}
interface RawNetwork {
    cidr?: string;
    azCount?: number;
    natGateways?: "single" | "perAz";
    vpcId?: string;
    privateSubnetIds?: string[];
    publicSubnetIds?: string[];
}
interface RawConsul {
    datacenter?: string;
    version?: string;
    servers?: Partial<Omit<ServerConfig, "mode">> & { mode?: "dev" | "ha" };
    ecsImage?: string;
    dataplaneImage?: string;
    apiAddress?: string;
}
interface RawGateway {
    ingressCidrs?: string[];
    certificateArn?: string;
    count?: number;
    cpu?: number;
    memory?: number;
}
interface RawColour {
    image?: string;
    count?: number;
    env?: Record<string, string>;
    secrets?: Record<string, string>;
}
interface RawService {
    port: number;
    protocol?: "http" | "http2" | "grpc";
    healthCheck?: Partial<HealthCheckConfig> & { path: string };
    cpu?: number;
    memory?: number;
    env?: Record<string, string>;
    secrets?: Record<string, string>;
    upstreams?: UpstreamConfig[];
    route?: { pathPrefix: string };
    blue?: RawColour;
    green?: RawColour;
    traffic: Record<string, unknown>;
    gate?: { minHealthy?: number; skip?: boolean; alarms?: string[] };
    enableExecuteCommand?: boolean;
}

function normaliseNetwork(raw: RawNetwork | undefined, at: Report): NetworkConfig {
    const path = "bluegreen:network";
    const own = raw !== undefined && (raw.vpcId !== undefined || raw.privateSubnetIds !== undefined || raw.publicSubnetIds !== undefined);
    const create = raw !== undefined && (raw.cidr !== undefined || raw.azCount !== undefined || raw.natGateways !== undefined);
    if (own && create) {
        at(path, "sets both forms at once; either create a VPC ({ cidr, azCount, natGateways }) or bring your own ({ vpcId, privateSubnetIds, publicSubnetIds }), not both");
    }
    if (own) {
        for (const key of ["vpcId", "privateSubnetIds", "publicSubnetIds"] as const) {
            if (raw[key] === undefined) {
                at(`${path}.${key}`, "is required when bringing your own VPC");
            }
        }
        if (raw.privateSubnetIds !== undefined && raw.privateSubnetIds.length < 2) {
            at(`${path}.privateSubnetIds`, "needs at least 2 subnets in different availability zones");
        }
        if (raw.publicSubnetIds !== undefined && raw.publicSubnetIds.length < 2) {
            at(`${path}.publicSubnetIds`, "needs at least 2 subnets in different availability zones (the ALB requires two)");
        }
        return { kind: "existing", vpcId: raw.vpcId ?? "", privateSubnetIds: raw.privateSubnetIds ?? [], publicSubnetIds: raw.publicSubnetIds ?? [] };
    }
    const cidr = raw?.cidr ?? "10.40.0.0/16";
    const cidrProblem = checkCidr(cidr);
    if (cidrProblem) {
        at(`${path}.cidr`, `${JSON.stringify(cidr)} ${cidrProblem}`);
    } else {
        const prefix = Number(cidr.split("/")[1]);
        if (prefix < 16 || prefix > 24) {
            at(`${path}.cidr`, `${JSON.stringify(cidr)} has prefix /${prefix}; a VPC takes /16 to /24 (/16 to /20 leaves room for the subnets)`);
        }
    }
    return { kind: "create", cidr, azCount: raw?.azCount ?? 3, natGateways: raw?.natGateways ?? "perAz" };
}

/** Returns what is wrong with an IPv4 CIDR, or undefined when it is a valid network address. */
export function checkCidr(cidr: string): string | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!match) {
        return "is not an IPv4 CIDR (a.b.c.d/n)";
    }
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((o) => o > 255) || prefix > 32) {
        return "is out of range (octets 0-255, prefix 0-32)";
    }
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const hostBits = 2 ** (32 - prefix);
    if (address % hostBits !== 0) {
        return `has host bits set; the network address for /${prefix} is ${formatIpv4(address - (address % hostBits))}/${prefix}`;
    }
    return undefined;
}

function formatIpv4(address: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}

function normaliseConsul(raw: RawConsul, stack: string, at: Report): ConsulConfig {
    const path = "bluegreen:consul";
    const mode = raw.servers?.mode ?? "ha";
    const count = raw.servers?.count ?? (mode === "ha" ? 3 : 1);
    if (mode === "ha" && (count < 3 || count % 2 === 0)) {
        at(`${path}.servers.count`, `${count} servers in ha mode; use an odd count of at least 3 (3 survives one loss, 5 survives two)`);
    }
    if (mode === "dev" && count !== 1) {
        at(`${path}.servers.count`, `${count} servers in dev mode; dev runs exactly 1 server (use mode: ha for more)`);
    }
    if (mode === "dev" && /(^|[-_.])prod($|[-_.])/.test(stack)) {
        at(`${path}.servers.mode`, `"dev" in stack "${stack}"; a production stack needs mode: ha (dev servers lose their data on restart)`);
    }
    const version = raw.version ?? DEFAULT_CONSUL_VERSION;
    return {
        datacenter: raw.datacenter ?? "dc1",
        version,
        servers: {
            mode,
            count,
            instanceType: raw.servers?.instanceType ?? "t4g.small",
            dataVolumeSize: raw.servers?.dataVolumeSize ?? 20,
            snapshotSchedule: raw.servers?.snapshotSchedule ?? "hourly",
            snapshotRetentionDays: raw.servers?.snapshotRetentionDays ?? 30,
        },
        ecsImage: raw.ecsImage ?? DEFAULT_CONSUL_ECS_IMAGE,
        dataplaneImage: raw.dataplaneImage ?? DEFAULT_DATAPLANE_IMAGE,
        apiAddress: raw.apiAddress,
    };
}

function normaliseGateway(raw: RawGateway, serverMode: "dev" | "ha", at: Report): GatewayConfig {
    const path = "bluegreen:gateway";
    const ingressCidrs = raw.ingressCidrs ?? ["0.0.0.0/0"];
    ingressCidrs.forEach((cidr, i) => {
        const problem = checkCidr(cidr);
        if (problem) {
            at(`${path}.ingressCidrs[${i}]`, `${JSON.stringify(cidr)} ${problem}`);
        }
    });
    const cpu = raw.cpu ?? 256;
    const memory = raw.memory ?? 512;
    checkFargateSize(`${path}`, cpu, memory, at);
    return {
        ingressCidrs,
        certificateArn: raw.certificateArn,
        count: raw.count ?? (serverMode === "dev" ? 1 : 2),
        cpu,
        memory,
    };
}

/**
 * The longest service name the program accepts: Consul allows 63, but each colour's IAM roles are
 * named `<name>-<colour>-execution` plus an 8-character suffix, and IAM role names stop at 64.
 */
export const MAX_SERVICE_NAME = 40;

/** Consul service names are DNS labels: lowercase, digits and '-', at most 63 characters. */
const SERVICE_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** `allNames` is undefined when `bluegreen:services` itself is malformed (already reported). */
function normaliseServices(raw: Record<string, RawService>, allNames: readonly string[] | undefined, at: Report): ServiceConfig[] {
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

    if (raw.route && !raw.route.pathPrefix.startsWith("/")) {
        at(`${path}.route.pathPrefix`, `${JSON.stringify(raw.route.pathPrefix)} must start with "/"`);
    } else if (raw.route && normalisePrefix(raw.route.pathPrefix) === "/") {
        // The ALB health-checks the gateway on a path no route serves (Envoy answers 404); a route
        // for "/" would tie every gateway task's health to that one service's backends.
        at(`${path}.route.pathPrefix`, `"/" would route every path, including the ALB's health check of the gateway; use a prefix such as "/${name}"`);
    }

    const colours = {
        blue: normaliseColour(raw.blue),
        green: normaliseColour(raw.green),
    };
    const traffic = checkTraffic(`${path}.traffic`, raw.traffic, colours, at);
    const gate = {
        minHealthy: raw.gate?.minHealthy,
        skip: raw.gate?.skip ?? false,
        alarms: raw.gate?.alarms ?? [],
    };
    if (gate.minHealthy !== undefined) {
        for (const colour of COLOURS) {
            if (traffic[colour] > 0 && gate.minHealthy > colours[colour].count) {
                at(`${path}.gate.minHealthy`, `${gate.minHealthy} is more than ${colour}'s count of ${colours[colour].count}; the gate could never pass`);
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
    if (healthCheck && !healthCheck.path.startsWith("/")) {
        at(`${path}.healthCheck.path`, `${JSON.stringify(healthCheck.path)} must start with "/"`);
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
        enableExecuteCommand: raw.enableExecuteCommand ?? false,
    };
}

function normaliseColour(raw: RawColour | undefined): ColourConfig {
    return { image: raw?.image, count: raw?.count ?? 0, env: raw?.env ?? {}, secrets: raw?.secrets ?? {} };
}

/** Consul rounds weights to 0.01 and requires them to sum to exactly 100. */
function checkTraffic(path: string, raw: Record<string, unknown>, colours: Record<Colour, ColourConfig>, at: Report): Record<Colour, number> {
    const weights = { blue: 0, green: 0 };
    let allNumbers = true;
    for (const colour of COLOURS) {
        const value = raw[colour];
        if (typeof value !== "number" || !Number.isFinite(value)) {
            at(`${path}.${colour}`, `${JSON.stringify(value)} is not a number; weights are numbers from 0 to 100`);
            allNumbers = false;
            continue;
        }
        if (value < 0 || value > 100) {
            at(`${path}.${colour}`, `${value} is outside 0..100`);
            allNumbers = false;
        } else if (Math.round(value * 100) !== value * 100 && Math.abs(Math.round(value * 100) - value * 100) > 1e-6) {
            at(`${path}.${colour}`, `${value} has more than 2 decimals; Consul keeps weights to 0.01`);
            allNumbers = false;
        }
        weights[colour] = value;
        const c = colours[colour];
        if (value > 0 && (c.count === 0 || !c.image)) {
            at(`${path}.${colour}`, `${value} sends traffic to ${colour}, which has ${!c.image ? "no image" : "count 0"}; give ${colour} an image and a count above 0, or set its weight to 0`);
        }
    }
    if (allNumbers) {
        const sumHundredths = Math.round(weights.blue * 100) + Math.round(weights.green * 100);
        if (sumHundredths !== 10000) {
            at(path, `weights sum to ${sumHundredths / 100}; blue + green must be exactly 100`);
        }
    }
    return weights;
}

function checkPort(path: string, port: number, at: Report): void {
    if (RESERVED_PORTS.includes(port)) {
        at(path, `${port} is reserved by the mesh (${RESERVED_PORTS.join(", ")}); pick another port`);
    }
}

/** Task sizes Fargate offers (Linux): CPU units -> allowed memory in MiB. */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
    [256, [512, 1024, 2048]],
    [512, range(1024, 4096, 1024)],
    [1024, range(2048, 8192, 1024)],
    [2048, range(4096, 16384, 1024)],
    [4096, range(8192, 30720, 1024)],
    [8192, range(16384, 61440, 4096)],
    [16384, range(32768, 122880, 8192)],
]);

function range(from: number, to: number, step: number): number[] {
    const values: number[] = [];
    for (let v = from; v <= to; v += step) {
        values.push(v);
    }
    return values;
}

function checkFargateSize(path: string, cpu: number, memory: number, at: Report): void {
    const allowed = FARGATE_SIZES.get(cpu);
    if (!allowed) {
        at(`${path}.cpu`, `${cpu} is not a Fargate CPU size; allowed: ${[...FARGATE_SIZES.keys()].join(", ")}`);
    } else if (!allowed.includes(memory)) {
        at(`${path}.memory`, `${memory} MiB is not offered by Fargate with cpu ${cpu}; allowed: ${describeSizes(allowed)}`);
    }
}

function describeSizes(sizes: readonly number[]): string {
    return sizes.length <= 4 ? sizes.join(", ") : `${sizes[0]} to ${sizes[sizes.length - 1]} in steps of ${sizes[1] - sizes[0]}`;
}

function checkCrossService(services: readonly ServiceConfig[], names: ReadonlySet<string>, at: Report): void {
    const routes = new Map<string, string>();
    for (const service of services) {
        service.upstreams.forEach((u, i) => {
            if (u.service !== service.name && !names.has(u.service)) {
                at(`bluegreen:services.${service.name}.upstreams[${i}].service`, `"${u.service}" is not a service in this stack; known: ${[...names].join(", ")}`);
            }
        });
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

function describeSchemaError(root: string, error: ErrorObject): ConfigProblem {
    const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    let path = root;
    for (const segment of segments) {
        path += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
    }
    const value = error.data === undefined ? "" : `${JSON.stringify(error.data)} `;
    switch (error.keyword) {
        case "additionalProperties": {
            const key = (error.params as { additionalProperty: string }).additionalProperty;
            const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
            return { path: `${path}.${key}`, message: `unknown key; allowed here: ${allowed.join(", ")}` };
        }
        case "required":
            return { path: `${path}.${(error.params as { missingProperty: string }).missingProperty}`, message: "is required" };
        case "enum":
            return { path, message: `${value}is not allowed; use one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}` };
        case "type":
            return { path, message: `${value}is not ${article((error.params as { type: string }).type)}` };
        default:
            return { path, message: `${value}${error.message ?? "is invalid"}` };
    }
}

function article(type: string): string {
    const t = type.replace(/,/g, " or ");
    return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
    const seen = new Set<string>();
    return problems.filter((p) => {
        const key = `${p.path}\u0000${p.message}`;
        return seen.has(key) ? false : (seen.add(key), true);
    });
}
