// What the cloud providers would answer, offline: the mocks echo a resource's inputs back as its
// state and add the few outputs AWS, awsx, tls, random and consul compute (ids, ARNs, DNS names,
// generated key material). Generated secrets carry MOCK_SECRET_MARKER so that tests can scan a plan
// for secret material that leaked into a plain input.
import * as pulumi from "@pulumi/pulumi";

import { computedOutputs, MOCK_ACCOUNT, MOCK_SECRET_MARKER, mockDnsSuffix, mockId, mockPartition } from "./mockOutputs";

// The outputs themselves live in mockOutputs.ts, without the SDK, for readers of saved plans.
export { computedOutputs,   MOCK_SECRET_MARKER } from "./mockOutputs";

/** Mocks for one plan: resources in `region`; `onCall` may override an invoke's default answer. */
export function createMocks(region: string, onCall?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown> | undefined): pulumi.runtime.Mocks {
    return {
        newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
            const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
            const id = mockId(args.name);
            return { id, state: { ...inputs, ...computedOutputs(args.type, args.name, inputs, region) } };
        },
        call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
            return onCall?.(args) ?? mockCall(args, region);
        },
    };
}

function unwrapSecrets(value: unknown): unknown {
    if (pulumi.runtime.isRpcSecret(value)) {
        return unwrapSecrets(pulumi.runtime.unwrapRpcSecret(value));
    }
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** What an invoke (data source) returns, for the few the program makes. */
function mockCall(args: pulumi.runtime.MockCallArgs, region: string): Record<string, unknown> {
    switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, userId: "AIDAMOCK", id: MOCK_ACCOUNT };
        case "aws:index/getRegion:getRegion":
            return { name: region, region, id: region };
        case "aws:index/getPartition:getPartition":
            return { partition: mockPartition(region), dnsSuffix: mockDnsSuffix(mockPartition(region)), id: mockPartition(region) };
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: ["a", "b", "c", "d", "e", "f"].map((s) => `${region}${s}`), zoneIds: [], id: region };
        case "aws:ssm/getParameter:getParameter":
            return { value: "ami-0mock0amazonlinux2023", type: "String", arn: `arn:aws:ssm:${region}::parameter${args.inputs.name}` };
        case "aws:ec2/getVpc:getVpc":
            return { cidrBlock: "10.0.0.0/16", id: args.inputs.id ?? "vpc-mock" };
        case "consul:index/getAclTokenSecretId:getAclTokenSecretId":
            return { secretId: `${MOCK_SECRET_MARKER}-token-${args.inputs.accessorId}`, accessorId: args.inputs.accessorId };
        default:
            return { ...args.inputs };
    }
}
