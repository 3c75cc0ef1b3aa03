// The rollout engine under faults, randomized: the other half of `npm test`'s random worlds, with
// the next seed (tests/rollout/engine.faults.test.ts says what a world holds and how to replay one:
// in this file, with the seed this file's failure prints).
// Two files, so that mocha's two workers share the worlds.
import { assertWorlds, WORLD_RUNS } from "../support/engineFaults";

describe("rollout engine under faults, more worlds (randomized: REAL handler and state machine definition; in-memory model of Consul's documented API)", () => {
    it(`keeps every invariant in ${Math.floor(WORLD_RUNS / 2)} random worlds, half of ${WORLD_RUNS}`, async function () {
        this.timeout(WORLD_RUNS * 50 + 20_000);
        await assertWorlds(1);
    });
});
