// Evaluates the real program offline under Pulumi's mock runtime (`pulumi.runtime.setMocks`) and
// records every resource it registers: type, name, parent, dependencies and inputs. No CLI, no
// plugins, no credentials, no network. Used by `npm run plan`, the tests, the flip's dry run, the
// policy check and the benchmark.
//
// The mocks stand in for the cloud providers only: they echo a resource's inputs back as its state
// and add the few outputs AWS, awsx, tls, random and consul would compute (ids, ARNs, DNS names,
// generated key material). Generated secrets carry the marker MOCK_SECRET_MARKER so that tests can
// scan a plan for secret material that leaked into a plain input.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

export const PROJECT = "bluegreen";
export const MOCK_ACCOUNT = "123456789012";
/** Every mocked secret value contains this text; a plain input containing it is a leak. */
export const MOCK_SECRET_MARKER = "MOCKSECRET";
/** The fixed "now" of mocked timestamps (certificate validity), so plans are deterministic. */
export const MOCK_NOW = "2025-01-01T00:00:00Z";
/** How a secret input is shown in a recorded plan. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface RegisteredResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** The parent's URN, when the resource has one. */
    readonly parent?: string;
    readonly custom: boolean;
    readonly dependsOn: readonly string[];
    /** The explicit provider reference (`<provider urn>::<id>`), when the resource was given one. */
    readonly provider?: string;
    /** Inputs as the engine would receive them; secret values shown as "[secret]". */
    readonly inputs: Record<string, unknown>;
    /** Names of the inputs that were secrets. */
    readonly secretInputs: readonly string[];
}

export interface OfflinePlan {
    readonly project: string;
    readonly stack: string;
    readonly resources: readonly RegisteredResource[];
    readonly outputs: Record<string, unknown>;
}

export type StackValues = Record<string, unknown>;

export interface PlanOptions {
    readonly stack: string;
    /** The stack file's `config:` map (keys like `aws:region`, `bluegreen:services`). */
    readonly config: StackValues;
    /** Evaluate as `pulumi preview` (true, default) or as `pulumi up` (false). */
    readonly preview?: boolean;
    /** Called for each mocked `call` (invoke); return a result to override the default mock. */
    readonly onCall?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown> | undefined;
    /** The program to evaluate instead of index.ts's default export (tests of components on their own). */
    readonly program?: Program;
}

/** A program's entry point, like index.ts's default export. index.ts is loaded lazily so mocks are set first. */
export type Program = () => unknown;

let programCache: Program | undefined;
function loadProgram(): Program {
    if (!programCache) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(path.join(__dirname, "..", "..", "index")) as { default: Program };
        programCache = mod.default;
    }
    return programCache;
}

/** An error in how a command was called; printed without a stack trace. */
export class UsageError extends Error {}

/**
 * Runs the program for one stack under the mock runtime and returns what it registered.
 * Plans run one at a time in a process (the Pulumi runtime is process-global).
 */
export async function planStack(options: PlanOptions): Promise<OfflinePlan> {
    const resources: RegisteredResource[] = [];
    const failures: unknown[] = [];
    const onRejection = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onRejection);
    // The SDK records `new Error().stack` for every promise and resource it creates. Under ts-node,
    // source-map-support rewrites each of those traces through source maps, which is most of a
    // plan's time; V8's own formatting is enough offline (traces still name the file and line).
    const prepareStackTrace = Object.getOwnPropertyDescriptor(Error, "prepareStackTrace");
    delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
    try {
        await pulumi.runtime.setMocks(createMocks(options), PROJECT, options.stack, options.preview ?? true);
        recordRegistrations(resources);
        pulumi.runtime.setAllConfig(toEngineConfig(options.config), secretKeys(options.config));

        const result = (options.program ?? loadProgram())();
        const outputs = (await resolveOutputs(result)) as Record<string, unknown>;
        await waitForRegistrations();
        if (failures.length > 0) {
            throw failures[0];
        }
        return { project: PROJECT, stack: options.stack, resources, outputs };
    } finally {
        if (prepareStackTrace) {
            Object.defineProperty(Error, "prepareStackTrace", prepareStackTrace);
        }
        process.off("unhandledRejection", onRejection);
    }
}

/** Pulumi hands config to a program as strings: structured values as JSON. */
function toEngineConfig(config: StackValues): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        out[key] = typeof value === "string" ? value : isSecureValue(value) ? `${MOCK_SECRET_MARKER}-config-${key}` : JSON.stringify(value);
    }
    return out;
}

/** `secure:` values in a stack file are encrypted; offline they become marked placeholders. */
function isSecureValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && Object.keys(value).length === 1 && "secure" in value;
}

function secretKeys(config: StackValues): string[] {
    return Object.entries(config)
        .filter(([, value]) => isSecureValue(value))
        .map(([key]) => key);
}

async function resolveOutputs(result: unknown): Promise<unknown> {
    const value = await result;
    if (value === undefined || value === null) {
        return {};
    }
    return new Promise((resolve) => {
        pulumi.output(value as pulumi.Input<Record<string, unknown>>).apply((resolved) => {
            resolve(resolved);
            return resolved;
        });
    });
}

async function waitForRegistrations(): Promise<void> {
    // The SDK tracks every outstanding registration; wait for the queue to drain (twice, because
    // a registration can schedule more work, for example a component's children).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };
    await settings.waitForRPCs();
    await new Promise((resolve) => setImmediate(resolve));
    await settings.waitForRPCs();
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getDependenciesList(): string[];
    getProvider(): string;
}
interface RegisterResponse {
    getUrn(): string;
}
type MonitorCallback = (err: unknown, response?: RegisterResponse) => void;

/** Wraps the mock monitor so that parents and dependencies, which mocks do not see, are recorded. */
function recordRegistrations(resources: RegisteredResource[]): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: RegisterRequest & { getObject(): unknown }, cb: MonitorCallback): void;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const inputs = pulumi.runtime.deserializeProperties(req.getObject() as never) as Record<string, unknown>;
        original(req, (err, response) => {
            if (!err && response) {
                const { plain, secrets } = redactSecrets(inputs);
                resources.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: response.getUrn(),
                    parent: req.getParent() || undefined,
                    custom: req.getCustom(),
                    dependsOn: req.getDependenciesList(),
                    provider: req.getProvider() || undefined,
                    inputs: plain,
                    secretInputs: secrets,
                });
            }
            callback(err, response);
        });
    };
}

/** Replaces secret-wrapped values with a placeholder; drops the dynamic provider's serialized code. */
function redactSecrets(inputs: Record<string, unknown>): { plain: Record<string, unknown>; secrets: string[] } {
    const secrets: string[] = [];
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(inputs)) {
        if (key === "__provider") {
            plain[key] = "[serialized dynamic provider]";
            continue;
        }
        const { value: redacted, hadSecret } = redact(value);
        plain[key] = redacted;
        if (hadSecret) {
            secrets.push(key);
        }
    }
    return { plain, secrets };
}

function redact(value: unknown): { value: unknown; hadSecret: boolean } {
    if (pulumi.runtime.isRpcSecret(value)) {
        return { value: SECRET_PLACEHOLDER, hadSecret: true };
    }
    if (Array.isArray(value)) {
        let hadSecret = false;
        const items = value.map((item) => {
            const r = redact(item);
            hadSecret ||= r.hadSecret;
            return r.value;
        });
        return { value: items, hadSecret };
    }
    if (value !== null && typeof value === "object") {
        let hadSecret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const r = redact(v);
            hadSecret ||= r.hadSecret;
            out[k] = r.value;
        }
        return { value: out, hadSecret };
    }
    return { value, hadSecret: false };
}

function unwrapSecrets(value: unknown): unknown {
    if (pulumi.runtime.isRpcSecret(value)) {
        return unwrapSecrets(pulumi.runtime.unwrapRpcSecret(value));
    }
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

function createMocks(options: PlanOptions): pulumi.runtime.Mocks {
    const region = typeof options.config["aws:region"] === "string" ? (options.config["aws:region"] as string) : "eu-west-1";
    return {
        newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
            const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
            const id = `${args.name}-id`;
            return { id, state: { ...inputs, ...computedOutputs(args.type, args.name, inputs, region) } };
        },
        call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
            return options.onCall?.(args) ?? mockCall(args, region);
        },
    };
}

/** What a provider computes for a resource on create, in the shape of the real SDK's outputs. */
export function computedOutputs(type: string, name: string, inputs: Record<string, unknown>, region: string): Record<string, unknown> {
    const [pkg, modulePath, kind] = type.split(":");
    const service = (modulePath ?? "").split("/")[0];
    const physicalName = typeof inputs.name === "string" ? inputs.name : `${name}-mock`;
    const outputs: Record<string, unknown> = {
        name: physicalName,
        arn: `arn:aws:${service}:${region}:${MOCK_ACCOUNT}:${(kind ?? "resource").toLowerCase()}/${physicalName}`,
    };
    switch (type) {
        case "awsx:ec2:Vpc": {
            const azs = typeof inputs.numberOfAvailabilityZones === "number" ? inputs.numberOfAvailabilityZones : 3;
            const ids = (prefix: string) => Array.from({ length: azs }, (_, i) => `subnet-${prefix}${i}${name.length}`);
            return {
                vpcId: `vpc-${name.length}0mock`,
                privateSubnetIds: ids("0a"),
                publicSubnetIds: ids("0b"),
                isolatedSubnetIds: [],
                vpc: { cidrBlock: inputs.cidrBlock, id: `vpc-${name.length}0mock` },
            };
        }
        case "aws:iam/role:Role":
            return { ...outputs, arn: `arn:aws:iam::${MOCK_ACCOUNT}:role${inputs.path ?? "/"}${physicalName}`, uniqueId: `AROA${name.length}MOCK` };
        case "aws:iam/instanceProfile:InstanceProfile":
            return { ...outputs, arn: `arn:aws:iam::${MOCK_ACCOUNT}:instance-profile${inputs.path ?? "/"}${physicalName}`, uniqueId: `AIPA${name.length}MOCK` };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { ...outputs, arn: `arn:aws:logs:${region}:${MOCK_ACCOUNT}:log-group:${physicalName}` };
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { ...outputs, arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT}:launch-template/lt-0${name.length}mock`, latestVersion: 1, defaultVersion: 1 };
        case "aws:lb/loadBalancer:LoadBalancer":
            return { ...outputs, dnsName: `${physicalName}.${region}.elb.amazonaws.com`, zoneId: "Z32O12XQLNTSW2", arnSuffix: `app/${physicalName}/mock` };
        case "aws:lb/targetGroup:TargetGroup":
            return { ...outputs, arnSuffix: `targetgroup/${physicalName}/mock` };
        case "aws:secretsmanager/secret:Secret":
            return { ...outputs, arn: `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT}:secret:${physicalName}-AbCdEf` };
        case "aws:kms/key:Key":
            return { ...outputs, keyId: `${name}-key-id`, arn: `arn:aws:kms:${region}:${MOCK_ACCOUNT}:key/${name}-key-id` };
        case "aws:s3/bucket:Bucket":
        case "aws:s3/bucketV2:BucketV2":
            return { ...outputs, bucket: inputs.bucket ?? physicalName, arn: `arn:aws:s3:::${inputs.bucket ?? physicalName}` };
        case "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace":
            return { ...outputs, hostedZone: "Z0MOCKZONE" };
        case "random:index/randomPassword:RandomPassword":
        case "random:index/randomString:RandomString":
            return { result: `${MOCK_SECRET_MARKER}-${name}` };
        case "random:index/randomUuid:RandomUuid":
            return { result: `00000000-0000-4000-8000-${String(name.length).padStart(12, "0")}`, id: name };
        case "random:index/randomId:RandomId":
            return { b64Std: `${MOCK_SECRET_MARKER}${name}`.padEnd(43, "A") + "=", hex: `${MOCK_SECRET_MARKER}-${name}` };
        case "tls:index/privateKey:PrivateKey":
            return {
                privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${MOCK_SECRET_MARKER}-${name}\n-----END PRIVATE KEY-----\n`,
                privateKeyOpenssh: `${MOCK_SECRET_MARKER}-${name}-openssh`,
                publicKeyPem: `-----BEGIN PUBLIC KEY-----\nPUBLIC-${name}\n-----END PUBLIC KEY-----\n`,
            };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert": {
            const hours = typeof inputs.validityPeriodHours === "number" ? inputs.validityPeriodHours : 0;
            return {
                certPem: `-----BEGIN CERTIFICATE-----\nCERT-${name}\n-----END CERTIFICATE-----\n`,
                validityStartTime: MOCK_NOW,
                validityEndTime: new Date(Date.parse(MOCK_NOW) + hours * 3600_000).toISOString().replace(/\.000Z$/, "Z"),
            };
        }
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nCSR-${name}\n-----END CERTIFICATE REQUEST-----\n` };
        case "consul:index/aclToken:AclToken":
            return { accessorId: `11111111-0000-4000-8000-${String(name.length).padStart(12, "0")}` };
        case "consul:index/aclPolicy:AclPolicy":
            return { id: `22222222-0000-4000-8000-${String(name.length).padStart(12, "0")}` };
        default:
            return pkg === "aws" ? outputs : {};
    }
}

/** What an invoke (data source) returns, for the few the program makes. */
export function mockCall(args: pulumi.runtime.MockCallArgs, region: string): Record<string, unknown> {
    switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, userId: "AIDAMOCK", id: MOCK_ACCOUNT };
        case "aws:index/getRegion:getRegion":
            return { name: region, region, id: region };
        case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: ["a", "b", "c", "d", "e", "f"].map((s) => `${region}${s}`), zoneIds: [], id: region };
        case "aws:ssm/getParameter:getParameter":
            return { value: "ami-0mock0amazonlinux2023", type: "String", arn: `arn:aws:ssm:${region}::parameter${args.inputs.name}` };
        case "aws:ec2/getVpc:getVpc":
            return { cidrBlock: "10.0.0.0/16", id: args.inputs.id ?? "vpc-mock" };
        case "consul:index/getAclTokenSecretId:getAclTokenSecretId":
            return { secretId: `${MOCK_SECRET_MARKER}-token-${args.inputs.accessorId}`, accessorId: args.inputs.accessorId };
        default:
            return { ...args.inputs };
    }
}
