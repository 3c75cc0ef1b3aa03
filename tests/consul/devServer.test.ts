// The dev server (src/consul/devServer.ts) as the real program registers it for the dev stack: one
// Fargate task found by a Cloud Map name, TLS and ACLs on, its roles.
import { expect } from "chai";
import { computedOutputs } from "../../src/offline/mocks";
import { actionsOf, consulSecretArns, containersOf, examplePlan, Plan, policyDocumentOf } from "../support/harness";
import { T } from "../support/typeTokens";
import { DEV_LOG_STREAMS_ARN } from "../support/fakeArns";

const REGION = "eu-west-1";

function containerOf(p: Plan): Record<string, unknown> & { environment: { name: string; value: string }[]; secrets: { name: string; valueFrom: string }[] } {
    const td = p.named("consul-server", T.td);
    const defs = containersOf(td) as unknown as ReturnType<typeof containerOf>[];
    expect(defs).to.have.length(1);
    return defs[0];
}

describe("dev server", () => {
    let dev: Plan;
    let prod: Plan;
    before(async () => {
        dev = await examplePlan("dev");
        prod = await examplePlan("prod");
    });

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
        const arns = consulSecretArns(dev);
        expect(container.secrets.map((s) => s.valueFrom)).to.deep.equal([arns["ca-cert"], arns["server-cert"], arns["server-key"], arns["gossip-key"], arns["management-token"], arns["agent-token"]]);
        // HashiCorp's ECR Public repository: no Docker Hub pull limits through the NAT gateways.
        expect(container.image).to.equal("public.ecr.aws/hashicorp/consul:2.0.1");
        // Its node name starts with the agent policy's node prefix; the agent token comes from Secrets Manager.
        expect(JSON.parse(container.environment.find((e) => e.name === "BLUEGREEN_AGENT_CONFIG")!.value).node_name).to.equal("consul-server-dev");
        expect(container.secrets.map((s) => s.name)).to.include("BLUEGREEN_AGENT_TOKEN");
    });

    it("gives the task's roles only its secrets, its logs and the ECS Exec channels", () => {
        const arns = consulSecretArns(dev);
        const execution = policyDocumentOf(dev.named("consul-server-execution", T.rolePolicy));
        expect(execution.Statement.map((s) => [s.Sid, actionsOf(s)])).to.deep.equal([
            ["InjectOwnSecrets", ["secretsmanager:GetSecretValue"]],
            ["DecryptOwnSecrets", ["kms:Decrypt"]],
            ["WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"]],
        ]);
        expect(execution.Statement[0].Resource).to.deep.equal([arns["ca-cert"], arns["server-cert"], arns["server-key"], arns["gossip-key"], arns["management-token"], arns["agent-token"]]);
        expect(execution.Statement[2].Resource).to.equal(DEV_LOG_STREAMS_ARN);
        const task = policyDocumentOf(dev.named("consul-server-task", T.rolePolicy));
        expect(task.Statement.flatMap(actionsOf)).to.deep.equal([
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
