// What every command's exit status means, in one table: `npm run plan`, `policy`, `preflight` and
// `flip` (and the rollout engine's contract, which maps a rollout's health to a code). Scripts and
// CI branch on these; docs/runbooks.md says which command returns which.

export const EXIT_CODES = {
    /** Done: the plan printed, no violation, every check passed; flip: applied, or the rollout is healthy. */
    OK: 0,
    /**
     * The command ran and found a problem: stack config refused (every problem listed), a mandatory
     * policy violated, a preflight check failed, an unexpected error of plan/policy/preflight.
     */
    FAILED: 1,
    /**
     * flip status: Degraded because a live split differs from what its rollout left, or an operator's
     * rollback the stack file does not say yet (the codes below say how a rollout ended). With several
     * services or rollouts the worst outcome decides (cli/flip/statusCommand.ts says the order).
     */
    DEGRADED: 1,
    /**
     * Called wrongly: an unknown stack, service or flag, bad arguments; flip also: invalid stack
     * config, no rollout to control, a pending or refused command, a locked or read-only stack file,
     * no confirmation for a production stack.
     */
    INVALID_INPUT: 2,
    /** flip: Consul or AWS unreachable, an unreadable state, a bug. */
    INTERNAL: 3,
    /** flip status: still Progressing or Paused when it returned (without --watch, or at --timeout: the watch timed out). */
    NOT_DONE: 4,
    /** flip status: a service's last rollout was rolled back by a gate (health, alarm, analysis); the old split runs. */
    ROLLED_BACK: 5,
    /** flip status: a service's last rollout was aborted by an operator; the old split runs. */
    ABORTED: 6,
    /** flip status: the engine itself failed during a service's last rollout and tried to restore the old split. */
    ENGINE_FAILED: 7,
    /** flip status --watch: the engine has not written a followed rollout's state long past its next check (cli/flip/statusCommand.ts says how long). */
    ENGINE_SILENT: 8,
    /** flip: 128 + n when signal n detached the client (130 INT, 143 TERM, 129 HUP); the rollout goes on in the engine, unchanged. */
    SIGNAL_BASE: 128,
} as const;
