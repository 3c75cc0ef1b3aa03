// What every flip mode starts from: the stack file's text and its validated config, and the one
// service being flipped, with clear errors for an unknown stack or service.
import { ServiceConfig, StackConfig } from "../../src/config";
import { UsageError } from "../../src/offline/errors";
import { loadStackFile, parseStackValues } from "../../src/offline/stackFile";

export interface StackContext {
    readonly stack: string;
    readonly dir: string;
    readonly file: string;
    readonly text: string;
    readonly config: StackConfig;
}

export function loadStackContext(stack: string, dir: string): StackContext {
    const { file, text, values } = loadStackFile(stack, dir);
    return { stack, dir, file, text, config: parseStackValues(stack, values) };
}

export function findService(context: StackContext, name: string): ServiceConfig {
    const service = context.config.services.find((s) => s.name === name);
    if (!service) {
        throw new UsageError(`unknown service "${name}" in stack ${context.stack}; its services: ${context.config.services.map((s) => s.name).join(", ")}`);
    }
    return service;
}
