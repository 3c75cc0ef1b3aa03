// A throwaway CA and a server certificate it signed, made with the openssl CLI in a temporary
// folder, for loopback HTTPS servers that stand for Consul's API: the certificate names
// `server.dc1.consul` only, as a Consul server's does (`server.<datacenter>.consul`), so a client
// must send and verify that name, not the address it dials. A second, unrelated CA is made too.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const THROWAWAY_SERVER_NAME = "server.dc1.consul";

export interface ThrowawayTls {
    /** PEM of the CA that signed the server certificate. */
    readonly caPem: string;
    /** PEM of another CA, which signed nothing this server presents. */
    readonly otherCaPem: string;
    readonly serverKeyPem: string;
    readonly serverCertPem: string;
}

export function makeThrowawayTls(): ThrowawayTls {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bluegreen-consul-tls-"));
    try {
        const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
        for (const ca of ["ca", "other-ca"]) {
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-days", "2", "-subj", `/CN=${ca}`);
        }
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${THROWAWAY_SERVER_NAME}`);
        fs.writeFileSync(path.join(dir, "san.ext"), `subjectAltName=DNS:${THROWAWAY_SERVER_NAME}\n`);
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem");
        const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
        return { caPem: read("ca.pem"), otherCaPem: read("other-ca.pem"), serverKeyPem: read("server.key"), serverCertPem: read("server.pem") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
