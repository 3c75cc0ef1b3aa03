// The identity and region of the stack's AWS provider, for the AWS clients the program's dynamic
// providers build (the Release's Step Functions client) and for `flip rollback`'s Lambda client, so
// that StartExecution and the rollback's Invoke run as the same identity as every other resource of
// the stack and never as whoever the shell happens to be.
//
// Where the config comes from: the dynamic provider host calls the provider's `configure` with the
// stack's whole config, keys with their namespace (`aws:profile`), each value a string (objects and
// lists as JSON, secrets decrypted): Pulumi's engine passes dynamic providers every config key
// (pkg/resource/deploy/target.go GetPackageConfig) and sdk/nodejs/cmd/dynamic-provider wraps it in
// `ConfigureRequest.config`. The keys are those of @pulumi/aws 7 (config/vars.d.ts): `aws:region`,
// `aws:accessKey`/`secretKey`/`token`, `aws:profile`, `aws:sharedCredentialsFiles`,
// `aws:sharedConfigFiles`, `aws:assumeRoles` (a list: each role assumed with the one before, as the
// provider chains them), `aws:assumeRoleWithWebIdentity`, `aws:endpoints` (`sfn`/`stepfunctions`,
// `sts`, `lambda`) and `aws:stsRegion`. `aws:assumeRole` (one object) is the 6.x key that 7.x
// replaced with `aws:assumeRoles`; it is refused with that advice rather than half-honoured.
// `flip rollback` reads the same keys from the stack file (values as YAML, not strings) and invokes
// the engine's function with the identity they give, so an operator's rollback runs as `pulumi up` does.
//
// Base credentials, first that applies: keys in config; else web identity in config; else the
// profile in config (its shared files as configured); else the AWS SDK's default chain (the
// environment, AWS_PROFILE, SSO, container and instance credentials), which is what the provider
// also falls back to. Then every role of `aws:assumeRoles`, in order.
import { durationMs } from "../shared/durations";
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials, fromTokenFile, fromWebToken, FromTemporaryCredentialsOptions } from "@aws-sdk/credential-providers";

/** A source of AWS credentials (what an AWS SDK client's `credentials` takes). */
export type AwsCredentialIdentityProvider = Extract<NonNullable<FromTemporaryCredentialsOptions["masterCredentials"]>, (...args: never[]) => unknown>;

/** One entry of `aws:assumeRoles` (@pulumi/aws types/output.d.ts config.AssumeRoles). */
interface AssumeRoleSettings {
    readonly roleArn: string;
    readonly sessionName?: string;
    readonly externalId?: string;
    readonly durationSeconds?: number;
    readonly policy?: string;
    readonly policyArns?: readonly string[];
    readonly tags?: Readonly<Record<string, string>>;
    readonly transitiveTagKeys?: readonly string[];
    readonly sourceIdentity?: string;
}

interface WebIdentitySettings {
    readonly roleArn: string;
    readonly sessionName?: string;
    readonly webIdentityToken?: string;
    readonly webIdentityTokenFile?: string;
    readonly durationSeconds?: number;
    readonly policy?: string;
    readonly policyArns?: readonly string[];
}

/** What the stack's AWS provider config says about identity, region and endpoints. */
export interface AwsProviderSettings {
    readonly region: string;
    /** Where the base credentials come from, for messages: "aws:accessKey", "aws:profile ops", "the AWS SDK's default chain". */
    readonly source: string;
    readonly keys?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
    readonly profile?: string;
    readonly sharedCredentialsFile?: string;
    readonly sharedConfigFile?: string;
    readonly webIdentity?: WebIdentitySettings;
    readonly assumeRoles: readonly AssumeRoleSettings[];
    readonly endpoints: { readonly sfn?: string; readonly sts?: string; readonly lambda?: string };
    readonly stsRegion?: string;
}

/** The stack's AWS provider config cannot be honoured; the message lists every problem. */
export class AwsProviderConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        const message = `the stack's AWS provider config cannot be used for the Release's AWS calls:\n  ${problems.join("\n  ")}`;
        super(message);
        // Explicit: Pulumi's serialization of this class turns super(message) into Error.call(this, message).
        this.message = message;
        this.name = "AwsProviderConfigError";
    }
}

/** A Go duration as the provider takes it (`1h`, `15m`, `900s`, `1h30m`) in whole seconds; undefined if it is not one. */
export function goDurationSeconds(text: string): number | undefined {
    const ms = durationMs(text);
    return ms === undefined ? undefined : Math.round(ms / 1000);
}

type Get = (key: string) => string | undefined;

/**
 * Reads the AWS provider's settings from a config getter (`ConfigureRequest.config.get`, or a
 * stack file's `config:` map in tests). `fallbackRegion` is the program's validated `aws:region`,
 * used when the getter has none (an engine that passed no config). Throws AwsProviderConfigError
 * with every problem at once.
 */
export function awsProviderSettings(get: Get, fallbackRegion: string): AwsProviderSettings {
    const problems: string[] = [];
    const text = (key: string): string | undefined => {
        const value = get(key);
        return value === undefined || value === "" ? undefined : value;
    };
    const json = (key: string): unknown => {
        const value = text(key);
        if (value === undefined) {
            return undefined;
        }
        try {
            return JSON.parse(value) as unknown;
        } catch {
            problems.push(`${key} is not valid JSON: ${value.slice(0, 60)}`);
            return undefined;
        }
    };
    const stringList = (value: unknown, path: string): string[] | undefined => {
        if (value === undefined) {
            return undefined;
        }
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
            problems.push(`${path} must be a list of strings`);
            return undefined;
        }
        return value as string[];
    };
    const duration = (value: unknown, path: string): number | undefined => {
        if (value === undefined) {
            return undefined;
        }
        const seconds = typeof value === "string" ? goDurationSeconds(value) : undefined;
        if (seconds === undefined) {
            problems.push(`${path} ${JSON.stringify(value)} is not a duration (write it like 15m, 1h or 900s)`);
        }
        return seconds;
    };
    const object = (value: unknown, path: string): Record<string, unknown> | undefined => {
        if (value === undefined) {
            return undefined;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            problems.push(`${path} must be an object`);
            return undefined;
        }
        return value as Record<string, unknown>;
    };
    const str = (o: Record<string, unknown>, field: string, path: string): string | undefined => {
        const value = o[field];
        if (value !== undefined && typeof value !== "string") {
            problems.push(`${path}.${field} must be a string`);
            return undefined;
        }
        return value === "" ? undefined : (value as string | undefined);
    };

    if (text("aws:assumeRole") !== undefined) {
        problems.push("aws:assumeRole is the AWS provider 6.x key; @pulumi/aws 7 reads aws:assumeRoles, a list (pulumi config set --path 'aws:assumeRoles[0].roleArn' <arn>)");
    }
    const accessKeyId = text("aws:accessKey");
    const secretAccessKey = text("aws:secretKey");
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
        problems.push(`aws:${accessKeyId === undefined ? "accessKey" : "secretKey"} is missing: aws:accessKey and aws:secretKey go together`);
    }
    const keys = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(text("aws:token") ? { sessionToken: text("aws:token") } : {}) } : undefined;

    const oneFile = (key: string): string | undefined => {
        const files = stringList(json(key), key);
        if (files && files.length > 1) {
            problems.push(`${key} lists ${files.length} files; the Release's AWS calls read one (the AWS SDK for JavaScript reads one credentials and one config file)`);
        }
        return files?.[0];
    };
    const sharedCredentialsFile = oneFile("aws:sharedCredentialsFiles");
    const sharedConfigFile = oneFile("aws:sharedConfigFiles");

    const rawRoles = json("aws:assumeRoles");
    const assumeRoles: AssumeRoleSettings[] = [];
    if (rawRoles !== undefined && !Array.isArray(rawRoles)) {
        problems.push("aws:assumeRoles must be a list of { roleArn, sessionName, externalId, duration, ... }");
    }
    (Array.isArray(rawRoles) ? rawRoles : []).forEach((raw: unknown, i) => {
        const path = `aws:assumeRoles[${i}]`;
        const role = object(raw, path);
        if (!role) {
            return;
        }
        const roleArn = str(role, "roleArn", path);
        if (!roleArn) {
            problems.push(`${path}.roleArn is required`);
            return;
        }
        const tags = object(role.tags, `${path}.tags`);
        if (tags && Object.values(tags).some((v) => typeof v !== "string")) {
            problems.push(`${path}.tags must map names to strings`);
        }
        assumeRoles.push({
            roleArn,
            sessionName: str(role, "sessionName", path),
            externalId: str(role, "externalId", path),
            durationSeconds: duration(role.duration, `${path}.duration`),
            policy: str(role, "policy", path),
            policyArns: stringList(role.policyArns, `${path}.policyArns`),
            tags: tags as Record<string, string> | undefined,
            transitiveTagKeys: stringList(role.transitiveTagKeys, `${path}.transitiveTagKeys`),
            sourceIdentity: str(role, "sourceIdentity", path),
        });
    });

    let webIdentity: WebIdentitySettings | undefined;
    const rawWeb = object(json("aws:assumeRoleWithWebIdentity"), "aws:assumeRoleWithWebIdentity");
    if (rawWeb) {
        const path = "aws:assumeRoleWithWebIdentity";
        const roleArn = str(rawWeb, "roleArn", path);
        const webIdentityToken = str(rawWeb, "webIdentityToken", path);
        const webIdentityTokenFile = str(rawWeb, "webIdentityTokenFile", path);
        if (!roleArn) {
            problems.push(`${path}.roleArn is required`);
        } else if (!webIdentityToken && !webIdentityTokenFile) {
            problems.push(`${path} needs webIdentityToken or webIdentityTokenFile`);
        } else {
            webIdentity = {
                roleArn,
                sessionName: str(rawWeb, "sessionName", path),
                webIdentityToken,
                webIdentityTokenFile,
                durationSeconds: duration(rawWeb.duration, `${path}.duration`),
                policy: str(rawWeb, "policy", path),
                policyArns: stringList(rawWeb.policyArns, `${path}.policyArns`),
            };
        }
    }

    const rawEndpoints = json("aws:endpoints");
    const endpoints: { sfn?: string; sts?: string; lambda?: string } = {};
    if (rawEndpoints !== undefined && !Array.isArray(rawEndpoints)) {
        problems.push("aws:endpoints must be a list of { <service>: <url> } overrides");
    }
    for (const [i, raw] of (Array.isArray(rawEndpoints) ? rawEndpoints : []).entries()) {
        const entry = object(raw, `aws:endpoints[${i}]`);
        if (entry) {
            endpoints.sfn = str(entry, "sfn", `aws:endpoints[${i}]`) ?? str(entry, "stepfunctions", `aws:endpoints[${i}]`) ?? endpoints.sfn;
            endpoints.sts = str(entry, "sts", `aws:endpoints[${i}]`) ?? endpoints.sts;
            endpoints.lambda = str(entry, "lambda", `aws:endpoints[${i}]`) ?? endpoints.lambda;
        }
    }

    if (problems.length > 0) {
        throw new AwsProviderConfigError(problems);
    }
    const profile = text("aws:profile");
    const source = keys ? "aws:accessKey" : webIdentity ? "aws:assumeRoleWithWebIdentity" : profile ? `aws:profile ${profile}` : "the AWS SDK's default chain (environment, AWS_PROFILE, SSO, container or instance role)";
    return {
        region: text("aws:region") ?? fallbackRegion,
        source,
        keys,
        profile,
        sharedCredentialsFile,
        sharedConfigFile,
        webIdentity,
        assumeRoles,
        endpoints,
        stsRegion: text("aws:stsRegion"),
    };
}

/** One line for logs: whose identity the Release's AWS calls use (never a secret). */
export function describeAwsIdentity(settings: AwsProviderSettings): string {
    const roles = settings.assumeRoles.map((r) => `, assuming ${r.roleArn}`).join("");
    return `${settings.source}${roles}, region ${settings.region}`;
}

/** The credential provider of the settings: the base credentials, then each role assumed in order. */
function awsCredentials(settings: AwsProviderSettings): AwsCredentialIdentityProvider {
    const sts = { region: settings.stsRegion ?? settings.region, ...(settings.endpoints.sts ? { endpoint: settings.endpoints.sts } : {}) };
    let credentials: AwsCredentialIdentityProvider;
    if (settings.keys) {
        const keys = settings.keys;
        credentials = async () => keys;
    } else if (settings.webIdentity) {
        const web = settings.webIdentity;
        const init = {
            roleArn: web.roleArn,
            roleSessionName: web.sessionName,
            durationSeconds: web.durationSeconds,
            policy: web.policy,
            policyArns: web.policyArns?.map((arn) => ({ arn })),
            clientConfig: sts,
        };
        credentials = web.webIdentityToken ? fromWebToken({ ...init, webIdentityToken: web.webIdentityToken }) : fromTokenFile({ ...init, webIdentityTokenFile: web.webIdentityTokenFile });
    } else if (settings.profile) {
        credentials = fromIni({ profile: settings.profile, filepath: settings.sharedCredentialsFile, configFilepath: settings.sharedConfigFile, clientConfig: sts });
    } else {
        credentials = fromNodeProviderChain({ clientConfig: sts });
    }
    for (const role of settings.assumeRoles) {
        credentials = fromTemporaryCredentials({
            masterCredentials: credentials,
            clientConfig: sts,
            params: {
                RoleArn: role.roleArn,
                RoleSessionName: role.sessionName,
                ExternalId: role.externalId,
                DurationSeconds: role.durationSeconds,
                Policy: role.policy,
                PolicyArns: role.policyArns?.map((arn) => ({ arn })),
                Tags: role.tags ? Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value })) : undefined,
                TransitiveTagKeys: role.transitiveTagKeys ? [...role.transitiveTagKeys] : undefined,
                SourceIdentity: role.sourceIdentity,
            },
        });
    }
    return credentials;
}

/** The client config of the Step Functions client: the provider's region, identity and endpoint. */
export function stepFunctionsClientConfig(settings: AwsProviderSettings): { region: string; credentials: AwsCredentialIdentityProvider; endpoint?: string } {
    return { region: settings.region, credentials: awsCredentials(settings), ...(settings.endpoints.sfn ? { endpoint: settings.endpoints.sfn } : {}) };
}

/** The client config of the Lambda client `flip rollback` invokes the engine with: the same identity and region as the Release's. */
export function lambdaClientConfig(settings: AwsProviderSettings): { region: string; credentials: AwsCredentialIdentityProvider; endpoint?: string } {
    return { region: settings.region, credentials: awsCredentials(settings), ...(settings.endpoints.lambda ? { endpoint: settings.endpoints.lambda } : {}) };
}
