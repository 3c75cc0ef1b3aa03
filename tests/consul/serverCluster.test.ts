// The Consul server cluster as the real program registers it for each example stack (ha in prod, dev
// in dev): server count and spread, launch template, the rendered agent config, IAM statements,
// security groups, secrets, the API access path, and a scan of every input for secret material.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { computedOutputs, MOCK_SECRET_MARKER } from "../../src/offline/mocks";
import { RegisteredResource } from "../../src/offline/planRecords";
import { gossipKeyFromSeed, uuidFromSeed } from "../../src/consul/secrets";
import { PolicyDocument, PolicyStatement } from "../../src/iam/policyDocument";
import { GROUPS, securityGroupRules } from "../../src/net/render/securityGroupRules";
import { containersOf, examplePlan, plan, Plan, ROOT } from "../support/harness";
import { T } from "../support/typeTokens";
import { DEV_LOG_STREAMS_ARN, SECRETS_KMS_KEY_ARN } from "../support/fakeArns";

const REGION = "eu-west-1";

function policy(resource: RegisteredResource, key = "policy"): PolicyDocument {
    return JSON.parse(resource.inputs[key] as string) as PolicyDocument;
}

function actions(statement: PolicyStatement): string[] {
    return statement.Action === undefined ? [] : ([] as string[]).concat(statement.Action);
}

function userDataOf(p: Plan): string {
    return Buffer.from(p.named("consul-server", T.lt).inputs.userData as string, "base64").toString("utf8");
}

function agentConfigOf(userData: string): Record<string, unknown> {
    const match = /<<'CONSUL_CONFIG'\n([\s\S]*?)\nCONSUL_CONFIG\n/.exec(userData);
    expect(match, "agent config heredoc in user data").to.not.equal(null);
    return JSON.parse(match![1]);
}

function containerOf(p: Plan): Record<string, unknown> & { environment: { name: string; value: string }[]; secrets: { name: string; valueFrom: string }[] } {
    const td = p.named("consul-server", T.td);
    const defs = containersOf(td) as unknown as ReturnType<typeof containerOf>[];
    expect(defs).to.have.length(1);
    return defs[0];
}

/** ARNs of the Secrets Manager secrets, by item name (ca-cert, server-key, ...). */
function secretArns(p: Plan): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of p.ofTypeUnder(T.secret, "consul")) {
        const name = s.inputs.name as string;
        out[name.slice(name.lastIndexOf("/") + 1)] = computedOutputs(s.type, s.name, s.inputs, REGION).arn as string;
    }
    return out;
}

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

    describe("ha (prod)", () => {
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

        it("keeps a server's data volume for that server's life, and the docs say so and what a replacement costs", () => {
            // Deliberate: instance refresh and health replacement launch new instances with new volumes,
            // so a kept volume would only be orphaned; Raft on the other servers and S3 snapshots hold the data.
            const lt = prod.named("consul-server", "aws:ec2/launchTemplate:LaunchTemplate");
            const data = (lt.inputs.blockDeviceMappings as { deviceName: string; ebs: Record<string, string> }[]).find((d) => d.deviceName === "/dev/sdf")!;
            expect(data.ebs.deleteOnTermination).to.equal("true");
            const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
            const dataRow = readme.split("\n").find((line) => line.startsWith("| data |"))!;
            expect(dataRow).to.include("deleted with its server").and.to.include("rejoins empty");
            const runbook = fs.readFileSync(path.join(ROOT, "docs", "runbooks.md"), "utf8").replace(/\s+/g, " ");
            expect(runbook).to.include("A replacement server starts with an empty data volume");
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
            const arns = secretArns(prod);
            const fetched = new Set([...userData.matchAll(/'(arn:aws:secretsmanager:[^']+)'/g)].map((m) => m[1]));
            expect(fetched).to.deep.equal(new Set([arns["ca-cert"], arns["server-cert"], arns["server-key"], arns["gossip-key"], arns["management-token"], arns["agent-token"]]));
            expect(userData).to.include("'s3://consul-snapshots-mock/snapshots/dc1/'");
            expect(userData).to.include("CONSUL_VERSION='2.0.1'");
        });

        it("gives the instance role exactly auto-join, its secrets, its snapshot prefix and Session Manager", () => {
            const arns = secretArns(prod);
            const doc = policy(prod.named("consul-server", T.rolePolicy));
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
            expect(policy(role, "assumeRolePolicy").Statement).to.deep.equal([
                { Sid: "AssumedByService", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
            ]);
        });

        it("keeps snapshots in a private, versioned, KMS-encrypted bucket with a lifecycle rule", () => {
            expect(prod.named("consul-snapshots", T.bucketVersioning).inputs.versioningConfiguration).to.deep.equal({ status: "Enabled" });
            expect(prod.named("consul-snapshots", T.bucketPublicAccess).inputs).to.include({
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            const sse = prod.named("consul-snapshots", T.bucketEncryption);
            expect(sse.inputs.rules).to.deep.equal([
                { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: SECRETS_KMS_KEY_ARN }, bucketKeyEnabled: true },
            ]);
            const lifecycle = prod.named("consul-snapshots", T.bucketLifecycle);
            expect(lifecycle.inputs.rules).to.deep.equal([
                {
                    id: "expire-snapshots",
                    status: "Enabled",
                    filter: { prefix: "snapshots/dc1/" },
                    expiration: { days: 30 },
                    noncurrentVersionExpiration: { noncurrentDays: 30 },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ]);
            const bucketPolicy = policy(prod.named("consul-snapshots", T.bucketPolicy));
            expect(bucketPolicy.Statement).to.have.length(1);
            expect(bucketPolicy.Statement[0]).to.deep.include({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
            expect(prod.named("consul-snapshots", T.bucketOwnership).inputs.rule).to.deep.equal({ objectOwnership: "BucketOwnerEnforced" });
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

    describe("dev", () => {
        it("runs one server on Fargate, found by a Cloud Map name, labelled non-production", () => {
            const service = dev.named("consul-server", T.service);
            expect(service.inputs).to.include({ desiredCount: 1, launchType: "FARGATE", deploymentMinimumHealthyPercent: 0, deploymentMaximumPercent: 100, enableExecuteCommand: true });
            expect(service.inputs.networkConfiguration).to.deep.equal({ assignPublicIp: false, securityGroups: ["sg-servers-id"], subnets: dev.result.outputs.privateSubnetIds });
            expect(service.inputs.loadBalancers).to.deep.equal([
                { containerName: "consul-server", containerPort: 8501, targetGroupArn: computedOutputs(T.tg, "consul-api", {}, REGION).arn },
            ]);
            const discovery = dev.named("consul-server", T.cloudMapService);
            expect(discovery.inputs.name).to.equal("consul-server");
            expect(discovery.inputs.description).to.match(/NON-PRODUCTION/);
            // A destroy must not stop at instances ECS has not deregistered yet.
            expect(discovery.inputs.forceDestroy).to.equal(true);
            expect(dev.named("consul-dns", T.dnsNamespace).inputs.name).to.equal("dev.bluegreen.internal");
            expect(dev.named("consul-server", T.td).inputs.tags).to.have.property("bluegreen:purpose").that.matches(/NON-PRODUCTION/);
            expect(dev.ofType(T.asg)).to.be.empty;
            expect(dev.ofType(T.bucket)).to.be.empty;
            expect(prod.ofTypeUnder(T.service, "consul")).to.be.empty;
        });

        it("has TLS and ACLs on like ha, and every secret injected from Secrets Manager", () => {
            const container = containerOf(dev);
            const config = JSON.parse(container.environment.find((e) => e.name === "BLUEGREEN_AGENT_CONFIG")!.value);
            expect(config).to.deep.include({ server: true, bootstrap: true, ports: { https: 8501, grpc_tls: 8503, http: -1 }, enable_central_service_config: true });
            expect(config.acl).to.deep.equal({ enabled: true, default_policy: "deny", down_policy: "extend-cache", enable_token_persistence: true });
            expect(config.tls.internal_rpc).to.deep.equal({ verify_incoming: true, verify_server_hostname: true });
            const arns = secretArns(dev);
            expect(container.secrets.map((s) => s.valueFrom)).to.deep.equal([arns["ca-cert"], arns["server-cert"], arns["server-key"], arns["gossip-key"], arns["management-token"], arns["agent-token"]]);
            // HashiCorp's ECR Public repository: no Docker Hub pull limits through the NAT gateways.
            expect(container.image).to.equal("public.ecr.aws/hashicorp/consul:2.0.1");
        });

        it("gives the task's roles only its secrets, its logs and the ECS Exec channels", () => {
            const arns = secretArns(dev);
            const execution = policy(dev.named("consul-server-execution", T.rolePolicy));
            expect(execution.Statement.map((s) => [s.Sid, actions(s)])).to.deep.equal([
                ["InjectOwnSecrets", ["secretsmanager:GetSecretValue"]],
                ["DecryptOwnSecrets", ["kms:Decrypt"]],
                ["WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"]],
            ]);
            expect(execution.Statement[0].Resource).to.deep.equal([arns["ca-cert"], arns["server-cert"], arns["server-key"], arns["gossip-key"], arns["management-token"], arns["agent-token"]]);
            expect(execution.Statement[2].Resource).to.equal(DEV_LOG_STREAMS_ARN);
            const task = policy(dev.named("consul-server-task", T.rolePolicy));
            expect(task.Statement.flatMap(actions)).to.deep.equal([
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ]);
        });

        it("tells mesh tasks the Cloud Map name, which the server certificate carries", () => {
            const consul = dev.result.outputs.consul as Record<string, string>;
            expect(consul.serverHosts).to.equal("consul-server.dev.bluegreen.internal");
            expect(consul.tlsServerName).to.equal("server.dc1.consul");
            expect(dev.named("consul-secrets-server-csr").inputs.dnsNames).to.include("consul-server.dev.bluegreen.internal");
        });
    });

    describe("both modes", () => {
        it("puts an internal NLB (TCP 8501) with the consulApiLb group in front of the servers", () => {
            for (const [p, targetType] of [[prod, "instance"], [dev, "ip"]] as const) {
                const lb = p.named("consul-api", T.lb);
                expect(lb.inputs).to.include({ loadBalancerType: "network", internal: true });
                expect(lb.inputs.securityGroups).to.deep.equal(["sg-consulApiLb-id"]);
                const tg = p.named("consul-api", T.tg);
                expect(tg.inputs).to.include({ port: 8501, protocol: "TCP", targetType, preserveClientIp: "false" });
                const listener = p.named("consul-api", T.listener);
                expect(listener.inputs).to.include({ port: 8501, protocol: "TCP" });
            }
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
            // The names the servers take all start with the policy's prefix.
            expect(userDataOf(prod)).to.include(`printf '{"node_name": "consul-server-%s"}\\n' "$instance_id" > /etc/consul.d/node.json`);
            expect(JSON.parse(containerOf(dev).environment.find((e) => e.name === "BLUEGREEN_AGENT_CONFIG")!.value).node_name).to.equal("consul-server-dev");
            // They boot with the SecretID read from Secrets Manager, never with the value in the plan.
            const arns = secretArns(prod);
            expect(userDataOf(prod)).to.include(`agent_token=$(retry secret_value '${arns["agent-token"]}')`).and.to.include('"agent": "%s"');
            expect(containerOf(dev).secrets.map((s) => s.name)).to.include("BLUEGREEN_AGENT_TOKEN");
        });

        it("stores seven KMS-encrypted secrets named after the stack, with a rotating key", () => {
            for (const [p, stack, window] of [[prod, "prod", 30], [dev, "dev", 0]] as const) {
                const secrets = p.ofTypeUnder(T.secret, "consul");
                expect(secrets.map((s) => s.inputs.name).sort()).to.deep.equal(
                    ["agent-token", "ca-cert", "ca-key", "gossip-key", "management-token", "server-cert", "server-key"].map((item) => `bluegreen/${stack}/consul/${item}`),
                );
                for (const s of secrets) {
                    expect(s.inputs.kmsKeyId).to.equal(SECRETS_KMS_KEY_ARN);
                    expect(s.inputs.recoveryWindowInDays).to.equal(window);
                }
                for (const v of p.ofTypeUnder(T.secretVersion, "consul")) {
                    expect(v.secretInputs).to.deep.equal(["secretString"]);
                }
                expect(p.named("consul-secrets-key", T.kmsKey).inputs.enableKeyRotation).to.equal(true);
            }
        });

        it("generates an ECDSA P-384 CA and a server certificate for every name clients use", () => {
            for (const p of [prod, dev]) {
                expect(p.named("consul-secrets-ca-key", T.privateKey).inputs).to.deep.equal({ algorithm: "ECDSA", ecdsaCurve: "P384" });
                expect(p.named("consul-secrets-ca-cert", T.selfSignedCert).inputs).to.include({ isCaCertificate: true });
                const csr = p.named("consul-secrets-server-csr", T.certRequest);
                expect(csr.inputs.dnsNames).to.include.members(["server.dc1.consul", "localhost", "consul-api-mock.eu-west-1.elb.amazonaws.com"]);
                expect(csr.inputs.ipAddresses).to.deep.equal(["127.0.0.1"]);
                const cert = p.named("consul-secrets-server-cert", T.locallySignedCert);
                expect(cert.inputs.allowedUses).to.include.members(["server_auth", "client_auth"]);
            }
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

        it("builds the program's Consul provider and readiness gate from the stack, secrets as secrets", () => {
            for (const p of [prod, dev]) {
                const provider = p.named("consul-consul", T.consulProvider);
                expect(provider.inputs).to.include({ address: "consul-api-mock.eu-west-1.elb.amazonaws.com:8501", scheme: "https", datacenter: "dc1", caPem: "[secret]", token: "[secret]" });
                const gate = p.named("consul-ready", T.readinessGate);
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
                const docs = [...p.ofType(T.rolePolicy).map((r) => policy(r)), ...p.ofType(T.role).map((r) => policy(r, "assumeRolePolicy"))];
                expect(docs).to.not.be.empty;
                for (const doc of docs) {
                    for (const statement of doc.Statement) {
                        expect(statement.Effect).to.equal("Allow");
                        for (const action of actions(statement)) {
                            expect(action, statement.Sid).to.not.include("*");
                        }
                    }
                }
            }
        });
    });
});

describe("Consul server cluster: destroy order", () => {
    it("makes the readiness gate depend on every security group rule, so Consul stays reachable until its config entries are gone", async () => {
        for (const stack of ["dev", "prod"] as const) {
            const p = await examplePlan(stack);
            const gate = p.named("consul-ready");
            const rules = p.resources.filter((r) => r.type.startsWith("aws:vpc/securityGroup"));
            expect(rules.length).to.be.greaterThan(30);
            expect(gate.dependsOn).to.include.members(rules.map((r) => r.urn));
        }
    });
});
