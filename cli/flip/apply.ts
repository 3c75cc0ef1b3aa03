// Applying a flip step: the stack file already holds the step's weights; this runs `pulumi preview`
// for the stack through the Automation API, refuses unless the preview changes that service's
// splitter and health gate and nothing else, then runs `pulumi up` targeted at those two resources
// (so a change that slipped in between preview and up still cannot ride along). The health gate
// runs inside that `up`, in the program.
import { CommandError, EngineEvent, LocalWorkspace, OpType, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { KnownFailure } from "../shared/run";
import { checkFlipChanges } from "../../src/offline/planDiff";
import { Weights } from "./steps";

export interface ApplyRequest {
    readonly stack: string;
    readonly service: string;
    readonly weights: Weights;
    /** The folder with Pulumi.yaml and Pulumi.<stack>.yaml. */
    readonly workDir: string;
    readonly reason: "step" | "rollback";
    /** Lines of engine output, for the progress display. */
    readonly onOutput?: (line: string) => void;
}

export interface Applier {
    /**
     * Rejects with a KnownFailure when applying cannot work at all (no Pulumi CLI), so the flip stops
     * before any gate runs or anything is written. Default: always ready.
     */
    ready?(): Promise<void>;
    /** Resolves when the stack runs with the request's weights; rejects otherwise. */
    apply(request: ApplyRequest): Promise<void>;
}

/** The apply stopped before `pulumi up` began: the stack runs what it ran before. */
export class NothingAppliedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "NothingAppliedError";
    }
}

/** The preview showed changes other than the service's splitter and gate: nothing was applied. */
export class ApplyRefusedError extends NothingAppliedError {
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

/**
 * The real apply: Pulumi's Automation API over the Pulumi CLI (which must be installed and logged
 * in). A preview without changes means the weights are already live, and nothing is run.
 */
export function automationApplier(): Applier {
    return {
        ready: requirePulumiCli,
        async apply(request) {
            const events: EngineEvent[] = [];
            let stack: Stack;
            try {
                stack = await LocalWorkspace.selectStack({ stackName: request.stack, workDir: request.workDir });
                await stack.preview({ onEvent: (e) => events.push(e), onOutput: request.onOutput });
            } catch (err) {
                throw new NothingAppliedError(`pulumi preview of ${request.stack} failed, nothing was applied: ${(err as Error).message}`);
            }
            const changes = changesFromEvents(events);
            if (changes.length === 0) {
                return;
            }
            const verdict = checkFlipChanges(changes, request.service);
            if (!verdict.ok) {
                throw new ApplyRefusedError(
                    `refusing to run pulumi up on ${request.stack}: besides the splitter and health gate of ${request.service}, it would change:\n  ` +
                        `${verdict.unexpected.join("\n  ")}\nRun \`pulumi preview --stack ${request.stack}\` and apply those changes on their own first.`,
                    verdict.unexpected,
                );
            }
            await stack.up({ target: changes.map((c) => c.urn), onOutput: request.onOutput });
        },
    };
}

const INSTALL_PULUMI = "install it (https://www.pulumi.com/docs/install/) and log in to the stack's backend (pulumi login), or edit the file only with --no-up";

/**
 * The Automation API runs the `pulumi` CLI from PATH, and without one it fails with the raw dump of
 * a spawn error; this asks the same way first (`pulumi version`, checked against the SDK's minimum)
 * and says what to do.
 */
export async function requirePulumiCli(): Promise<void> {
    try {
        await PulumiCommand.get();
    } catch (err) {
        // The CommandError's text is the only public trace of the spawn's errno.
        if (err instanceof CommandError && /\bspawn \S*pulumi ENOENT\b/.test(err.message)) {
            throw new KnownFailure(`the Pulumi CLI is not installed (no pulumi on PATH); ${INSTALL_PULUMI}`);
        }
        throw new KnownFailure(`the Pulumi CLI cannot be used: ${String((err as Error).message).split("\n")[0]}; ${INSTALL_PULUMI}`);
    }
}
