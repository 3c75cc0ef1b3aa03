// Container definitions of an ECS task definition, read from the provider's JSON string.
import { asArray, asRecord, asString, parseJsonInput } from "./resources";

interface ContainerDependency {
    readonly containerName: string;
    readonly condition: string;
}

export interface Container {
    readonly name: string;
    readonly image: string;
    readonly environment: readonly { readonly name: string; readonly value: unknown }[];
    readonly secrets: readonly { readonly name: string; readonly valueFrom: unknown }[];
    readonly dependsOn: readonly ContainerDependency[];
    readonly command: readonly string[];
    readonly entryPoint: readonly string[];
    readonly hasHealthCheck: boolean;
}

export type ParsedContainers = { readonly ok: true; readonly containers: Container[] } | { readonly ok: false; readonly problem: string };

const strings = (value: unknown): string[] => asArray(value).filter((v): v is string => typeof v === "string");

/** Parses `containerDefinitions` (a JSON array given as a string, as the provider takes it). */
export function parseContainerDefinitions(value: unknown): ParsedContainers {
    if (value === "[secret]") {
        return { ok: false, problem: "containerDefinitions is a secret, so a secret value is written into the task definition in plain text" };
    }
    const parsed = parseJsonInput(value);
    if (!Array.isArray(parsed)) {
        return { ok: false, problem: "containerDefinitions is not a JSON array of container definitions" };
    }
    const containers = parsed.map((raw): Container => {
        const def = asRecord(raw);
        return {
            name: asString(def.name) ?? "",
            image: asString(def.image) ?? "",
            environment: asArray(def.environment).map((e) => ({ name: asString(asRecord(e).name) ?? "", value: asRecord(e).value })),
            secrets: asArray(def.secrets).map((s) => ({ name: asString(asRecord(s).name) ?? "", valueFrom: asRecord(s).valueFrom })),
            dependsOn: asArray(def.dependsOn).map((d) => ({
                containerName: asString(asRecord(d).containerName) ?? "",
                condition: asString(asRecord(d).condition) ?? "",
            })),
            command: strings(def.command),
            entryPoint: strings(def.entryPoint),
            hasHealthCheck: strings(asRecord(def.healthCheck).command).length > 0,
        };
    });
    return { ok: true, containers };
}

/** The value of a plain environment variable of a container, if set. */
export function environmentValue(container: Container, name: string): unknown {
    return container.environment.find((e) => e.name === name)?.value;
}
