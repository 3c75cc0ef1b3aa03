// The Consul server cluster as the real program registers it for each example stack (ha in prod, dev
// in dev): what both modes share (security groups, the API access path, the provider and readiness
// gate, the tunnel command), a scan of every input for secret material, and the destroy order.
// Its parts have their own tests: haServers, devServer, snapshotBucket, apiLoadBalancer.
import { expect } from "chai";
import { computedOutputs, MOCK_SECRET_MARKER } from "../../src/offline/mocks";
import { gossipKeyFromSeed, uuidFromSeed } from "../../src/consul/secrets";
import { GROUPS, securityGroupRules } from "../../src/net/render/securityGroupRules";
import { actionsOf, examplePlan, plan, Plan, policyDocumentOf } from "../support/harness";
import { T } from "../support/typeTokens";

const REGION = "eu-west-1";

/** Every secret value the mocks generate for the cluster, as it would appear if it leaked. */
function secretValues(): string[] {
    const seed = (name: string) => computedOutputs(T.randomPassword, name, {}, REGION).result as string;
    const gossipKey = gossipKeyFromSeed(seed("consul-secrets-gossip-seed"));
    const token = uuidFromSeed(seed("consul-secrets-token-seed"));
    const pem = (name: string) => (computedOutputs(T.privateKey, name, {}, REGION).privateKeyPem as string).split("\n")[1];
    return [MOCK_SECRET_MARKER, gossipKey, token, pem("consul-secrets-ca-key"), pem("consul-secrets-server-key")];
}

/** Every string in a value, decoding base64 user data so that a secret cannot hide in it. */
function strings(value: unknown, out: string[] = []): string[] {
    if (typeof value === "string") {
        out.push(value);
        if (/^[A-Za-z0-9+/]{40,}={0,2}$/.test(value)) {
            out.push(Buffer.from(value, "base64").toString("utf8"));
        }
    } else if (Array.isArray(value)) {
        value.forEach((v) => strings(v, out));
    } else if (value !== null && typeof value === "object") {
        Object.values(value).forEach((v) => strings(v, out));
    }
    return out;
}

describe("Consul server cluster", () => {
    let dev: Plan;
    let prod: Plan;
    before(async () => {
        dev = await examplePlan("dev");
        prod = await examplePlan("prod");
    });

    it("creates no security group of its own and reaches servers only from groups, never from wide CIDRs", () => {
        for (const p of [prod, dev]) {
            expect(p.ofType(T.sg).map((g) => g.name).sort()).to.deep.equal(GROUPS.map((g) => `sg-${g}`).sort());
            const serverIngress = p.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === "sg-servers-id");
            expect(serverIngress).to.not.be.empty;
            for (const rule of serverIngress) {
                expect(rule.inputs, rule.name).to.not.have.property("cidrIpv4");
                expect(rule.inputs.referencedSecurityGroupId).to.match(/^sg-(servers|meshTasks|gateway|controller|consulApiLb)-id$/);
            }
            const apiLbIngress = p.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === "sg-consulApiLb-id");
            for (const rule of apiLbIngress) {
                expect(rule.inputs.fromPort).to.equal(8501);
                expect(rule.inputs.cidrIpv4 ?? rule.inputs.referencedSecurityGroupId).to.not.equal("0.0.0.0/0");
            }
        }
    });

    it("lets a server reach the internal load balancer on 8501, for the operators' SSM tunnel", () => {
        const rules = securityGroupRules({ ingressCidrs: ["0.0.0.0/0"], https: true });
        expect(rules).to.deep.include({ group: "servers", direction: "egress", protocol: "tcp", port: 8501, peer: { group: "consulApiLb" }, description: "SSM tunnel through a server to the internal API load balancer" });
        expect(rules).to.deep.include({ group: "consulApiLb", direction: "ingress", protocol: "tcp", port: 8501, peer: { group: "servers" }, description: "SSM tunnel through a server to the internal API load balancer" });
        expect(prod.named("sg-servers-out-tcp8501-consulApiLb").inputs).to.include({ securityGroupId: "sg-servers-id", referencedSecurityGroupId: "sg-consulApiLb-id", fromPort: 8501, toPort: 8501 });
    });

    it("shows no secret in plain text in any input of any registered resource, nor in the outputs", () => {
        const forbidden = secretValues();
        for (const p of [prod, dev]) {
            for (const r of p.resources) {
                const texts = strings(r.inputs);
                for (const secret of forbidden) {
                    expect(texts.some((t) => t.includes(secret)), `${r.type} ${r.name} contains ${secret.slice(0, 12)}...`).to.equal(false);
                }
            }
            const outputs = strings(p.result.outputs);
            for (const secret of forbidden) {
                expect(outputs.some((t) => t.includes(secret))).to.equal(false);
            }
        }
    });

    it("builds the program's Consul provider and readiness wait from the stack, secrets as secrets", () => {
        for (const p of [prod, dev]) {
            const provider = p.named("consul-consul", T.consulProvider);
            expect(provider.inputs).to.include({ address: "consul-api-mock.eu-west-1.elb.amazonaws.com:8501", scheme: "https", datacenter: "dc1", caPem: "[secret]", token: "[secret]" });
            const gate = p.named("consul-ready", T.readiness);
            expect(gate.inputs).to.include({ address: "consul-api-mock.eu-west-1.elb.amazonaws.com:8501", tlsServerName: "server.dc1.consul", attempts: 60, intervalSeconds: 10 });
            expect(gate.secretInputs).to.have.members(["caCertPem", "token"]);
            expect(p.parentOf(gate)?.type).to.equal(T.serverClusterComponent);
        }
        const asgUrn = prod.named("consul-servers").urn;
        expect(prod.named("consul-ready").dependsOn).to.include(asgUrn);
        expect(dev.named("consul-ready").dependsOn).to.include(dev.named("consul-server", T.service).urn);
    });

    it("points the provider and gate at bluegreen:consul.apiAddress when set (a tunnel)", async () => {
        const tunnelled = await plan("dev", (c) => {
            (c["bluegreen:consul"] as Record<string, unknown>).apiAddress = "localhost:8501";
        });
        expect(tunnelled.named("consul-consul").inputs.address).to.equal("localhost:8501");
        expect(tunnelled.named("consul-ready").inputs.address).to.equal("localhost:8501");
        expect((tunnelled.result.outputs.consul as Record<string, string>).apiAddress).to.equal("localhost:8501");
        // The certificate keeps the load balancer's name, so switching back needs no new certificate.
        expect(tunnelled.named("consul-secrets-server-csr").inputs.dnsNames).to.deep.equal(dev.named("consul-secrets-server-csr").inputs.dnsNames);
    });

    it("puts a configured API host on the server certificate, so the provider can verify it", async () => {
        const named = await plan("prod", (c) => {
            (c["bluegreen:consul"] as Record<string, unknown>).apiAddress = "consul.ops.example.com:8501";
        });
        const csr = named.named("consul-secrets-server-csr").inputs;
        expect(csr.dnsNames).to.deep.equal(["server.dc1.consul", "localhost", "consul-api-mock.eu-west-1.elb.amazonaws.com", "consul.ops.example.com"]);
        expect(csr.ipAddresses).to.deep.equal(["127.0.0.1"]);
        expect(named.named("consul-consul").inputs.address).to.equal("consul.ops.example.com:8501");
    });

    it("gives the servers an agent token: node write for their own node names and service read, created under the SecretID they boot with", () => {
        for (const [p, stack] of [[prod, "prod"], [dev, "dev"]] as const) {
            const policy = p.named("consul-agent", "consul:index/aclPolicy:AclPolicy");
            expect(policy.inputs).to.deep.include({ name: `${stack}-consul-server-agent` });
            expect(policy.inputs.rules).to.equal('node_prefix "consul-server-" {\n  policy = "write"\n}\n\nservice_prefix "" {\n  policy = "read"\n}\n');
            expect(policy.provider).to.match(/\$pulumi:providers:consul::consul-consul::/);
            const token = p.named("consul-agent-token");
            expect(token.type).to.equal("pulumi-nodejs:dynamic/bluegreen:ConsulPresetToken");
            expect(token.inputs).to.deep.include({ policies: [`${stack}-consul-server-agent`], tlsServerName: "server.dc1.consul" });
            expect(token.secretInputs).to.include.members(["secretId", "token", "caCertPem"]);
            const ready = p.named("consul-ready").urn;
            expect(policy.dependsOn).to.include(ready);
            expect(token.dependsOn).to.include.members([ready, policy.urn]);
        }
    });

    it("starts servers only once their secrets have values", () => {
        for (const [p, servers] of [[prod, prod.named("consul-servers")], [dev, dev.named("consul-server", T.service)]] as const) {
            const versions = p.ofTypeUnder(T.secretVersion, "consul").map((v) => v.urn);
            expect(versions).to.have.length(7);
            expect(servers.dependsOn).to.include.members(versions);
        }
    });

    it("exports the SSM tunnel command for each mode", () => {
        const haCommand = (prod.result.outputs.consul as Record<string, string>).tunnelCommand;
        expect(haCommand).to.include("--document-name AWS-StartPortForwardingSessionToRemoteHost");
        expect(haCommand).to.include("Name=tag:bluegreen-consul-server,Values=bluegreen-prod-dc1");
        expect(haCommand).to.include(`'{"host":["consul-api-mock.eu-west-1.elb.amazonaws.com"],"portNumber":["8501"],"localPortNumber":["8501"]}'`);
        const devCommand = (dev.result.outputs.consul as Record<string, string>).tunnelCommand;
        expect(devCommand).to.include("--document-name AWS-StartPortForwardingSession \\");
        expect(devCommand).to.include('--target "ecs:ecs-cluster-mock_${TASK_ARN##*/}_${RUNTIME_ID}"');
        expect(devCommand).to.include("--service-name consul-server-mock");
    });

    it("grants no wildcard action in any IAM policy it creates", () => {
        for (const p of [prod, dev]) {
            const docs = [...p.ofType(T.rolePolicy).map((r) => policyDocumentOf(r)), ...p.ofType(T.role).map((r) => policyDocumentOf(r, "assumeRolePolicy"))];
            expect(docs).to.not.be.empty;
            for (const doc of docs) {
                for (const statement of doc.Statement) {
                    expect(statement.Effect).to.equal("Allow");
                    for (const action of actionsOf(statement)) {
                        expect(action, statement.Sid).to.not.include("*");
                    }
                }
            }
        }
    });
});

describe("Consul server cluster: destroy order", () => {
    it("makes the readiness wait depend on every security group rule, so Consul stays reachable until its config entries are gone", async () => {
        for (const stack of ["dev", "prod"] as const) {
            const p = await examplePlan(stack);
            const gate = p.named("consul-ready");
            const rules = p.resources.filter((r) => r.type.startsWith("aws:vpc/securityGroup"));
            expect(rules.length).to.be.greaterThan(30);
            expect(gate.dependsOn).to.include.members(rules.map((r) => r.urn));
        }
    });
});
