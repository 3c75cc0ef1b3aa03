// Where the flip reaches Consul's HTTPS API, from the command line, the environment (the same
// variables the consul CLI reads) and the stack config, in that order.
import * as fs from "fs";
import { ConsulHttpOptions } from "../../src/consul/httpClient";
import { StackConfig } from "../../src/config";
import { UsageError } from "../../src/offline/errors";

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Address: --consul-address, else CONSUL_HTTP_ADDR, else bluegreen:consul.apiAddress; an `http://`
 * or `https://` prefix picks the scheme (default https). Token: CONSUL_HTTP_TOKEN, else the file named
 * by CONSUL_HTTP_TOKEN_FILE (keeps the token out of the environment). CA: the PEM file
 * named by CONSUL_CACERT. Server name: CONSUL_TLS_SERVER_NAME, else server.<datacenter>.consul
 * (dc1 on a machine without the stack file).
 * Undefined when no address is known.
 */
export function consulOptionsFrom(flagAddress: string | undefined, env: Environment, config: Pick<StackConfig, "consul"> | undefined): ConsulHttpOptions | undefined {
    const raw = flagAddress ?? (env.CONSUL_HTTP_ADDR || undefined) ?? config?.consul.apiAddress;
    if (!raw) {
        return undefined;
    }
    const match = /^(https?):\/\/(.+)$/.exec(raw);
    const scheme = match ? (match[1] as "http" | "https") : "https";
    const address = (match ? match[2] : raw).replace(/\/+$/, "");
    let caCertPem: string | undefined;
    if (env.CONSUL_CACERT) {
        try {
            caCertPem = fs.readFileSync(env.CONSUL_CACERT, "utf8");
        } catch (err) {
            throw new UsageError(`CONSUL_CACERT=${env.CONSUL_CACERT} cannot be read: ${(err as Error).message}`);
        }
    }
    return {
        address,
        scheme,
        caCertPem,
        token: env.CONSUL_HTTP_TOKEN ?? readTokenFile(env.CONSUL_HTTP_TOKEN_FILE),
        tlsServerName: env.CONSUL_TLS_SERVER_NAME ?? `server.${config?.consul.datacenter ?? "dc1"}.consul`,
    };
}

function readTokenFile(file: string | undefined): string | undefined {
    if (!file) {
        return undefined;
    }
    try {
        return fs.readFileSync(file, "utf8").trim();
    } catch (err) {
        throw new UsageError(`CONSUL_HTTP_TOKEN_FILE=${file} cannot be read: ${(err as Error).message}`);
    }
}
