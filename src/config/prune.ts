// What of a value JSON Schema refused can still be checked: the value with every refused part taken
// out. One bad key under bluegreen:consul must not throw the whole block away, or the defaults that
// replace it (ha servers, for one) add problems the stack file does not have.
import type { ErrorObject, ValidateFunction } from "ajv";

/**
 * `value` without the parts `validate` refuses: an unknown key, a wrong value, an object missing a
 * required key; an array with a bad item goes whole (its items' indexes would shift). Undefined when
 * nothing is left that passes.
 */
export function validPart(validate: ValidateFunction, value: unknown): unknown {
    const current: unknown = structuredClone(value);
    for (let round = 0; round < 8; round++) {
        if (validate(current)) {
            return current;
        }
        const cuts = (validate.errors ?? []).map(cutPath);
        if (cuts.some((c) => c.length === 0)) {
            return undefined;
        }
        for (const cut of cuts) {
            remove(current, cut);
        }
    }
    return undefined;
}

function cutPath(error: ErrorObject): string[] {
    const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (error.keyword === "additionalProperties") {
        segments.push((error.params as { additionalProperty: string }).additionalProperty);
    }
    const firstIndex = segments.findIndex((s) => /^\d+$/.test(s));
    return firstIndex >= 0 ? segments.slice(0, firstIndex) : segments;
}

function remove(root: unknown, path: readonly string[]): void {
    let parent = root;
    for (const segment of path.slice(0, -1)) {
        if (parent === null || typeof parent !== "object") {
            return;
        }
        parent = (parent as Record<string, unknown>)[segment];
    }
    if (parent !== null && typeof parent === "object" && !Array.isArray(parent)) {
        delete (parent as Record<string, unknown>)[path[path.length - 1]];
    }
}
