// "Did you mean": the known name nearest a misspelt one, by edit distance. One home for the
// rule, used for regions, top-level keys, config namespaces and every nested key a schema knows.

/**
 * Edit distance with transpositions (optimal string alignment): insertions, deletions, substitutions
 * and swaps of two neighbours each cost 1, so "asw" is one typo from "aws", as a reader sees it.
 */
function editDistance(a: string, b: string): number {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.length][b.length];
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
