// Bounded parallelism: many independent calls to one server (a tick observing 200 services) go out
// a few at a time, not one after another and not all at once.

/**
 * `work` over every item, at most `limit` running at a time; the results in the items' order.
 * Rejects with the first error, after which no further item is started (calls already running
 * finish on their own, their results unused).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
    if (!Number.isInteger(limit) || limit < 1) {
        throw new RangeError(`mapLimit: limit must be a whole number of at least 1, not ${limit}`);
    }
    const results: R[] = new Array<R>(items.length);
    let next = 0;
    let failed = false;
    const worker = async () => {
        while (!failed && next < items.length) {
            const index = next++;
            try {
                results[index] = await work(items[index], index);
            } catch (err) {
                failed = true;
                throw err;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}
