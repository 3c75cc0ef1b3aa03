// The structural shape of each `bluegreen:*` key as JSON Schema (draft-07, checked by ajv): types,
// ranges, enums and unknown keys. Rules that span several values live in validate.ts.
import type { JSONSchemaType } from "ajv";
import { resilienceSchema } from "./resilience";

type Schema = Record<string, unknown>;

const port: Schema = { type: "integer", minimum: 1, maximum: 65535 };
const envMap: Schema = {
    type: "object",
    propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
    additionalProperties: { type: "string" },
};
// The reference grammar is checked with plain-words messages in imageReference.ts.
const imageRef: Schema = { type: "string" };

const colour: Schema = {
    type: "object",
    additionalProperties: false,
    properties: {
        image: imageRef,
        count: { type: "integer", minimum: 0, maximum: 1000 },
        env: envMap,
        secrets: envMap,
    },
};

/** One entry of `bluegreen:services`, checked service by service. */
export const rawServiceSchema: Schema = {
    type: "object",
    additionalProperties: false,
    required: ["port", "blue", "green", "traffic"],
    properties: {
        port,
        protocol: { enum: ["http", "http2", "grpc"] },
        healthCheck: {
            type: "object",
            additionalProperties: false,
            required: ["path"],
            properties: {
                path: { type: "string", minLength: 1 },
                interval: { type: "integer", minimum: 5, maximum: 300 },
                timeout: { type: "integer", minimum: 2, maximum: 60 },
                retries: { type: "integer", minimum: 1, maximum: 10 },
                startPeriod: { type: "integer", minimum: 0, maximum: 300 },
            },
        },
        cpu: { type: "integer" },
        memory: { type: "integer" },
        env: envMap,
        secrets: envMap,
        upstreams: {
            type: "array",
            items: {
                type: "object",
                additionalProperties: false,
                required: ["service", "localPort"],
                properties: { service: { type: "string", minLength: 1 }, localPort: port },
            },
        },
        route: {
            type: "object",
            additionalProperties: false,
            required: ["pathPrefix"],
            properties: { pathPrefix: { type: "string", minLength: 1 } },
        },
        blue: colour,
        green: colour,
        // Weights are checked by hand (numbers, range, decimals, sum) for messages that say why.
        traffic: {
            type: "object",
            additionalProperties: false,
            required: ["blue", "green"],
            properties: { blue: {}, green: {} },
        },
        gate: {
            type: "object",
            additionalProperties: false,
            properties: {
                minHealthy: { type: "integer", minimum: 0 },
                skip: { type: "boolean" },
                alarms: { type: "array", items: { type: "string", minLength: 1 } },
                failureThreshold: { type: "integer", minimum: 1, maximum: 100 },
                analysis: {
                    type: "object",
                    additionalProperties: false,
                    properties: {
                        // Percentage points of error share the canary may add to the baseline's.
                        maxErrorRateIncrease: { type: "number", minimum: 0, maximum: 100 },
                        // A factor of the baseline's p99; below 1 the canary would have to be faster.
                        maxLatencyRatio: { type: "number", minimum: 1, maximum: 100 },
                        minRequests: { type: "integer", minimum: 1, maximum: 10000000 },
                        window: { type: "string" },
                    },
                },
            },
        },
        rollout: {
            type: "object",
            additionalProperties: false,
            properties: {
                // Each step's range and order are checked by hand (src/config/rollout.ts).
                steps: { type: "array", maxItems: 20, items: {} },
                bakeSeconds: { type: "integer", minimum: 0, maximum: 86400 },
                bakeEachStep: { type: "boolean" },
                // Step Functions' Wait takes whole seconds; under 5 s the ticks cost more than they tell.
                checkIntervalSeconds: { type: "integer", minimum: 5, maximum: 600 },
                readyTimeoutSeconds: { type: "integer", minimum: 0, maximum: 3600 },
                sticky: { type: "boolean" },
            },
        },
        enableExecuteCommand: { type: "boolean" },
        resilience: resilienceSchema,
    },
};

/** One schema per top-level `bluegreen:*` key. */
export const rawConfigSchemas: Record<string, Schema | JSONSchemaType<unknown>> = {
    network: {
        type: "object",
        additionalProperties: false,
        properties: {
            cidr: { type: "string" },
            azCount: { type: "integer", minimum: 2, maximum: 6 },
            natGateways: { enum: ["single", "perAz"] },
            vpcId: { type: "string", pattern: "^vpc-[0-9a-f]+$" },
            privateSubnetIds: { type: "array", items: { type: "string", pattern: "^subnet-[0-9a-f]+$" } },
            publicSubnetIds: { type: "array", items: { type: "string", pattern: "^subnet-[0-9a-f]+$" } },
        },
    },
    consul: {
        type: "object",
        additionalProperties: false,
        properties: {
            datacenter: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,62}$" },
            version: { type: "string", pattern: "^\\d+\\.\\d+\\.\\d+$" },
            servers: {
                type: "object",
                additionalProperties: false,
                properties: {
                    mode: { enum: ["dev", "ha"] },
                    count: { type: "integer", minimum: 1, maximum: 7 },
                    instanceType: { type: "string", pattern: "^[a-z][a-z0-9-]*\\.[a-z0-9]+$" },
                    dataVolumeSize: { type: "integer", minimum: 8, maximum: 1024 },
                    snapshotSchedule: { type: "string", minLength: 1 },
                    snapshotRetentionDays: { type: "integer", minimum: 1, maximum: 3650 },
                },
            },
            ecsImage: imageRef,
            dataplaneImage: imageRef,
            devServerImage: imageRef,
            apiAddress: { type: "string", pattern: "^[A-Za-z0-9.-]+:\\d{1,5}$" },
        },
    },
    gateway: {
        type: "object",
        additionalProperties: false,
        properties: {
            ingressCidrs: { type: "array", minItems: 1, items: { type: "string" } },
            previewCidrs: { type: "array", items: { type: "string" } },
            certificateArn: { type: "string", pattern: "^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/.+$" },
            count: { type: "integer", minimum: 1, maximum: 100 },
            cpu: { type: "integer" },
            memory: { type: "integer" },
        },
    },
    services: { type: "object" },
    logRetentionDays: { enum: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] },
};
