// What every flip mode starts from: the stack file's text and its validated config, and the one
// service being flipped, with clear errors for an unknown stack or service.
import * as path from "path";
import { ServiceConfig, StackConfig } from "../../src/config";
import { UsageError } from "../../src/offline/runtime";
import { parseStackText, readStackText } from "../../src/offline/stackFiles";
import { parseStackValues } from "../shared/trafficTable";

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
    const { file, text } = readStackText(stack, dir);
    return { stack, dir, file, text, config: parseStackValues(stack, parseStackText(path.basename(file), text)) };
}

export function findService(context: StackContext, name: string): ServiceConfig {
    const service = context.config.services.find((s) => s.name === name);
    if (!service) {
        throw new UsageError(`unknown service "${name}" in stack ${context.stack}; its services: ${context.config.services.map((s) => s.name).join(", ")}`);
    }
    return service;
}
