// What every flip mode starts from: the stack file's text and its validated config, and the one
// service being flipped, with clear errors for an unknown stack or service.
import * as fs from "fs";
import * as path from "path";
import { ServiceConfig, StackConfig, StackConfigError } from "../../src/config";
import { listStacks, stackFilePath, UsageError } from "../../src/offline/runtime";
import { parseStackValues } from "../shared/trafficTable";
import { stackConfigOf } from "./stackFile";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INTERRUPTED = 130;

export interface StackContext {
    readonly stack: string;
    readonly dir: string;
    readonly file: string;
    readonly text: string;
    readonly config: StackConfig;
}

export function loadStackContext(stack: string, dir: string): StackContext {
    const file = stackFilePath(stack, dir);
    if (!fs.existsSync(file)) {
        const known = fs.existsSync(dir) ? listStacks(dir) : [];
        throw new UsageError(`unknown stack "${stack}": there is no ${path.basename(file)} in ${dir}; known stacks: ${known.join(", ") || "(none)"}`);
    }
    const text = fs.readFileSync(file, "utf8");
    let values: Record<string, unknown>;
    try {
        values = stackConfigOf(text);
    } catch (err) {
        throw new StackConfigError([{ path: path.basename(file), message: `is not valid YAML: ${(err as Error).message.split("\n")[0]}` }]);
    }
    return { stack, dir, file, text, config: parseStackValues(stack, values) };
}

export function findService(context: StackContext, name: string): ServiceConfig {
    const service = context.config.services.find((s) => s.name === name);
    if (!service) {
        throw new UsageError(`unknown service "${name}" in stack ${context.stack}; its services: ${context.config.services.map((s) => s.name).join(", ")}`);
    }
    return service;
}
