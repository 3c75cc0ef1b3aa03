// The shared test harness: runs the real program (index.ts) offline under Pulumi's mock runtime
// through src/offline/runtime.ts, and offers small finders over what it registered.
import * as path from "path";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import type { PolicyDocument, PolicyStatement } from "../../src/iam/policyDocument";
import { computedOutputs } from "../../src/offline/mocks";
import { OfflinePlan, RegisteredResource } from "../../src/offline/planRecords";
import { planStack, Program } from "../../src/offline/runtime";
import { readStackFile, StackValues } from "../../src/offline/stackFile";

export const ROOT = path.join(__dirname, "..", "..");
/** Node's arguments that run a TypeScript file in a process of its own, as the npm scripts and mocha do (cli/register.js). */
export const TYPESCRIPT = ["-r", path.join(ROOT, "cli", "register.js")];

/** A stack file's config map, deep-copied so a test may change it. */
export function stackConfig(stack: "dev" | "prod" | string): StackValues {
    return structuredClone(readStackFile(stack, ROOT));
}

/** Plans a stack; `edit` may change a copy of its config first. `program` defaults to index.ts. */
export async function plan(stack: string, edit?: (config: StackValues) => void, options?: { preview?: boolean; program?: Program }): Promise<Plan> {
    const config = stackConfig(stack === "dev" || stack === "prod" ? stack : "dev");
    edit?.(config);
    return new Plan(await planWithoutTraces(() => planStack({ stack, config, preview: options?.preview, program: options?.program })));
}

const examplePlans = new Map<string, Promise<Plan>>();

/**
 * The plan of an example stack file as it is (no edits), computed once per test process and shared
 * by every test file that only reads it. Tests must not mutate what it returns.
 */
export function examplePlan(stack: "dev" | "prod"): Promise<Plan> {
    let cached = examplePlans.get(stack);
    if (!cached) {
        cached = plan(stack);
        examplePlans.set(stack, cached);
    }
    return cached;
}

/** Plans a stack from a config map given whole. */
export async function planWith(stack: string, config: StackValues, program?: Program): Promise<Plan> {
    return new Plan(await planWithoutTraces(() => planStack({ stack, config, program })));
}

/**
 * The Pulumi SDK formats `new Error().stack` for every promise it creates, to report leaks nobody
 * reads offline; formatting one frame instead of V8's ten makes a plan about a third faster. What a
 * plan registers is the same: the SDK lifts the limit itself where it reads a resource's source position.
 * An error the program throws keeps its top frame (file and line), so "no stack trace" checks still see one.
 * Tests that run a command's main in this process (plan, policy, preflight) plan through it.
 */
export function withShortTraces<T>(run: () => Promise<T>): Promise<T> {
    return withFrames(1, run);
}

/**
 * The harness's own plans: no frames at all, a quarter faster again than one. A plan that fails is
 * run once more with one frame, so that the error a test sees has its top frame and a "no stack
 * trace" check can still fail; a plan that fails only once (the re-run passes) fails the test with
 * its first error, never passes it.
 */
async function planWithoutTraces<T>(plan: () => Promise<T>): Promise<T> {
    let first: unknown;
    try {
        return await withFrames(0, plan);
    } catch (err) {
        first = err;
    }
    await withFrames(1, plan);
    throw first;
}

async function withFrames<T>(frames: number, run: () => Promise<T>): Promise<T> {
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = frames;
    try {
        return await run();
    } finally {
        Error.stackTraceLimit = before;
    }
}

/** The services map of a config, typed loosely for edits in tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function services(config: StackValues): Record<string, any> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return config["bluegreen:services"] as Record<string, any>;
}

export class Plan {
    constructor(readonly result: OfflinePlan) {}

    get resources(): readonly RegisteredResource[] {
        return this.result.resources;
    }

    /** All resources of a type, for example T.service (tests/support/typeTokens.ts). */
    ofType(type: string): RegisteredResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource with this name (and type, if given); fails the test otherwise. */
    named(name: string, type?: string): RegisteredResource {
        const found = this.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
        if (found.length !== 1) {
            const names = this.resources.map((r) => `${r.type} ${r.name}`).join("\n  ");
            throw new Error(`expected one resource named ${name}${type ? ` of type ${type}` : ""}, found ${found.length} among:\n  ${names}`);
        }
        return found[0];
    }

    /** Resources of a type that sit anywhere below the component named `component`. */
    ofTypeUnder(type: string, component: string): RegisteredResource[] {
        return this.ofType(type).filter((r) => this.ancestors(r).some((a) => a.name === component && !a.custom));
    }

    /** A resource's parents, nearest first. */
    ancestors(resource: RegisteredResource): RegisteredResource[] {
        const chain: RegisteredResource[] = [];
        for (let p = this.parentOf(resource); p; p = this.parentOf(p)) {
            chain.push(p);
        }
        return chain;
    }

    /** The direct children of a resource. */
    childrenOf(parent: RegisteredResource): RegisteredResource[] {
        return this.resources.filter((r) => r.parent === parent.urn);
    }

    /** The component (non-custom) parent of a resource. */
    parentOf(resource: RegisteredResource): RegisteredResource | undefined {
        return this.resources.find((r) => r.urn === resource.parent);
    }
}

/** The containers of a registered ECS task definition, parsed from the JSON text the program sends. */
export function containersOf(taskDefinition: RegisteredResource): ContainerDefinition[] {
    return JSON.parse(taskDefinition.inputs.containerDefinitions as string) as ContainerDefinition[];
}

/** An IAM document the program passed as JSON text (`policy`, `assumeRolePolicy`, ...). */
export function policyDocumentOf(resource: RegisteredResource, key = "policy"): PolicyDocument {
    return JSON.parse(resource.inputs[key] as string) as PolicyDocument;
}

/** A statement's actions as a list, whether written as one string or several. */
export function actionsOf(statement: PolicyStatement): string[] {
    return statement.Action === undefined ? [] : ([] as string[]).concat(statement.Action);
}

/** ARNs of the server cluster's Secrets Manager secrets, by item name (ca-cert, server-key, ...). */
export function consulSecretArns(p: Plan, region = "eu-west-1"): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of p.ofTypeUnder("aws:secretsmanager/secret:Secret", "consul")) {
        const name = s.inputs.name as string;
        out[name.slice(name.lastIndexOf("/") + 1)] = computedOutputs(s.type, s.name, s.inputs, region).arn as string;
    }
    return out;
}
