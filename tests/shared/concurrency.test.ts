import { expect } from "chai";
import { mapLimit } from "../../src/shared/concurrency";

describe("mapLimit (bounded parallelism)", () => {
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

    it("runs at most `limit` at a time, and at that many once there is enough work, results in order", async () => {
        let running = 0;
        let most = 0;
        const results = await mapLimit([...Array(20).keys()], 4, async (n) => {
            running++;
            most = Math.max(most, running);
            await tick();
            running--;
            return n * 2;
        });
        expect(most).to.equal(4);
        expect(results).to.deep.equal([...Array(20).keys()].map((n) => n * 2));
    });

    it("starts no further item after one failed, and rejects with that error", async () => {
        const started: number[] = [];
        const err = await mapLimit([...Array(10).keys()], 2, async (n) => {
            started.push(n);
            await tick();
            if (n === 1) {
                throw new Error("item 1 failed");
            }
            return n;
        }).then(
            () => undefined,
            (e: unknown) => e as Error,
        );
        expect(err?.message).to.equal("item 1 failed");
        // Items 0 and 1 ran together; 0's worker took item 2 before 1 failed; nothing after that.
        expect(started).to.deep.equal([0, 1, 2]);
    });

    it("answers [] for no items and refuses a limit below 1", async () => {
        expect(await mapLimit([], 3, async () => 1)).to.deep.equal([]);
        const err = await mapLimit([1], 0, async () => 1).then(
            () => undefined,
            (e: unknown) => e as Error,
        );
        expect(err).to.be.instanceOf(RangeError);
    });
});
