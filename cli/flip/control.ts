// Control commands from any machine: a command is written to the engine's one command slot in
// Consul KV with CAS, exactly as src/rollout/contract.ts says, and the client then waits for the
// engine to take it (the contract's commandDone) and reports what the rollout does now. The client
// never writes a splitter or the state: the engine is the one writer.
import { randomUUID } from "crypto";
import { commandDone, commandSeen, CommandKind, commandSlotFree, ControlCommand, engineSilentSince, isTerminal, RolloutState } from "../../src/rollout/contract";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { Clock, Detached, FlipInputError } from "./clientErrors";
import { assertOwnStack } from "./ownStack";
import { RolloutStore } from "./rolloutStore";
import { describeRollout } from "./statusView";

/** CAS attempts before giving up (each loses only to another client's write). */
const CAS_ATTEMPTS = 5;

export interface ControlRequest {
    readonly kind: CommandKind;
    readonly stack: string;
    readonly issuedBy: string;
    readonly reason?: string;
    /** Stop waiting for the engine after this long (default: three check intervals, at least 60 s). */
    readonly ackTimeoutMs?: number;
    readonly pollMs: number;
    /**
     * Asked once, before the first write, with the rollout's own stack (a production rollout asks
     * on the terminal); throws to refuse. Default: go ahead.
     */
    readonly confirm?: (rolloutStack: string, state: RolloutState) => Promise<void>;
}

/** What each command needs of the rollout's phase, checked before writing (the engine checks again). */
function refusal(kind: CommandKind, state: RolloutState): string | undefined {
    if (kind === "resume" && state.phase !== "paused") {
        return `rollout ${state.rolloutId} is ${state.phase}, not paused; nothing to resume`;
    }
    if (kind === "pause" && state.phase === "paused") {
        return `rollout ${state.rolloutId} is already paused (by ${state.pausedBy ?? "someone"} at ${state.pausedAt ?? "?"})`;
    }
    return undefined;
}

/** Writes the command with CAS; returns it with the state it was written against. */
async function writeCommand(store: RolloutStore, request: ControlRequest, clock: Clock): Promise<{ command: ControlCommand; state: RolloutState }> {
    let confirmedFor: string | undefined;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const current = await store.state();
        if (!current) {
            throw new FlipInputError(`no rollout has run in stack ${request.stack} (Consul ${store.address} has no ${"bluegreen/rollout/current"}); nothing to ${request.kind}`);
        }
        const state = current.value;
        assertOwnStack(state, request.stack, store.address);
        if (isTerminal(state.phase)) {
            throw new FlipInputError(
                `the last rollout, ${state.rolloutId}, ended ${state.phase} at ${state.endedAt ?? state.updatedAt}; a command applies to a running rollout only. ` +
                    `To change traffic now, start a rollout: edit the traffic (npm run flip -- set) and run pulumi up.`,
            );
        }
        const refused = refusal(request.kind, state);
        if (refused) {
            throw new FlipInputError(refused);
        }
        if (confirmedFor !== state.rolloutId) {
            await request.confirm?.(state.spec.stack, state);
            confirmedFor = state.rolloutId;
            // A person may take a while to answer: read the rollout again before writing.
            attempt--;
            continue;
        }
        const slot = await store.command();
        if (slot && !commandSlotFree(slot.value, state)) {
            const pending = slot.value;
            throw new FlipInputError(`a ${pending.kind} from ${pending.issuedBy} (at ${pending.issuedAt}) is pending; the engine applies it within one check interval. Try again after it is applied.`);
        }
        const command: ControlCommand = {
            id: randomUUID(),
            rolloutId: state.rolloutId,
            kind: request.kind,
            issuedBy: request.issuedBy,
            issuedAt: new Date(clock.now()).toISOString(),
            ...(request.reason ? { reason: request.reason } : {}),
        };
        if (await store.putCommand(command, slot?.index ?? 0)) {
            return { command, state };
        }
    }
    throw new Error(`the command slot kept changing under ${CAS_ATTEMPTS} attempts to write a ${request.kind}; try again`);
}

/**
 * Sends a command and waits for the engine to take it. Exit 0 when applied, 2 when the engine
 * refused it (the rollout moved on meanwhile), 4 when the engine had not taken it in time (it is
 * still pending and will be applied).
 */
export async function runControl(store: RolloutStore, request: ControlRequest, clock: Clock, write: (line: string) => void): Promise<number> {
    const { command, state: before } = await writeCommand(store, request, clock);
    write(`${request.kind} sent to rollout ${command.rolloutId} (command ${command.id}); waiting for the engine to apply it...`);
    const interval = before.spec.strategy.checkIntervalSeconds * 1000;
    const timeout = request.ackTimeoutMs ?? Math.max(60_000, 3 * interval);
    const deadline = clock.now() + timeout;
    const written = () => new Detached(`the ${command.kind} was written to Consul (command ${command.id}); the engine applies it at its next tick whether or not this client waits`);
    for (;;) {
        // A signal during this read detaches as well: the command is written all the same.
        const now = (
            await store.state().catch((err: unknown) => {
                throw err instanceof Detached ? written() : err;
            })
        )?.value;
        if (now && commandDone(now, command.id)) {
            const applied = (now.commandLog ?? []).length > (before.commandLog ?? []).length;
            const said = [...now.events].reverse().find((e) => e.message.startsWith(`${command.kind} from ${command.issuedBy}:`));
            write(`${applied ? "applied" : "REFUSED by the engine"}: ${said?.message ?? command.kind}`);
            write(describeRollout(now, clock.now()));
            return applied ? EXIT_CODES.OK : EXIT_CODES.INVALID_INPUT;
        }
        if (now && isTerminal(now.phase) && !commandSeen(now, command.id) && now.rolloutId === command.rolloutId) {
            write(`rollout ${command.rolloutId} ended ${now.phase} before the engine took the ${command.kind}: ${now.reason ?? "no reason recorded"}; it was not applied`);
            write(describeRollout(now, clock.now()));
            return EXIT_CODES.INVALID_INPUT;
        }
        if (now && now.rolloutId !== command.rolloutId) {
            write(`rollout ${command.rolloutId} was replaced by ${now.rolloutId} before the engine took the ${command.kind}; it was not applied`);
            return EXIT_CODES.INVALID_INPUT;
        }
        if (clock.now() >= deadline) {
            // No engine works on the rollout any more: nothing will take the command; the watchdog ends the rollout.
            const silent = now && engineSilentSince(now, clock.now());
            write(
                silent
                    ? `no engine has written rollout ${command.rolloutId}'s state since ${silent}: its execution is gone, and the ${command.kind} stays pending. ` +
                          `The watchdog ends the rollout and restores its starting split within minutes; if it does not, see the Lambda's log group. ` +
                          `Follow with: npm run flip -- status --stack ${request.stack} --watch`
                    : `the engine has not taken the ${command.kind} within ${Math.round(timeout / 1000)}s; it stays pending and is applied at the engine's next tick. ` +
                          `Follow with: npm run flip -- status --stack ${request.stack} --watch`,
            );
            return EXIT_CODES.NOT_DONE;
        }
        await clock.sleep(request.pollMs);
        if (clock.detached()) {
            throw written();
        }
    }
}
