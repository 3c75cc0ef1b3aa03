// Evaluates the real program offline under Pulumi's mock runtime (`pulumi.runtime.setMocks`) and
// records every resource it registers (planRecords.ts), with the providers mocked (mocks.ts). No CLI,
// no plugins, no credentials, no network. Used by `npm run plan`, the tests, the flip's dry run, the
// policy check and the benchmark.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { createMocks, MOCK_SECRET_MARKER } from "./mocks";
import { OfflinePlan, PlanRead, recordRegistrations, RegisteredResource } from "./planRecords";
import { parseStackValues, PROJECT, StackValues } from "./stackFile";

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

/**
 * Runs the program for one stack under the mock runtime and returns what it registered.
 * Plans run one at a time in a process (the Pulumi runtime is process-global).
 */
export async function planStack(options: PlanOptions): Promise<OfflinePlan> {
    if (!options.program) {
        // The program validates its config again, from the strings Pulumi hands it; the file's own
        // values come first so that what JSON cannot carry (.nan, .inf) and secure: values are
        // reported as the file has them, not as `null` or a placeholder.
        parseStackValues(options.stack, options.config);
    }
    const resources: RegisteredResource[] = [];
    const reads: PlanRead[] = [];
    const failures: unknown[] = [];
    const onRejection = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onRejection);
    // The SDK records `new Error().stack` for every promise and resource it creates. Under ts-node,
    // source-map-support rewrites each of those traces through source maps, which is most of a
    // plan's time; V8's own formatting is enough offline (traces still name the file and line).
    const prepareStackTrace = Object.getOwnPropertyDescriptor(Error, "prepareStackTrace");
    const secretKeysBefore = process.env.PULUMI_CONFIG_SECRET_KEYS;
    delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
    try {
        const mocks = createMocks(regionOf(options.config), options.onCall);
        const call = mocks.call.bind(mocks);
        mocks.call = (args) => {
            const outputs = call(args) as Record<string, unknown>;
            reads.push({ token: args.token, inputs: { ...args.inputs }, outputs: { ...outputs } });
            return outputs;
        };
        await pulumi.runtime.setMocks(mocks, PROJECT, options.stack, options.preview ?? true);
        recordRegistrations(resources);
        pulumi.runtime.setAllConfig(toEngineConfig(options.config), secretKeys(options.config));
        // The language host hands a program its secret keys in this variable (src/config/load.ts reads it).
        process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(secretKeys(options.config));

        const result = (options.program ?? loadProgram())();
        const outputs = (await resolveOutputs(result)) as Record<string, unknown>;
        await waitForRegistrations();
        if (failures.length > 0) {
            throw failures[0];
        }
        return { project: PROJECT, stack: options.stack, resources, reads, outputs };
    } finally {
        if (secretKeysBefore === undefined) {
            delete process.env.PULUMI_CONFIG_SECRET_KEYS;
        } else {
            process.env.PULUMI_CONFIG_SECRET_KEYS = secretKeysBefore;
        }
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

/** The stack's AWS region, as the mocks' ARNs and DNS names carry it. */
function regionOf(config: StackValues): string {
    return typeof config["aws:region"] === "string" ? config["aws:region"] : "eu-west-1";
}
