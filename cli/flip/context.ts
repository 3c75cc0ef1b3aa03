// What the flip starts from: the stack file's text and its validated config, and the services
// named, with clear errors for an unknown stack or service. `set` needs the stack file; the other
// commands also work on a machine that only reaches Consul (optionalStackContext).
import { ServiceConfig, StackConfig } from "../../src/config";
import { UsageError } from "../../src/offline/errors";
import { loadStackFile, parseStackValues, stackFileNamed } from "../../src/offline/stackFile";

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

/**
 * The stack's context when its file is here, else undefined (control from a machine without the
 * checkout). Anything with the file's name counts as here: a broken symlink is reported, not
 * taken for "no stack file".
 */
export function optionalStackContext(stack: string, dir: string): StackContext | undefined {
    return stackFileNamed(stack, dir) ? loadStackContext(stack, dir) : undefined;
}

export function findService(context: StackContext, name: string): ServiceConfig {
    const service = context.config.services.find((s) => s.name === name);
    if (!service) {
        throw new UsageError(`unknown service "${name}" in stack ${context.stack}; its services: ${context.config.services.map((s) => s.name).join(", ")}`);
    }
    return service;
}
