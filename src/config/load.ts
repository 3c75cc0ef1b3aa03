// loadStackConfig: the running program's config, validated once, before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { formatProblems } from "./problems";
import { ConfigProblem, StackConfig } from "./types";
import { validateStackConfig } from "./validate";

/** Reads `aws:region` and the `bluegreen:*` keys from the running program's config, or throws. */
export function loadStackConfig(): StackConfig {
    const values: Record<string, unknown> = {};
    const otherKeys: string[] = [];
    let region: unknown;
    for (const [fullKey, raw] of Object.entries(pulumi.runtime.allConfig())) {
        const [namespace, key] = splitKey(fullKey);
        if (namespace === "aws" && key === "region") {
            region = raw;
        } else if (namespace === pulumi.getProject()) {
            values[key] = parseConfigValue(raw);
        } else {
            otherKeys.push(fullKey);
        }
    }
    const result = validateStackConfig({ project: pulumi.getProject(), stack: pulumi.getStack(), region, values, secretKeys: secretConfigKeys(), otherKeys });
    if (!result.ok) {
        throw new ProgramConfigError(result.problems);
    }
    return result.config;
}

/**
 * StackConfigError as the running program throws it: a pulumi.RunError, which `pulumi up` and
 * `pulumi preview` print without a stack trace. The same name, problems and message, so the commands
 * (cli/shared/run.ts) report it like the stack file's StackConfigError.
 */
class ProgramConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "StackConfigError";
    }
}

function splitKey(fullKey: string): [string, string] {
    const colon = fullKey.indexOf(":");
    return colon < 0 ? ["", fullKey] : [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
}

/** Pulumi hands structured and numeric config to the program as JSON text. */
function parseConfigValue(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

/**
 * The config keys Pulumi marks secret. The SDK exports no reader for them; the Pulumi language host
 * hands them to every Node.js program in this variable, which the SDK's own secret check reads.
 */
function secretConfigKeys(): string[] {
    try {
        const keys: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
        return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
    } catch {
        return [];
    }
}
