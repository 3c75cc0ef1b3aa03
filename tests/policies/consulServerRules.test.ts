// The Consul server rules: production-consul-servers-ha and consul-servers-tls-acls(-nonprod), and
// how they find the agent config in user data and container commands.
import { expect } from "chai";
import { gzipSync } from "zlib";
import { mockId } from "../../cli/policy/policyArgs";
import { agentConfigIn } from "../../policies/rules/agentConfig";
import { agentSecurityProblems, consulServersSecured, consulServersSecuredOutsideProduction } from "../../policies/rules/consulServersSecured";
import { productionConsulServers } from "../../policies/rules/productionConsulServers";
import { edit, messages, resource, safeStack, serverAgentConfig, T, userDataFor, violations } from "../support/policyFixtures";

const setConfig = (config: Record<string, unknown>) => (inputs: Record<string, unknown>) => ({ ...inputs, userData: userDataFor(config) });
const devServerTask = (stack: string, command: string[]) =>
    resource(T.td, "consul-dev-server-td", { requiresCompatibilities: ["FARGATE"], containerDefinitions: JSON.stringify([{ name: "consul-server", image: "hashicorp/consul:2.0.1", command }]) }, { stack });

describe("finding the agent config", () => {
    const config = serverAgentConfig(3);
    it("in base64 user data with a heredoc", () => {
        expect(agentConfigIn([userDataFor(config)])).to.deep.equal(config);
    });
    it("in gzipped user data, and in a base64 blob the script decodes at boot", () => {
        const script = `#!/bin/bash\necho ${Buffer.from(JSON.stringify(config)).toString("base64")} | base64 -d > /etc/consul.d/consul.json\n`;
        expect(agentConfigIn([Buffer.from(script).toString("base64")])).to.deep.equal(config);
        expect(agentConfigIn([gzipSync(Buffer.from(`cat <<EOF\n${JSON.stringify(config)}\nEOF`)).toString("base64")])).to.deep.equal(config);
    });
    it("in a container command, escaped or not, merging several files", () => {
        const command = ["/bin/sh", "-ec", `echo "${JSON.stringify({ server: true, acl: { enabled: true } }).replace(/"/g, '\\"')}" > /c/a.json; echo '${JSON.stringify({ ports: { http: -1 }, acl: { default_policy: "deny" } })}' > /c/b.json; exec consul agent -config-dir /c`];
        expect(agentConfigIn(command)).to.deep.equal({ server: true, acl: { enabled: true, default_policy: "deny" }, ports: { http: -1 } });
    });
    it("and nothing where there is none", () => {
        expect(agentConfigIn(["#!/bin/bash\necho '{\"hello\": 1}'", "aGVsbG8gd29ybGQ="])).to.equal(undefined);
    });
});

describe("policy production-consul-servers-ha", () => {
    it("accepts 3 ha servers over 3 subnets in prod", async () => {
        expect(await messages(safeStack("prod"), productionConsulServers)).to.deep.equal([]);
    });

    it("rejects an even or too small server count, and a count scaling may change", async () => {
        const even = edit(edit(safeStack(), "consul-servers", (i) => ({ ...i, desiredCapacity: 4, minSize: 4, maxSize: 4 })), "consul-servers-lt", setConfig(serverAgentConfig(4)));
        expect(await messages(even, productionConsulServers)).to.deep.equal([
            'production-consul-servers-ha: aws:autoscaling/group:Group "consul-servers" runs 4 Consul servers; production needs an odd number of at least 3 (3 survive one loss, 5 survive two)',
        ]);
        const loose = edit(safeStack(), "consul-servers", (i) => ({ ...i, minSize: 1, maxSize: 5 }));
        expect((await messages(loose, productionConsulServers)).join()).to.include("has minSize 1, maxSize 5, desiredCapacity 3");
    });

    it("rejects servers in fewer than 3 availability zones", async () => {
        const two = edit(safeStack(), "consul-servers", (i) => ({ ...i, vpcZoneIdentifiers: ["subnet-a", "subnet-b"] }));
        expect(await messages(two, productionConsulServers)).to.deep.equal([
            'production-consul-servers-ha: aws:autoscaling/group:Group "consul-servers" spreads its Consul servers over 2 subnet(s); production needs at least 3 availability zones (bluegreen:network.azCount >= 3)',
        ]);
        const subnets = ["a", "b", "c"].map((s, i) => resource(T.subnet, `private-${s}`, { availabilityZone: i < 2 ? "eu-west-1a" : "eu-west-1b" }));
        const inTwoZones = edit([...safeStack(), ...subnets], "consul-servers", (i) => ({ ...i, vpcZoneIdentifiers: subnets.map((s) => mockId(s.name)) }));
        expect((await messages(inTwoZones, productionConsulServers)).join()).to.include("over 2 availability zone(s) (eu-west-1a, eu-west-1b)");
    });

    it("rejects a dev-mode server on ECS in a production stack, and ignores other stacks", async () => {
        const stack = [...safeStack("prod"), devServerTask("prod", ["agent", "-server", "-bootstrap"])];
        expect(await messages(stack, productionConsulServers)).to.deep.equal([
            'production-consul-servers-ha: aws:ecs/taskDefinition:TaskDefinition "consul-dev-server-td" runs a Consul server on ECS in production stack "prod": dev-mode servers lose their data on restart; use servers.mode: ha',
        ]);
        expect(await messages([...safeStack("dev"), devServerTask("dev", ["agent"])], productionConsulServers)).to.deep.equal([]);
        expect(await messages([...safeStack("eu-prod"), devServerTask("eu-prod", ["agent"])], productionConsulServers)).to.have.length(1);
    });
});

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
