// What a plan records of each resource the program registers: type, name, URN, parent,
// dependencies, provider and inputs, with secret values replaced by a placeholder. The mock monitor
// does not pass parents and dependencies to the mocks, so the recorder wraps the monitor itself.
import * as pulumi from "@pulumi/pulumi";

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
    /**
     * The resource's `ignoreChanges` (top-level input names), only when it has some: after the
     * first create, Pulumi keeps the old value of these inputs, so a change to them updates nothing.
     */
    readonly ignoreChanges?: readonly string[];
    /**
     * The resource's aliases, only when it has some: the old identities (a type token before a move,
     * an old name) that Pulumi treats as this resource, so that a rename is not a replacement.
     */
    readonly aliases?: readonly RecordedAlias[];
}

/**
 * A data source the program read (an invoke: `aws.ec2.getVpc`, ...) and what it answered: a plan's
 * resources carry such answers in their inputs (a VPC's CIDR in a security group rule), and the
 * preflight reads them to know what the program was given.
 */
export interface PlanRead {
    readonly token: string;
    readonly inputs: Record<string, unknown>;
    readonly outputs: Record<string, unknown>;
}

/** One alias as the engine receives it: a whole old URN, or the parts of the old identity that differ. */
type RecordedAlias = { readonly urn: string } | { readonly type?: string; readonly name?: string; readonly stack?: string; readonly project?: string; readonly parentUrn?: string; readonly noParent?: true };

/**
 * One resource of a plan as its readers (the policy pack's offline runner, preflight, the saved-plan
 * reader) need it: a RegisteredResource, or an entry of `npm run plan -- --json`.
 */
export type PlanRecord = Pick<RegisteredResource, "type" | "name" | "urn" | "inputs"> & Partial<Pick<RegisteredResource, "parent" | "dependsOn">>;

export interface OfflinePlan {
    readonly project: string;
    readonly stack: string;
    readonly resources: readonly RegisteredResource[];
    /** The data sources read, in order. */
    readonly reads: readonly PlanRead[];
    readonly outputs: Record<string, unknown>;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getDependenciesList(): string[];
    getProvider(): string;
    getIgnorechangesList(): string[];
    getAliasesList(): AliasMessage[];
}
interface AliasMessage {
    getUrn(): string;
    getSpec(): { getName(): string; getType(): string; getStack(): string; getProject(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
}
interface RegisterResponse {
    getUrn(): string;
}
type MonitorCallback = (err: unknown, response?: RegisterResponse) => void;

/** Wraps the mock monitor so that parents and dependencies, which mocks do not see, are recorded. */
export function recordRegistrations(resources: RegisteredResource[]): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: RegisterRequest & { getObject(): unknown }, cb: MonitorCallback): void;
    };
    const original = monitor.registerResource.bind(monitor);
    const urns = new Set<string>();
    monitor.registerResource = (req, callback) => {
        const inputs = pulumi.runtime.deserializeProperties(req.getObject() as never) as Record<string, unknown>;
        original(req, (err, response) => {
            if (!err && response && urns.has(response.getUrn())) {
                // The engine refuses a second resource with a URN already registered in the same
                // deployment (pkg/resource/deploy/step_generator.go); the mock monitor does not.
                callback(new DuplicateUrnError(response.getUrn()));
                return;
            }
            if (!err && response) {
                urns.add(response.getUrn());
                const { plain, secrets } = redactSecrets(inputs);
                const ignoreChanges = req.getIgnorechangesList();
                const aliases = req.getAliasesList().map(recordAlias);
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
                    ...(ignoreChanges.length > 0 ? { ignoreChanges } : {}),
                    ...(aliases.length > 0 ? { aliases } : {}),
                });
            }
            callback(err, response);
        });
    };
}

/** Two resources with one URN: Pulumi's own words for it, and the fix. */
class DuplicateUrnError extends Error {
    constructor(readonly urn: string) {
        super(`Duplicate resource URN '${urn}'; try giving it a unique name`);
        this.name = "DuplicateUrnError";
    }
}

function recordAlias(alias: AliasMessage): RecordedAlias {
    const spec = alias.getSpec();
    if (alias.getUrn() || !spec) {
        return { urn: alias.getUrn() };
    }
    const parts = { type: spec.getType(), name: spec.getName(), stack: spec.getStack(), project: spec.getProject(), parentUrn: spec.getParenturn() };
    return {
        ...Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== "")),
        ...(spec.getNoparent() ? { noParent: true as const } : {}),
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

