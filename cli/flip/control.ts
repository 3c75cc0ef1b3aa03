// Control commands from any machine: a command goes to one rollout, the one a service belongs to
// (--service), the one named (--rollout), or with neither the stack's one running rollout (several
// running: refused, listing them). It is written to that rollout's own command slot in Consul KV
// with CAS, exactly as src/rollout/contract.ts says, and the client then waits for the engine to
// take it (the contract's commandDone on that rollout's state) and reports what the rollout does
// now. The client never writes a splitter or a state: the engine is the one writer.
import { randomUUID } from "crypto";
import { commandDone, commandSeen, CommandKind, commandSlotFree, ControlCommand, engineSilentSince, isTerminal, RolloutState } from "../../src/rollout/contract";
import { EXIT_CODES } from "../../src/shared/exitCodes";
import { Clock, Detached, FlipInputError } from "./clientErrors";
import { assertOwnStack } from "./ownStack";
import { RolloutStore } from "./rolloutStore";
import { readStack, servicesOf } from "./stackRead";
import { describeRollout } from "./statusView";

/** CAS attempts before giving up (each loses only to another client's write). */
const CAS_ATTEMPTS = 5;

export interface ControlRequest {
    readonly kind: CommandKind;
    readonly stack: string;
    /** --service: the rollout these services belong to (all the same one). */
    readonly services: readonly string[];
    /** --rollout: this rollout. */
    readonly rolloutId?: string;
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

const listed = (states: readonly RolloutState[]) => states.map((s) => `${s.rolloutId} (${s.phase}: ${servicesOf(s).join(", ")})`).join(", ");

/** The id of the rollout the command goes to, by the rule in the header. */
async function targetOf(store: RolloutStore, request: ControlRequest): Promise<string> {
    if (request.rolloutId !== undefined) {
        return request.rolloutId;
    }
    const asked = request.services.length > 0 ? request.services : undefined;
    const read = await readStack(store, request.stack, asked);
    if (asked) {
        const none = asked.filter((s) => read.claims.services[s] === undefined);
        if (none.length > 0) {
            throw new FlipInputError(`no rollout has run on ${none.join(", ")} in stack ${request.stack}; nothing to ${request.kind}`);
        }
        const ids = [...new Set(asked.map((s) => read.claims.services[s].rolloutId))];
        if (ids.length > 1) {
            const states = ids.map((id) => read.rollouts.get(id)).filter((s): s is RolloutState => s !== undefined);
            throw new FlipInputError(
                `${asked.join(", ")} belong to ${ids.length} rollouts: ${listed(states)}; a command goes to one rollout: name services of one, or pass --rollout <id>. Nothing was sent`,
            );
        }
        return ids[0];
    }
    const runningNow = [...read.rollouts.values()].filter((s) => !isTerminal(s.phase));
    if (runningNow.length > 1) {
        throw new FlipInputError(`${runningNow.length} rollouts are running in stack ${request.stack}: ${listed(runningNow)}; say which with --service <name> or --rollout <id>. Nothing was sent`);
    }
    if (runningNow.length === 0) {
        throw new FlipInputError(
            read.rollouts.size === 0
                ? `no rollout has run in stack ${request.stack}; nothing to ${request.kind}`
                : `no rollout is running in stack ${request.stack}; nothing to ${request.kind}. A command applies to a running rollout only; to change traffic now: npm run flip -- rollback, or set and pulumi up`,
        );
    }
    return runningNow[0].rolloutId;
}

/** Writes the command with CAS; returns it with the state it was written against. */
async function writeCommand(store: RolloutStore, request: ControlRequest, clock: Clock): Promise<{ command: ControlCommand; state: RolloutState }> {
    const rolloutId = await targetOf(store, request);
    let confirmedFor: string | undefined;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const current = await store.rollout(rolloutId);
        if (!current) {
            throw new FlipInputError(`Consul at ${store.address} has no rollout ${rolloutId}; nothing to ${request.kind}`);
        }
        const state = current.value;
        assertOwnStack(state, request.stack, store.address);
        if (isTerminal(state.phase)) {
            throw new FlipInputError(
                `rollout ${state.rolloutId} (${servicesOf(state).join(", ")}) ended ${state.phase} at ${state.endedAt ?? state.updatedAt}; a command applies to a running rollout only. ` +
                    `To change traffic now: npm run flip -- rollback, or set the traffic (npm run flip -- set) and run pulumi up.`,
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
        const slot = await store.command(rolloutId);
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
            await store.rollout(command.rolloutId).catch((err: unknown) => {
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
        if (now && isTerminal(now.phase) && !commandSeen(now, command.id)) {
            write(`rollout ${command.rolloutId} ended ${now.phase} before the engine took the ${command.kind}: ${now.reason ?? "no reason recorded"}; it was not applied`);
            write(describeRollout(now, clock.now()));
            return EXIT_CODES.INVALID_INPUT;
        }
        if (clock.now() >= deadline) {
            // No engine works on the rollout any more: nothing will take the command; the watchdog ends the rollout.
            const silent = now && engineSilentSince(now, clock.now());
            write(
                silent
                    ? `no engine has written rollout ${command.rolloutId}'s state since ${silent}: its execution is gone, and the ${command.kind} stays pending. ` +
                          `The watchdog ends the rollout and restores its starting split within minutes; if it does not, see the Lambda's log group. ` +
                          `Follow with: npm run flip -- status --stack ${request.stack} --rollout ${command.rolloutId} --watch`
                    : `the engine has not taken the ${command.kind} within ${Math.round(timeout / 1000)}s; it stays pending and is applied at the engine's next tick. ` +
                          `Follow with: npm run flip -- status --stack ${request.stack} --rollout ${command.rolloutId} --watch`,
            );
            return EXIT_CODES.NOT_DONE;
        }
        await clock.sleep(request.pollMs);
        if (clock.detached()) {
            throw written();
        }
    }
}
