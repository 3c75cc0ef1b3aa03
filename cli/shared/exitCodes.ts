// What every command's exit status means; scripts and CI branch on these (README and docs/policies.md
// say which command returns which).

export const EXIT_OK = 0;
/** The command ran and found a problem: a gate failed, a flip was refused, an apply failed. */
export const EXIT_FAILED = 1;
/** Stack config was refused (every problem listed), or an unexpected error. */
export const EXIT_INVALID_CONFIG = 1;
/** A mandatory policy-pack rule was violated. */
export const EXIT_POLICY_VIOLATION = 1;
/** The command was called wrongly: an unknown stack, service or flag. */
export const EXIT_USAGE = 2;
/** Interrupted (SIGINT) before the flip finished; 128 + the signal's number, as shells report it. */
export const EXIT_INTERRUPTED = 130;
