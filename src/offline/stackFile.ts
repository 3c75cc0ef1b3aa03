// Pulumi.<stack>.yaml, read the one way every command and test reads it: find the file (an unknown
// stack is a usage error that lists the known ones), parse its YAML (a syntax error names the file),
// take its `config:` map, and validate that map exactly as the program does.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { StackConfig, StackConfigError, validateStackConfig } from "../config";
import { UsageError } from "./errors";

/** The project name of Pulumi.yaml: URNs carry it, and the program's config keys start with `bluegreen:`. */
export const PROJECT = "bluegreen";

/** A stack file's `config:` map, keys as written (`aws:region`, `bluegreen:services`). */
export type StackValues = Record<string, unknown>;

/** The folder with Pulumi.yaml and the example stack files. */
export const REPOSITORY_ROOT = path.join(__dirname, "..", "..");

export interface StackFile {
    readonly stack: string;
    readonly file: string;
    /** The file's text as it is on disk (the flip edits it in place). */
    readonly text: string;
    readonly values: StackValues;
}

export function stackFilePath(stack: string, dir = REPOSITORY_ROOT): string {
    return path.join(dir, `Pulumi.${stack}.yaml`);
}

/** The stacks that have a file in `dir`, sorted; none when `dir` does not exist. */
export function listStacks(dir = REPOSITORY_ROOT): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** Reads `Pulumi.<stack>.yaml` from `dir`: its text and its `config:` map. */
export function loadStackFile(stack: string, dir = REPOSITORY_ROOT): StackFile {
    const file = stackFilePath(stack, dir);
    if (!fs.existsSync(file)) {
        throw new UsageError(`unknown stack "${stack}": there is no ${path.basename(file)} in ${dir}; known stacks: ${listStacks(dir).join(", ") || "(none)"}`);
    }
    const text = fs.readFileSync(file, "utf8");
    return { stack, file, text, values: stackValuesOf(text, path.basename(file)) };
}

/** The `config:` map of `Pulumi.<stack>.yaml` in `dir`. */
export function readStackFile(stack: string, dir = REPOSITORY_ROOT): StackValues {
    return loadStackFile(stack, dir).values;
}

/** The `config:` map of a stack file's text; problems are reported against `fileName`. */
export function stackValuesOf(text: string, fileName: string): StackValues {
    let doc: unknown;
    try {
        doc = YAML.parse(text);
    } catch (err) {
        throw new StackConfigError([{ path: fileName, message: `is not valid YAML: ${(err as Error).message.split("\n")[0]}` }]);
    }
    if (doc === null || doc === undefined) {
        return {};
    }
    const config = (doc as { config?: unknown }).config;
    if (typeof doc !== "object" || Array.isArray(doc) || (config !== undefined && (config === null || typeof config !== "object" || Array.isArray(config)))) {
        throw new StackConfigError([{ path: `${fileName}: config`, message: "must be a map of keys (aws:region, bluegreen:services, ...) to values" }]);
    }
    return (config as StackValues | undefined) ?? {};
}

/** Validates a stack file's `config:` map as the program does (same function, same messages). */
export function parseStackValues(stack: string, config: StackValues): StackConfig {
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith(`${PROJECT}:`)) {
            values[key.slice(PROJECT.length + 1)] = value;
        }
    }
    const result = validateStackConfig({ project: PROJECT, stack, region: config["aws:region"], values });
    if (!result.ok) {
        throw new StackConfigError(result.problems);
    }
    return result.config;
}
