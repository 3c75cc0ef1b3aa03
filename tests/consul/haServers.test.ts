// ha servers (src/consul/haServers.ts) as the real program registers them for the prod stack: count and
// spread, rolling replacement, launch template, the rendered agent config and user data, the instance role.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { computedOutputs } from "../../src/offline/mocks";
import { consulSecretArns, examplePlan, plan, Plan, policyDocumentOf, ROOT } from "../support/harness";
import { T } from "../support/typeTokens";
import { SECRETS_KMS_KEY_ARN } from "../support/fakeArns";

const REGION = "eu-west-1";

function userDataOf(p: Plan): string {
    return Buffer.from(p.named("consul-server", T.lt).inputs.userData as string, "base64").toString("utf8");
}

function agentConfigOf(userData: string): Record<string, unknown> {
    const match = /<<'CONSUL_CONFIG'\n([\s\S]*?)\nCONSUL_CONFIG\n/.exec(userData);
    expect(match, "agent config heredoc in user data").to.not.equal(null);
    return JSON.parse(match![1]);
}

describe("ha servers (prod)", () => {
    let prod: Plan;
    before(async () => {
        prod = await examplePlan("prod");
    });

    it("runs count servers in an Auto Scaling group across the private subnets of 3 AZs", () => {
        const asg = prod.named("consul-servers", T.asg);
        expect(asg.inputs).to.include({ minSize: 3, maxSize: 3, desiredCapacity: 3, healthCheckType: "ELB" });
        const privateSubnets = prod.result.outputs.privateSubnetIds as string[];
        expect(privateSubnets).to.have.length(3);
        expect(asg.inputs.vpcZoneIdentifiers).to.deep.equal(privateSubnets);
        const lb = prod.named("consul-api", T.lb);
        expect(asg.inputs.targetGroupArns).to.deep.equal([computedOutputs(T.tg, "consul-api", {}, REGION).arn]);
        expect(prod.parentOf(asg)?.type).to.equal(T.serverClusterComponent);
        expect(lb.inputs.subnets).to.deep.equal(privateSubnets);
    });

    it("keeps a server's data volume for that server's life, and the docs say so and what a replacement costs", () => {
        // Deliberate: instance refresh and health replacement launch new instances with new volumes,
        // so a kept volume would only be orphaned; Raft on the other servers and S3 snapshots hold the data.
        const lt = prod.named("consul-server", T.lt);
        const data = (lt.inputs.blockDeviceMappings as { deviceName: string; ebs: Record<string, string> }[]).find((d) => d.deviceName === "/dev/sdf")!;
        expect(data.ebs.deleteOnTermination).to.equal("true");
        const servers = fs.readFileSync(path.join(ROOT, "docs", "consul-servers.md"), "utf8");
        const dataRow = servers.split("\n").find((line) => line.startsWith("| data |"))!;
        expect(dataRow).to.include("deleted with its server").and.to.include("rejoins empty");
        const runbook = fs.readFileSync(path.join(ROOT, "docs", "runbooks.md"), "utf8").replace(/\s+/g, " ");
        expect(runbook).to.include("A replacement server starts with an empty data volume");
    });

    it("boots every server with its own node name and the agent token read from Secrets Manager", () => {
        const arns = consulSecretArns(prod);
        // The names all start with the agent policy's node prefix (tests/consul/serverCluster.test.ts).
        expect(userDataOf(prod)).to.include(`printf '{"node_name": "consul-server-%s"}\\n' "$instance_id" > /etc/consul.d/node.json`);
        expect(userDataOf(prod)).to.include(`agent_token=$(retry secret_value '${arns["agent-token"]}')`).and.to.include('"agent": "%s"');
    });

    it("replaces one server at a time (instance refresh keeps quorum)", () => {
        const refresh = prod.named("consul-servers", T.asg).inputs.instanceRefresh as {
            strategy: string;
            preferences: { minHealthyPercentage: number; maxHealthyPercentage: number; instanceWarmup: string };
        };
        expect(refresh.strategy).to.equal("Rolling");
        expect(refresh.preferences).to.deep.equal({ minHealthyPercentage: 66, maxHealthyPercentage: 100, instanceWarmup: "300" });
        // AWS keeps ceil(3 * 66%) = 2 healthy: one replaced at a time, quorum (2) kept.
        expect(Math.ceil((3 * refresh.preferences.minHealthyPercentage) / 100)).to.equal(2);
    });

    it("launches Amazon Linux 2023 with IMDSv2 required, encrypted gp3 volumes and no public IP", () => {
        const lt = prod.named("consul-server", T.lt);
        expect(lt.inputs.imageId).to.equal("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
        expect(lt.inputs.instanceType).to.equal("t4g.small");
        expect(lt.inputs.metadataOptions).to.deep.equal({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" });
        expect(lt.inputs.networkInterfaces).to.deep.equal([{ deviceIndex: 0, associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: ["sg-servers-id"] }]);
        expect(lt.inputs).to.not.have.property("vpcSecurityGroupIds");
        expect(lt.inputs.blockDeviceMappings).to.deep.equal([
            { deviceName: "/dev/xvda", ebs: { volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
            { deviceName: "/dev/sdf", ebs: { volumeType: "gp3", volumeSize: 20, encrypted: "true", deleteOnTermination: "true" } },
        ]);
        const instanceTags = (lt.inputs.tagSpecifications as { resourceType: string; tags: Record<string, string> }[]).find((t) => t.resourceType === "instance")!.tags;
        expect(instanceTags["bluegreen-consul-server"]).to.equal("bluegreen-prod-dc1");
        expect(instanceTags["bluegreen:server-cert-not-after"]).to.equal("2026-01-01T00:00:00Z");
    });

    it("renders the agent config into the user data, key by key", () => {
        const config = agentConfigOf(userDataOf(prod));
        expect(config).to.deep.include({
            datacenter: "dc1",
            server: true,
            bootstrap_expect: 3,
            retry_join: ["provider=aws region=eu-west-1 tag_key=bluegreen-consul-server tag_value=bluegreen-prod-dc1"],
            ports: { https: 8501, grpc_tls: 8503, http: -1 },
            enable_central_service_config: true,
            connect: { enabled: true },
            autopilot: { cleanup_dead_servers: true, min_quorum: 3 },
            acl: { enabled: true, default_policy: "deny", down_policy: "extend-cache", enable_token_persistence: true },
        });
        expect(config.tls).to.deep.equal({
            defaults: { ca_file: "/opt/consul/tls/ca.pem", cert_file: "/opt/consul/tls/server.pem", key_file: "/opt/consul/tls/server-key.pem", verify_outgoing: true },
            internal_rpc: { verify_incoming: true, verify_server_hostname: true },
            grpc: { verify_incoming: false },
            https: { verify_incoming: false },
        });
        expect(config).to.not.have.property("encrypt");
    });

    it("has the user data fetch exactly the server's secrets (never the CA key) and upload snapshots to its bucket", () => {
        const userData = userDataOf(prod);
        const arns = consulSecretArns(prod);
        const fetched = new Set([...userData.matchAll(/'(arn:aws:secretsmanager:[^']+)'/g)].map((m) => m[1]));
        expect(fetched).to.deep.equal(new Set([arns["ca-cert"], arns["server-cert"], arns["server-key"], arns["gossip-key"], arns["management-token"], arns["agent-token"]]));
        expect(userData).to.include("'s3://consul-snapshots-mock/snapshots/dc1/'");
        expect(userData).to.include("CONSUL_VERSION='2.0.1'");
    });

    it("gives the instance role exactly auto-join, its secrets, its snapshot prefix and Session Manager", () => {
        const arns = consulSecretArns(prod);
        const doc = policyDocumentOf(prod.named("consul-server", T.rolePolicy));
        const keyArn = SECRETS_KMS_KEY_ARN;
        expect(doc.Statement).to.deep.equal([
            { Sid: "CloudAutoJoin", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" },
            {
                Sid: "ReadOwnSecrets",
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue"],
                Resource: [arns["ca-cert"], arns["server-cert"], arns["server-key"], arns["gossip-key"], arns["management-token"], arns["agent-token"]],
            },
            {
                Sid: "DecryptOwnSecrets",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: keyArn,
                Condition: { StringEquals: { "kms:ViaService": ["secretsmanager.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"] } },
            },
            { Sid: "EncryptSnapshots", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: keyArn, Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } },
            { Sid: "WriteSnapshots", Effect: "Allow", Action: ["s3:PutObject"], Resource: "arn:aws:s3:::consul-snapshots-mock/snapshots/dc1/*" },
        ]);
        const ssm = prod.named("consul-server-ssm", T.attachment);
        expect(ssm.inputs.policyArn).to.equal("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
        const role = prod.named("consul-server", T.role);
        expect(policyDocumentOf(role, "assumeRolePolicy").Statement).to.deep.equal([
            { Sid: "AssumedByService", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
    });

    it("tells mesh tasks to discover the servers through the EC2 API, with the TLS server name", () => {
        const consul = prod.result.outputs.consul as Record<string, string>;
        expect(consul.serverHosts).to.equal("exec=discover -q addrs provider=aws region=eu-west-1 tag_key=bluegreen-consul-server tag_value=bluegreen-prod-dc1");
        expect(consul.tlsServerName).to.equal("server.dc1.consul");
        expect(consul.mode).to.equal("ha");
    });

    it("scales to 5 servers, with the matching quorum and refresh rate", async () => {
        const five = await plan("prod", (c) => {
            (c["bluegreen:consul"] as { servers: { count: number } }).servers.count = 5;
        });
        const asg = five.named("consul-servers", T.asg);
        expect(asg.inputs).to.include({ minSize: 5, maxSize: 5, desiredCapacity: 5 });
        expect((asg.inputs.instanceRefresh as { preferences: { minHealthyPercentage: number } }).preferences.minHealthyPercentage).to.equal(80);
        const config = agentConfigOf(userDataOf(five));
        expect(config.bootstrap_expect).to.equal(5);
        expect(config.autopilot).to.deep.equal({ cleanup_dead_servers: true, min_quorum: 5 });
    });
});
