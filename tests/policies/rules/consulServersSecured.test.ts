// policies/rules/consulServersSecured.ts: consul-servers-tls-acls and its advisory twin outside production.
import { expect } from "chai";
import { agentSecurityProblems, consulServersSecured, consulServersSecuredOutsideProduction } from "../../../policies/rules/consulServersSecured";
import { edit, messages, resource, safeStack, serverAgentConfig, userDataFor, violations } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

const setConfig = (config: Record<string, unknown>) => (inputs: Record<string, unknown>) => ({ ...inputs, userData: userDataFor(config) });
const devServerTask = (stack: string, command: string[]) =>
    resource(T.td, "consul-dev-server-td", { requiresCompatibilities: ["FARGATE"], containerDefinitions: JSON.stringify([{ name: "consul-server", image: "hashicorp/consul:2.0.1", command }]) }, { stack });

describe("policies consul-servers-tls-acls (prod) and -nonprod (advisory)", () => {
    it("accepts the server config the program renders", async () => {
        expect(agentSecurityProblems(serverAgentConfig(3))).to.deep.equal([]);
        expect(await messages(safeStack("prod"), consulServersSecured)).to.deep.equal([]);
    });

    it("rejects ACLs off, plaintext HTTP on and unverified TLS, as mandatory in prod", async () => {
        const config = { ...serverAgentConfig(3), acl: { enabled: false, default_policy: "allow" }, ports: { http: 8500, https: 8501 }, tls: { defaults: { verify_outgoing: false } } };
        const stack = edit(safeStack("prod"), "consul-servers-lt", setConfig(config));
        const found = await violations(stack, consulServersSecured);
        expect(found.map((v) => [v.enforcementLevel, v.message])).to.deep.equal([
            [
                "mandatory",
                'Consul servers of aws:autoscaling/group:Group "consul-servers" are not secured: acl.enabled is not true; acl.default_policy is "allow", not "deny"; ports.http is 8500: plaintext HTTP must be off (-1); tls.defaults.verify_outgoing is not true; tls.internal_rpc.verify_server_hostname is not true; tls.defaults has no cert_file and key_file',
            ],
        ]);
        expect(await messages(stack, consulServersSecuredOutsideProduction)).to.deep.equal([]);
    });

    it("reports the same problems as advisory in a dev stack, for the dev server's command", async () => {
        const insecure = devServerTask("dev", ["/bin/sh", "-ec", `echo '${JSON.stringify({ server: true, bootstrap_expect: 1, ports: { http: 8500 } })}' > /c/a.json; exec consul agent -config-dir /c`]);
        const found = await violations([insecure], consulServersSecuredOutsideProduction);
        expect(found.map((v) => v.enforcementLevel)).to.deep.equal(["advisory"]);
        expect(found[0].message).to.include("acl.enabled is not true");
        expect(await violations([insecure], consulServersSecured)).to.deep.equal([]);
    });

    it("rejects servers whose agent config cannot be found", async () => {
        const stack = edit(safeStack("prod"), "consul-servers-lt", (i) => ({ ...i, userData: Buffer.from("#!/bin/bash\n/opt/bootstrap.sh\n").toString("base64") }));
        expect((await messages(stack, consulServersSecured)).join()).to.include("no agent configuration (JSON) was found in the user data of launch template \"consul-servers-lt\"");
    });
});
