// The readiness wait: before this program writes any Consul config entry, the cluster must have a
// leader and accept the management token. `waitForConsulReady` is the polling logic as a plain async
// function (tests call it against a loopback server); `ConsulReadiness` runs it from a Pulumi
// dynamic resource, which the engine creates or updates only during `pulumi up`: a preview never polls.
import * as pulumi from "@pulumi/pulumi";
import type { ConsulApiAccess } from "../shared/consulApi";
import { ConsulHttpClient, consulHttpClient, ConsulHttpError } from "./httpClient";

/** Checks before giving up, and seconds between them: at most ten minutes by default. */
const DEFAULT_READINESS_ATTEMPTS = 60;
const DEFAULT_READINESS_INTERVAL_SECONDS = 10;
/**
 * Consecutive 403s tolerated once a leader exists: the leader creates the initial management token
 * just after its election, so a check in that instant may be refused. More than this is a real refusal.
 */
export const DEFAULT_FORBIDDEN_ATTEMPTS = 3;

export interface ReadinessOptions {
    /** Shown in progress lines and errors (host:port). */
    readonly address: string;
    readonly attempts: number;
    readonly intervalMs: number;
    /** Default DEFAULT_FORBIDDEN_ATTEMPTS. */
    readonly forbiddenAttempts?: number;
    /** Receives one progress line per check. */
    readonly log: (line: string) => void;
    /** Waits between checks; tests pass a fast one. */
    readonly sleep?: (ms: number) => Promise<void>;
}

export interface ReadinessResult {
    /** The leader's address as Consul reported it. */
    readonly leader: string;
    /** Checks it took, the successful one included. */
    readonly attempts: number;
}

/** Consul did not become ready; the message says what was seen last and what to do. */
export class ConsulNotReadyError extends Error {
    constructor(
        message: string,
        readonly reason: "timeout" | "forbidden",
    ) {
        super(message);
        // Explicit: see ConsulHttpError (Pulumi's serialization of this class drops super's message).
        this.message = message;
        this.name = "ConsulNotReadyError";
    }
}

type Check =
    | { readonly kind: "ready"; readonly leader: string; readonly who: string }
    | { readonly kind: "forbidden"; readonly leader: string; readonly detail: string }
    | { readonly kind: "waiting"; readonly detail: string };

async function checkOnce(client: ConsulHttpClient): Promise<Check> {
    let leader: string;
    try {
        leader = await client.leader();
    } catch (err) {
        return { kind: "waiting", detail: (err as Error).message };
    }
    if (leader === "") {
        return { kind: "waiting", detail: "the cluster has no leader yet" };
    }
    try {
        const identity = await client.tokenSelf();
        return { kind: "ready", leader, who: identity.description || identity.accessorId };
    } catch (err) {
        if (err instanceof ConsulHttpError && err.status === 403) {
            return { kind: "forbidden", leader, detail: err.message };
        }
        return { kind: "waiting", detail: `leader ${leader}, but reading the token failed: ${(err as Error).message}` };
    }
}

/**
 * Polls until GET /v1/status/leader names a leader and GET /v1/acl/token/self answers 200 for the
 * token. Bounded by `attempts`; fails early when the token is refused `forbiddenAttempts` times in a row.
 */
export async function waitForConsulReady(client: ConsulHttpClient, options: ReadinessOptions): Promise<ReadinessResult> {
    if (!Number.isInteger(options.attempts) || options.attempts < 1) {
        throw new Error(`readiness attempts must be a whole number of at least 1, got ${options.attempts}`);
    }
    if (!(options.intervalMs >= 0)) {
        throw new Error(`readiness interval must be zero or more milliseconds, got ${options.intervalMs}`);
    }
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const forbiddenLimit = options.forbiddenAttempts ?? DEFAULT_FORBIDDEN_ATTEMPTS;
    const seconds = Math.round(options.intervalMs / 1000);
    let forbiddenInARow = 0;
    let lastDetail = "";

    for (let attempt = 1; attempt <= options.attempts; attempt++) {
        const progress = `Consul readiness ${attempt}/${options.attempts} at ${options.address}`;
        const check = await checkOnce(client);
        if (check.kind === "ready") {
            options.log(`${progress}: ready, leader ${check.leader}, token accepted (${check.who})`);
            return { leader: check.leader, attempts: attempt };
        }
        if (check.kind === "forbidden") {
            forbiddenInARow++;
            lastDetail = `leader ${check.leader}, but the management token is refused: ${check.detail}`;
            if (forbiddenInARow >= forbiddenLimit) {
                options.log(`${progress}: ${lastDetail}`);
                throw new ConsulNotReadyError(
                    `Consul at ${options.address} has a leader but refused the management token ${forbiddenInARow} times in a row (403). ` +
                        "The servers bootstrapped their ACLs with another token than the one in Secrets Manager, or their ACL data was reset; " +
                        `compare the management-token secret with the servers' acl.tokens.initial_management. Last answer: ${check.detail}`,
                    "forbidden",
                );
            }
        } else {
            forbiddenInARow = 0;
            lastDetail = check.detail;
        }
        if (attempt < options.attempts) {
            options.log(`${progress}: ${lastDetail}; next check in ${seconds}s`);
            await sleep(options.intervalMs);
        } else {
            options.log(`${progress}: ${lastDetail}`);
        }
    }
    throw new ConsulNotReadyError(
        `Consul at ${options.address} was not ready after ${options.attempts} checks ${seconds}s apart; last seen: ${lastDetail}. ` +
            "This run must reach the servers' HTTPS API: run it inside the VPC, or open the SSM tunnel and set " +
            "bluegreen:consul.apiAddress to it (docs/consul-servers.md, \"Where pulumi up must run\").",
        "timeout",
    );
}

// ---------------------------------------------------------------------------------------------
// The dynamic resource.

/** What the gate's provider receives: every value plain (the engine unwraps secrets for it). */
interface GateInputs extends ConsulApiAccess {
    readonly attempts: number;
    readonly intervalSeconds: number;
}

/** Inputs whose change means the program may now reach another Consul, or reach it differently. */
const CHECKED_INPUTS = ["address", "caCertPem", "token", "tlsServerName"] as const;

async function runGate(inputs: GateInputs): Promise<Record<string, unknown>> {
    const client = consulHttpClient({ address: inputs.address, caCertPem: inputs.caCertPem, tlsServerName: inputs.tlsServerName, token: inputs.token });
    const result = await waitForConsulReady(client, {
        address: inputs.address,
        attempts: inputs.attempts,
        intervalMs: inputs.intervalSeconds * 1000,
        log: (line) => {
            void pulumi.log.info(line);
        },
    });
    return { ...inputs, leader: result.leader };
}

/**
 * One provider object for every gate: Pulumi serializes a dynamic provider with its resource, and
 * caches the serialization per provider object, so a module-level singleton is serialized once.
 * Exported for tests only.
 */
export const readinessProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: GateInputs) {
        return { id: `consul-readiness-${inputs.tlsServerName}`, outs: await runGate(inputs) };
    },
    async diff(_id: string, olds: GateInputs, news: GateInputs) {
        const changed = CHECKED_INPUTS.filter((key) => olds[key] !== news[key]);
        return { changes: changed.length > 0 };
    },
    async update(_id: string, _olds: GateInputs, news: GateInputs) {
        return { outs: await runGate(news) };
    },
};

export interface ConsulReadinessArgs {
    /** `host:port` of Consul's HTTPS API. */
    readonly address: pulumi.Input<string>;
    /** The CA certificate PEM (secret). */
    readonly caCertPem: pulumi.Input<string>;
    /** The management token (secret). */
    readonly token: pulumi.Input<string>;
    /** The name checked against the server certificate: `server.<datacenter>.consul`. */
    readonly tlsServerName: pulumi.Input<string>;
    /** Checks before giving up. Default 60. */
    readonly attempts?: number;
    /** Seconds between checks. Default 10. */
    readonly intervalSeconds?: number;
}

/**
 * Waits, during `pulumi up`, until Consul has a leader and accepts the management token; config
 * entries depend on it. It checks on creation and again whenever the address, CA, token or TLS name
 * change (for example when `bluegreen:consul.apiAddress` switches to a tunnel).
 */
export class ConsulReadiness extends pulumi.dynamic.Resource {
    /** The leader's address at the last successful check. */
    public readonly leader!: pulumi.Output<string>;

    constructor(name: string, args: ConsulReadinessArgs, opts?: pulumi.CustomResourceOptions) {
        const attempts = args.attempts ?? DEFAULT_READINESS_ATTEMPTS;
        const intervalSeconds = args.intervalSeconds ?? DEFAULT_READINESS_INTERVAL_SECONDS;
        if (!Number.isInteger(attempts) || attempts < 1) {
            throw new Error(`ConsulReadiness ${name}: attempts ${attempts} must be a whole number of at least 1`);
        }
        if (!(intervalSeconds > 0)) {
            throw new Error(`ConsulReadiness ${name}: intervalSeconds ${intervalSeconds} must be more than 0`);
        }
        super(
            readinessProvider,
            name,
            {
                address: args.address,
                caCertPem: pulumi.secret(args.caCertPem),
                token: pulumi.secret(args.token),
                tlsServerName: args.tlsServerName,
                attempts,
                intervalSeconds,
                leader: undefined,
            },
            opts,
            "bluegreen",
            "ConsulReadinessGate",
        );
    }
}
