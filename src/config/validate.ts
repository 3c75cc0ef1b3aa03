// validateStackConfig: plain data in, typed config or every problem out. Pure (no Pulumi runtime),
// so it is tested table by table. The structure is checked by JSON Schema first (schema.ts), key by
// key and service by service so that one broken value does not hide the others' problems; then the
// rules that span values run over what passed.
import Ajv, { ValidateFunction } from "ajv";
import { normaliseConsul, normaliseGateway } from "./consul";
import { normaliseNetwork } from "./network";
import { checkKeys } from "./keys";
import { checkSecretKeys, isSecureValue, SECURE_VALUE_ADVICE } from "./plainSecrets";
import { validPart } from "./prune";
import { checkStackName } from "./stackName";
import { regionProblem } from "./region";
import { checkEngineAlarmRoom } from "./alarms";
import { dedupe, describeSchemaError } from "./problems";
import { RawService, RawValues } from "./raw";
import { rawConfigSchemas, rawServiceSchema } from "./schema";
import { normaliseServices } from "./services";
import { CONFIG_KEYS, ConfigProblem, StackConfig } from "./types";

/** What `validateStackConfig` reads: the raw `bluegreen:*` values (parsed from YAML/JSON) and context. */
export interface RawStackInput {
    readonly project: string;
    readonly stack: string;
    readonly region?: unknown;
    /** Keys without the `bluegreen:` prefix. */
    readonly values: Readonly<Record<string, unknown>>;
    /** Full keys (`bluegreen:services`) Pulumi marks secret because a `secure:` value is in them. Default none. */
    readonly secretKeys?: readonly string[];
    /** Every other full key of the stack's config besides `aws:region` (`aws:profile`, `bluegren:services`). Default none. */
    readonly otherKeys?: readonly string[];
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

    checkKeys(input.project, input.values, input.otherKeys ?? [], at);
    const regionIssue = regionProblem(input.region);
    if (regionIssue) {
        at("aws:region", regionIssue);
    }
    checkStackName(input.stack, at);
    // A key Pulumi marks secret reached the program decrypted: it is reported once, and never quoted.
    const secret = checkSecretKeys(input.secretKeys ?? [], input.project, at);
    for (const key of CONFIG_KEYS) {
        // A whole key written as `{ secure: ... }`, read from the stack file itself (offline).
        if (!secret.has(key) && isSecureValue(input.values[key])) {
            secret.add(key);
            at(`bluegreen:${key}`, `is a secure: value; ${SECURE_VALUE_ADVICE}`);
        }
    }
    for (const required of ["consul", "gateway", "services"] as const) {
        if (input.values[required] === undefined && !secret.has(required)) {
            at(`bluegreen:${required}`, "is required");
        }
    }
    const structurallyValid = new Set<string>();
    // What passes of a key that did not pass whole, so that its other values are still checked.
    const partlyValid = new Map<string, unknown>();
    for (const key of CONFIG_KEYS) {
        const value = input.values[key];
        if (value === undefined || secret.has(key)) {
            continue;
        }
        if (checkStructure(`bluegreen:${key}`, structuralValidators[key], value, problems)) {
            structurallyValid.add(key);
        } else if (key !== "services") {
            partlyValid.set(key, validPart(structuralValidators[key], value));
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
    const valid = <K extends keyof RawValues>(key: K): RawValues[K] | undefined => (structurallyValid.has(key) ? values[key] : (partlyValid.get(key) as RawValues[K] | undefined));
    const network = normaliseNetwork(valid("network"), at);
    const consul = normaliseConsul(valid("consul") ?? {}, input.stack, network, at);
    const serviceNames = structurallyValid.has("services") ? Object.keys(input.values.services as object) : undefined;
    const services = normaliseServices(rawServices, serviceNames, at);
    if (typeof input.region === "string") {
        checkEngineAlarmRoom(services, input.region, at);
    }
    const gateway = normaliseGateway(valid("gateway") ?? {}, consul.servers.mode, input.region, at);
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
