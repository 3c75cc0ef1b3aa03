// A Consul ACL token whose SecretID the program chose beforehand. The servers' agent token must be
// in their config when they first boot, before any token can exist (at bootstrap they hold only
// initial_management), so its SecretID is generated with the other secrets and the token is created
// under it once the cluster is ready. @pulumi/consul's AclToken cannot set a SecretID; Consul's API
// can (PUT /v1/acl/token with SecretID), so a dynamic resource makes that call, thinly.
import * as pulumi from "@pulumi/pulumi";
import type { ConsulApiAccess } from "../shared/consulApi";
import { consulAxios, ConsulHttpError, ConsulHttpOptions } from "./httpClient";

export interface PresetTokenSpec {
    /** The SecretID the token must have (a UUID). */
    readonly secretId: string;
    readonly description: string;
    /** Names of the ACL policies the token carries. */
    readonly policies: readonly string[];
}

interface TokenBody {
    readonly AccessorID?: string;
}

/**
 * Makes the token exist with `spec`, and returns its AccessorID. A token already holding the SecretID
 * (a second run, or a state that lost it) is found through GET /v1/acl/token/self with that SecretID
 * as the token, and updated; otherwise it is created.
 */
export async function upsertPresetToken(options: ConsulHttpOptions, spec: PresetTokenSpec): Promise<string> {
    const body = { Description: spec.description, Policies: spec.policies.map((Name) => ({ Name })), Local: false };
    const self = await call<TokenBody>({ ...options, token: spec.secretId }, "GET", "/v1/acl/token/self", undefined, [200, 403]);
    if (self.status === 200 && self.data.AccessorID) {
        const accessor = self.data.AccessorID;
        await call(options, "PUT", `/v1/acl/token/${encodeURIComponent(accessor)}`, { ...body, AccessorID: accessor, SecretID: spec.secretId }, [200]);
        return accessor;
    }
    const created = await call<TokenBody>(options, "PUT", "/v1/acl/token", { ...body, SecretID: spec.secretId }, [200]);
    if (!created.data.AccessorID) {
        throw new ConsulHttpError(`PUT /v1/acl/token on ${options.address} answered no AccessorID`);
    }
    return created.data.AccessorID;
}

/** Deletes the token; one that is already gone is fine. */
export async function deletePresetToken(options: ConsulHttpOptions, accessorId: string): Promise<void> {
    await call(options, "DELETE", `/v1/acl/token/${encodeURIComponent(accessorId)}`, undefined, [200, 404]);
}

async function call<T>(options: ConsulHttpOptions, method: "GET" | "PUT" | "DELETE", path: string, data: unknown, accepted: readonly number[]) {
    let response;
    try {
        response = await consulAxios(options).request<T>({ method, url: path, data });
    } catch (err) {
        throw new ConsulHttpError(`${method} ${path} on ${options.address} failed: ${(err as Error).message}`);
    }
    if (!accepted.includes(response.status)) {
        const text = typeof response.data === "string" ? response.data.trim() : JSON.stringify(response.data);
        throw new ConsulHttpError(`${method} ${path} on ${options.address} answered ${response.status}: ${text}`, response.status);
    }
    return response;
}

// ---------------------------------------------------------------------------------------------
// The dynamic resource.

/** What the provider receives: every value plain (the engine unwraps secrets for it). */
interface TokenInputs extends ConsulApiAccess {
    readonly secretId: string;
    readonly description: string;
    readonly policies: string[];
}

function connection(inputs: TokenInputs): ConsulHttpOptions {
    return { address: inputs.address, caCertPem: inputs.caCertPem, tlsServerName: inputs.tlsServerName, token: inputs.token };
}

async function apply(inputs: TokenInputs): Promise<{ id: string; outs: Record<string, unknown> }> {
    const accessorId = await upsertPresetToken(connection(inputs), inputs);
    return { id: accessorId, outs: { ...inputs, accessorId } };
}

/** One provider object for every token (Pulumi serializes it once per object). Exported for tests only. */
export const presetTokenProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: TokenInputs) {
        return apply(inputs);
    },
    async diff(_id: string, olds: TokenInputs, news: TokenInputs) {
        const replaces = olds.secretId !== news.secretId ? ["secretId"] : [];
        const changes = replaces.length > 0 || olds.description !== news.description || JSON.stringify(olds.policies) !== JSON.stringify(news.policies);
        return { changes, replaces, deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: TokenInputs, news: TokenInputs) {
        return { outs: (await apply(news)).outs };
    },
    async delete(id: string, olds: TokenInputs) {
        await deletePresetToken(connection(olds), id);
    },
};

export interface PresetTokenArgs {
    /** How this program reaches Consul's HTTPS API (the management token writes the ACL). */
    readonly address: pulumi.Input<string>;
    readonly caCertPem: pulumi.Input<string>;
    readonly token: pulumi.Input<string>;
    readonly tlsServerName: pulumi.Input<string>;
    /** The SecretID, generated by the program and kept as a Pulumi secret and in Secrets Manager. */
    readonly secretId: pulumi.Input<string>;
    readonly description: pulumi.Input<string>;
    readonly policies: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * A Consul ACL token with a SecretID chosen beforehand, written during `pulumi up` only (a preview
 * never calls Consul); a new SecretID replaces the token, other changes update it in place.
 */
export class PresetToken extends pulumi.dynamic.Resource {
    public readonly accessorId!: pulumi.Output<string>;

    constructor(name: string, args: PresetTokenArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            presetTokenProvider,
            name,
            {
                address: args.address,
                caCertPem: pulumi.secret(args.caCertPem),
                token: pulumi.secret(args.token),
                tlsServerName: args.tlsServerName,
                secretId: pulumi.secret(args.secretId),
                description: args.description,
                policies: args.policies,
                accessorId: undefined,
            },
            opts,
            "bluegreen",
            "ConsulPresetToken",
        );
    }
}
