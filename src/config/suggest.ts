// "Did you mean": the known name nearest a misspelt one, by Levenshtein distance. One home for the
// rule, used for regions, top-level keys, config namespaces and every nested key a schema knows.

/** Levenshtein distance: insertions, deletions and substitutions, each costing 1. */
export function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}

/**
 * The known names nearest `name` (case-insensitive), when they are near enough to be a typo: at most
 * 2 edits, and fewer than half the name's length (so "ab" does not suggest "cd").
 */
export function nearest(name: string, known: readonly string[], maxDistance = 2): string[] {
    const lower = name.toLowerCase();
    const scored = known.map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) }));
    const best = Math.min(...scored.map((s) => s.d));
    if (!Number.isFinite(best) || best > maxDistance || best * 2 >= Math.max(name.length, 2)) {
        return [];
    }
    return scored.filter((s) => s.d === best).map((s) => s.k);
}

/** `did you mean "x"? ` (with the trailing space), or "" when nothing is near. */
export function didYouMean(name: string, known: readonly string[], maxDistance = 2): string {
    const near = nearest(name, known, maxDistance);
    return near.length > 0 ? `did you mean ${near.map((n) => JSON.stringify(n)).join(" or ")}? ` : "";
}
