// Builds @pulumi/policy's arguments (ResourceValidationArgs, StackValidationArgs) from an offline
// plan's records, so that the pack's rules run unchanged without the Pulumi CLI.
//
// What the engine would give and the offline plan does not have: resource validations see inputs,
// as with the engine; stack validations see outputs, which offline are the inputs plus the id the
// mock runtime assigns (src/offline/mockOutputs.ts: `<name>-id`), the value other resources' inputs hold when
// they reference the resource. Property dependencies are left empty; the rules then link resources
// by those ids and by each resource's dependencies.
import type { PolicyResource, PolicyResourceOptions, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { mockId } from "../../src/offline/mockOutputs";
import type { PlanRecord } from "../../src/offline/planRecords";


/** Thrown by `notApplicable()`, as the policy framework does; the checker skips the policy. */
export class NotApplicable extends Error {}

const OPTIONS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

type ResourceClass = { new (...rest: never[]): unknown; __pulumiType?: string };

function typeOf(resourceClass: unknown): string | undefined {
    return (resourceClass as ResourceClass).__pulumiType;
}

const noConfig = <T extends object>(): T => ({}) as T;
const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason ?? "policy does not apply");
};

export function resourceValidationArgs(record: PlanRecord): ResourceValidationArgs {
    return {
        type: record.type,
        props: record.inputs,
        urn: record.urn,
        name: record.name,
        opts: { ...OPTIONS, parent: record.parent },
        stackTags: new Map(),
        isType: (resourceClass) => typeOf(resourceClass) === record.type,
        asType: ((resourceClass: unknown) => (typeOf(resourceClass) === record.type ? record.inputs : undefined)) as ResourceValidationArgs["asType"],
        getConfig: noConfig,
        notApplicable,
    };
}

export function stackValidationArgs(records: readonly PlanRecord[]): StackValidationArgs {
    const byUrn = new Map<string, PolicyResource>();
    const resources = records.map((record): PolicyResource => {
        const props = { ...record.inputs, id: mockId(record.name) };
        const resource: PolicyResource = {
            type: record.type,
            props,
            urn: record.urn,
            name: record.name,
            opts: { ...OPTIONS, parent: record.parent },
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => typeOf(resourceClass) === record.type,
            asType: ((resourceClass: unknown) => (typeOf(resourceClass) === record.type ? props : undefined)) as PolicyResource["asType"],
        };
        byUrn.set(record.urn, resource);
        return resource;
    });
    records.forEach((record, i) => {
        const resource = resources[i];
        resource.parent = record.parent ? byUrn.get(record.parent) : undefined;
        resource.dependencies = (record.dependsOn ?? []).map((urn) => byUrn.get(urn)).filter((r): r is PolicyResource => r !== undefined);
    });
    return { resources, stackTags: new Map(), getConfig: noConfig, notApplicable };
}
