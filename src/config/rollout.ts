// bluegreen:services.<name>.rollout: how the platform's rollout engine moves a service's traffic to
// its new `traffic` (steps, bake, check interval), and the gate's failure threshold. The engine
// judges what is checked here, so every value it relies on is checked once, here.
import type { Report } from "./types";
import { RawService } from "./raw";
import { RolloutConfig } from "./types";
import { weightProblem } from "../shared/weights";

export const DEFAULT_ROLLOUT: RolloutConfig = { steps: [], bakeSeconds: 0, bakeEachStep: true, checkIntervalSeconds: 15, readyTimeoutSeconds: 300, sticky: false };
export const DEFAULT_FAILURE_THRESHOLD = 3;

export function normaliseRollout(path: string, raw: RawService["rollout"], at: Report): RolloutConfig {
    const rollout = { ...DEFAULT_ROLLOUT, ...raw, steps: raw?.steps ?? [] };
    rollout.steps.forEach((step, i) => {
        // A step is a percent of the way to the new split, written as a weight would be.
        const problem = weightProblem(step);
        if (problem) {
            at(`${path}.steps[${i}]`, `${problem.replace("weights are numbers", "steps are percents")}`);
        } else if (step <= 0 || step >= 100) {
            at(`${path}.steps[${i}]`, `${step} is not between 0 and 100 (exclusive); steps are the percents of the way before the last, which is always 100`);
        } else if (i > 0 && step <= rollout.steps[i - 1]) {
            at(`${path}.steps[${i}]`, `${step} does not rise above the step before it (${rollout.steps[i - 1]}); list the steps in increasing order`);
        }
    });
    if (rollout.bakeSeconds > 0 && rollout.bakeSeconds < rollout.checkIntervalSeconds) {
        at(`${path}.bakeSeconds`, `${rollout.bakeSeconds} is shorter than checkIntervalSeconds (${rollout.checkIntervalSeconds}); a bake needs at least one check`);
    }
    return rollout;
}
