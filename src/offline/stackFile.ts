// Pulumi.<stack>.yaml, read the one way every command and test reads it: find the file (an unknown
// stack is a usage error that lists the known ones; a missing folder, a folder in the file's place or
// an unreadable file each say so in one line), parse its YAML (a syntax error names the file), take
// its `config:` map, and validate that map exactly as the program does.
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

function stackFilePath(stack: string, dir = REPOSITORY_ROOT): string {
    return path.join(dir, `Pulumi.${stack}.yaml`);
}

/** The stacks that have a file in `dir`, sorted; none when `dir` does not exist. A broken symlink is no stack file. */
export function listStacks(dir = REPOSITORY_ROOT): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined && statOf(stackFilePath(s, dir)) !== undefined)
        .sort();
}

/** Whether anything, even a broken symlink, has the stack file's name in `dir`. */
export function stackFileNamed(stack: string, dir = REPOSITORY_ROOT): boolean {
    try {
        fs.lstatSync(stackFilePath(stack, dir));
        return true;
    } catch {
        return false;
    }
}

/** Reads `Pulumi.<stack>.yaml` from `dir`: its text and its `config:` map. */
export function loadStackFile(stack: string, dir = REPOSITORY_ROOT): StackFile {
    const file = stackFilePath(stack, dir);
    const folder = statOf(dir);
    if (!folder) {
        throw new UsageError(`the folder ${dir} does not exist; --dir takes the folder that holds Pulumi.${stack}.yaml`);
    }
    if (!folder.isDirectory()) {
        throw new UsageError(`${dir} is a file, not a folder; --dir takes the folder that holds Pulumi.${stack}.yaml`);
    }
    const stat = statOf(file);
    if (!stat && stackFileNamed(stack, dir)) {
        let target = "?";
        try {
            target = fs.readlinkSync(file);
        } catch {
            // not a symlink after all: said as unreadable below
        }
        throw new UsageError(`${file} is a symlink to ${target}, which does not exist; point it at the stack's YAML file or remove it`);
    }
    if (!stat) {
        throw new UsageError(`unknown stack "${stack}": there is no ${path.basename(file)} in ${dir}; known stacks: ${listStacks(dir).join(", ") || "(none)"}`);
    }
    if (stat.isDirectory()) {
        throw new UsageError(`${file} is a folder, not a stack file; move it away and put the stack's YAML file there`);
    }
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new UsageError(`cannot read ${file}: ${describeFsError(err)}`);
    }
    return { stack, file, text, values: stackValuesOf(text, path.basename(file)) };
}

/** A file-system error in plain words, `permission denied (EACCES)`, rather than the syscall's dump. */
function describeFsError(err: unknown): string {
    const code = (err as NodeJS.ErrnoException).code;
    const words: Record<string, string> = {
        EACCES: "permission denied",
        EPERM: "operation not permitted",
        EISDIR: "it is a folder",
        ENOTDIR: "a part of the path is not a folder",
        ENOENT: "no such file or folder",
        EROFS: "the file system is read-only",
        ENOSPC: "no space left on the device",
    };
    return code && words[code] ? `${words[code]} (${code})` : (err as Error).message;
}

function statOf(file: string): fs.Stats | undefined {
    try {
        return fs.statSync(file);
    } catch {
        return undefined;
    }
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
    const otherKeys: string[] = [];
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith(`${PROJECT}:`)) {
            values[key.slice(PROJECT.length + 1)] = value;
        } else if (key !== "aws:region") {
            otherKeys.push(key);
        }
    }
    const result = validateStackConfig({ project: PROJECT, stack, region: config["aws:region"], values, otherKeys });
    if (!result.ok) {
        throw new StackConfigError(result.problems);
    }
    return result.config;
}
