// Finding and reading `Pulumi.<stack>.yaml`, for every command that starts from a stack file (plan,
// flip, bench's synthetic stacks aside). What can go wrong with the file itself (no such folder, no
// such file, a folder in its place, no permission, not YAML, no `config:` map) ends as one line
// naming the file and the fix, never as a stack trace.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { StackConfigError } from "../config";
import { StackValues, UsageError } from "./runtime";

export const PROJECT_DIR = path.join(__dirname, "..", "..");

export function stackFilePath(stack: string, dir = PROJECT_DIR): string {
    return path.join(dir, `Pulumi.${stack}.yaml`);
}

export function listStacks(dir = PROJECT_DIR): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** The stack file's path and text, or a UsageError that says what is in the way. */
export function readStackText(stack: string, dir = PROJECT_DIR): { readonly file: string; readonly text: string } {
    const file = stackFilePath(stack, dir);
    const folder = statOf(dir);
    if (!folder) {
        throw new UsageError(`the folder ${dir} does not exist; --dir takes the folder that holds Pulumi.${stack}.yaml`);
    }
    if (!folder.isDirectory()) {
        throw new UsageError(`${dir} is a file, not a folder; --dir takes the folder that holds Pulumi.${stack}.yaml`);
    }
    const stat = statOf(file);
    if (!stat) {
        const known = listStacks(dir);
        throw new UsageError(`unknown stack "${stack}": there is no ${path.basename(file)} in ${dir}; known stacks: ${known.join(", ") || "(none)"}`);
    }
    if (stat.isDirectory()) {
        throw new UsageError(`${file} is a folder, not a stack file; move it away and put the stack's YAML file there`);
    }
    try {
        return { file, text: fs.readFileSync(file, "utf8") };
    } catch (err) {
        throw new UsageError(`cannot read ${file}: ${describeFsError(err)}`);
    }
}

/** The `config:` map of a stack file's text; `fileName` names it in problems. */
export function parseStackText(fileName: string, text: string): StackValues {
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

/** Reads `Pulumi.<stack>.yaml` from `dir` and returns its `config:` map. */
export function readStackFile(stack: string, dir = PROJECT_DIR): StackValues {
    const { file, text } = readStackText(stack, dir);
    return parseStackText(path.basename(file), text);
}

/** A file-system error in plain words: `permission denied (EACCES)` rather than the syscall's dump. */
export function describeFsError(err: unknown): string {
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
