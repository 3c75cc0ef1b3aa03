// How config problems reach the user: one error listing every problem with its key's path, and the
// plain-words rendering of JSON Schema errors.
import type { ErrorObject } from "ajv";
import { isSecureValue, SECURE_VALUE_ADVICE } from "./plainSecrets";
import { show } from "../shared/show";
import { didYouMean } from "./suggest";
import { ConfigProblem } from "./types";

/**
 * Every problem found in a stack's config, reported at once. A plain Error, so that the commands
 * that only read a stack file (`flip status`, the plan's parsing) do not load the Pulumi SDK; the
 * running program throws the RunError of load.ts instead, which Pulumi prints without a stack trace.
 */
export class StackConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "StackConfigError";
    }
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
    const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
    return `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

export function describeSchemaError(root: string, error: ErrorObject): ConfigProblem {
    const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    let path = root;
    for (const segment of segments) {
        path += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
    }
    if (isSecureValue(error.data)) {
        return { path, message: `is a secure: value; ${SECURE_VALUE_ADVICE}` };
    }
    const value = error.data === undefined ? "" : `${show(error.data)} `;
    switch (error.keyword) {
        case "additionalProperties": {
            const key = (error.params as { additionalProperty: string }).additionalProperty;
            const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
            return { path: `${path}.${key}`, message: `unknown key; ${didYouMean(key, allowed)}allowed here: ${allowed.join(", ")}` };
        }
        case "required":
            return { path: `${path}.${(error.params as { missingProperty: string }).missingProperty}`, message: "is required" };
        case "enum":
            return { path, message: `${value}is not allowed; use one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}` };
        case "type":
            return { path, message: `${value}is not ${article((error.params as { type: string }).type)}` };
        default:
            return { path, message: `${value}${error.message ?? "is invalid"}` };
    }
}

function article(type: string): string {
    const t = type.replace(/,/g, " or ");
    return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

export function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
    const seen = new Set<string>();
    return problems.filter((p) => {
        const key = `${p.path}\u0000${p.message}`;
        return seen.has(key) ? false : (seen.add(key), true);
    });
}
