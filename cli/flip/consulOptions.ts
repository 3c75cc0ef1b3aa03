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
    const from = flagAddress !== undefined ? "--consul-address" : env.CONSUL_HTTP_ADDR ? "CONSUL_HTTP_ADDR" : "bluegreen:consul.apiAddress";
    const raw = flagAddress ?? (env.CONSUL_HTTP_ADDR || undefined) ?? config?.consul.apiAddress;
    if (raw === undefined) {
        return undefined;
    }
    const { scheme, address } = parseConsulAddress(raw, from);
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

/**
 * `host`, `host:port`, `[v6]:port`, with an optional `http://` or `https://` (default https), as
 * the consul CLI takes CONSUL_HTTP_ADDR; anything else (a space, a path, a port out of range) is
 * invalid input, named with where it came from.
 */
function parseConsulAddress(raw: string, from: string): { scheme: "http" | "https"; address: string } {
    const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/.exec(raw.trim());
    const scheme = (match ? match[1].toLowerCase() : "https") as "http" | "https";
    const rest = (match ? match[2] : raw.trim()).replace(/\/+$/, "");
    const invalid = (why: string) => new UsageError(`${from} ${JSON.stringify(raw)} is not a Consul address (${why}); write host:port, like consul.internal:8501 or https://10.0.0.5:8501`);
    if (scheme !== "http" && scheme !== "https") {
        throw invalid(`the scheme ${match![1]} is neither http nor https`);
    }
    let url: URL;
    try {
        url = new URL(`${scheme}://${rest}`);
    } catch {
        throw invalid(rest === "" ? "it is empty" : "not a host name or IP address with an optional port");
    }
    if (url.username || url.password || url.pathname !== "/" || url.search || url.hash || url.hostname === "") {
        throw invalid("only a host and a port belong there, no path, query or user");
    }
    return { scheme, address: url.host };
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
