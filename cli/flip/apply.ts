// `set --up`: runs the user's `pulumi up` for the stack now, through Pulumi's Automation API (the
// Pulumi CLI must be installed and logged in to the stack's backend). It previews first and refuses
// unless the preview changes exactly the stack's Release (the one resource a traffic change
// changes; apply other pending changes on their own first), then runs `pulumi up` targeted at it.
// The rollout starts inside that `up` and runs in the engine; the `up` follows it and prints its
// steps. A signal to the client cancels the `up` gracefully (SIGINT to the pulumi process), never
// the rollout.
import * as fs from "fs";
import * as path from "path";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { checkReleaseChanges } from "../../src/offline/planDiff";
import { FlipInputError } from "./clientErrors";

export interface ApplyRequest {
    readonly stack: string;
    readonly services: readonly string[];
    /** The folder with Pulumi.yaml and Pulumi.<stack>.yaml. */
    readonly workDir: string;
    readonly onOutput?: (text: string) => void;
    /** Aborted when the client detaches: pulumi gets SIGINT and cancels cleanly. */
    readonly signal?: AbortSignal;
}

export interface Applier {
    /** Resolves once `pulumi up` succeeded; rejects otherwise. */
    apply(request: ApplyRequest): Promise<void>;
}

/** The preview showed changes other than the stack's Release: nothing was applied. */
class ApplyRefusedError extends FlipInputError {
    constructor(
        message: string,
        readonly unexpected: readonly string[],
    ) {
        super(message);
        this.name = "ApplyRefusedError";
    }
}

const NO_CHANGE: readonly OpType[] = ["same", "read", "refresh"];

/** The resources a preview would touch, from its engine events. */
export function changesFromEvents(events: readonly EngineEvent[]): { urn: string; kind: string }[] {
    const changes: { urn: string; kind: string }[] = [];
    for (const event of events) {
        const step = event.resourcePreEvent?.metadata;
        if (!step || NO_CHANGE.includes(step.op) || step.type === "pulumi:pulumi:Stack") {
            continue;
        }
        changes.push({ urn: step.urn, kind: step.op === "update" ? "changed" : step.op });
    }
    return changes;
}

/** Changes a traffic change must not carry: anything but the stack's Release. */
export function unexpectedChanges(changes: readonly { urn: string; kind: string }[]): string[] {
    return checkReleaseChanges(changes).unexpected;
}

/** The `pulumi` executable on PATH, or undefined. */
export function findPulumiCli(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
        const candidate = path.join(dir, "pulumi");
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // not here
        }
    }
    return undefined;
}

export function automationApplier(): Applier {
    return {
        async apply(request) {
            if (!findPulumiCli()) {
                throw new FlipInputError(
                    `--up needs the Pulumi CLI on PATH (https://www.pulumi.com/docs/install/), logged in to the stack's backend; ` +
                        `the stack file is already edited, so run \`pulumi up --stack ${request.stack}\` where Pulumi is installed`,
                );
            }
            // Loaded here, not at the top: the Pulumi SDK costs about a second to load, and only
            // `set --up` drives it (docs/performance.md).
            const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
            const events: EngineEvent[] = [];
            const stack = await LocalWorkspace.selectStack({ stackName: request.stack, workDir: request.workDir });
            await stack.preview({ onEvent: (e) => events.push(e), onOutput: request.onOutput, signal: request.signal });
            const changes = changesFromEvents(events);
            if (changes.length === 0) {
                return;
            }
            const unexpected = unexpectedChanges(changes);
            if (unexpected.length > 0) {
                throw new ApplyRefusedError(
                    `refusing to run pulumi up on ${request.stack}: besides the Release (the traffic of ${request.services.join(", ")}), it would change:\n  ` +
                        `${unexpected.join("\n  ")}\nRun \`pulumi preview --stack ${request.stack}\` and apply those changes on their own first.`,
                    unexpected,
                );
            }
            await stack.up({ target: changes.map((c) => c.urn), onOutput: request.onOutput, signal: request.signal });
        },
    };
}
