// What every command's exit status means; scripts and CI branch on these (README and docs/policies.md
// say which command returns which).
import { EXIT_CODES } from "../../src/rollout/contract";

export const EXIT_OK = 0;
/** The command ran and found a problem: a gate failed, a flip was refused, an apply failed. */
export const EXIT_FAILED = 1;
/** Stack config was refused (every problem listed), or an unexpected error. */
export const EXIT_INVALID_CONFIG = 1;
/** A mandatory policy-pack rule was violated. */
export const EXIT_POLICY_VIOLATION = 1;
/** The command was called wrongly: an unknown stack, service or flag. */
export const EXIT_USAGE = 2;
/**
 * `npm run flip` has codes of its own, shared with the rollout engine's contract (exit by the
 * rollout's health, like `kubectl argo rollouts status`): 0 done or healthy, 1 degraded (a gate
 * failed and the platform rolled back, an abort, an engine failure), 2 invalid input, 3 internal or
 * Consul error, 4 not done yet, and 128 + n when a signal n detached the client.
 */
export const FLIP_EXIT = { ...EXIT_CODES, SIGNAL_BASE: 128 } as const;
