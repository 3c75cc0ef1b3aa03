// bluegreen:consul.apiAddress: `host:port` where this program reaches Consul's HTTPS API.
import type { Report } from "./types";

/** A DNS name (labels of letters, digits and '-') or an IPv4 address. */
const HOST = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function checkApiAddress(path: string, address: string, at: Report): void {
    const colon = address.lastIndexOf(":");
    const host = address.slice(0, colon);
    const port = Number(address.slice(colon + 1));
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        at(path, `${JSON.stringify(address)} has port ${address.slice(colon + 1)}; a TCP port is 1 to 65535 (Consul's HTTPS API listens on 8501)`);
    }
    if (!HOST.test(host)) {
        at(path, `${JSON.stringify(address)} has host ${JSON.stringify(host)}, which is no DNS name or IPv4 address; use for example localhost:8501 or the API load balancer's DNS name`);
    }
}
