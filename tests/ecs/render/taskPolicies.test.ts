// The pure IAM policy documents: each role gets exactly what it uses.
import { expect } from "chai";
import { controllerTaskRolePolicy, discoversWithAwsApi, ecrRepositoryArn, executionRolePolicy, meshTaskRolePolicy, secretArn } from "../../../src/ecs/render/taskPolicies";
import { CA_ARN, DB_PASSWORD_ARN, DB_SECRET_ARN } from "../../support/fakeArns";

const ROLE = "arn:aws:iam::123456789012:role/consul-ecs/orders-blue-task-1234567";
const LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/bluegreen/dev";
const DNS_HOSTS = "consul-server.dev.bluegreen.internal";
const AWS_DISCOVER_HOSTS = "exec=discover -q addrs provider=aws region=eu-west-1 tag_key=bluegreen-consul-server tag_value=bluegreen-prod-dc1";

describe("IAM policy documents", () => {
    it("lets a mesh task role read only itself by default", () => {
        expect(meshTaskRolePolicy({ roleArn: ROLE, serverHosts: DNS_HOSTS, executeCommand: false })).to.deep.equal({
            Version: "2012-10-17",
            Statement: [{ Sid: "ReadOwnRoleForConsulLogin", Effect: "Allow", Action: ["iam:GetRole"], Resource: ROLE }],
        });
    });

    it("adds ec2:DescribeInstances only for cloud auto-join, and the SSM channels only for ECS Exec", () => {
        const discover = meshTaskRolePolicy({ roleArn: ROLE, serverHosts: AWS_DISCOVER_HOSTS, executeCommand: false });
        expect(discover.Statement.map((s) => s.Action)).to.deep.equal([["iam:GetRole"], ["ec2:DescribeInstances"]]);
        const exec = meshTaskRolePolicy({ roleArn: ROLE, serverHosts: DNS_HOSTS, executeCommand: true });
        expect(exec.Statement[1].Action).to.deep.equal([
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ]);
    });

    it("lets an execution role read exactly the injected secrets (JSON-key suffix stripped), decrypt with the stack key and write logs", () => {
        const kms = "arn:aws:kms:eu-west-1:123456789012:key/abcd";
        const doc = executionRolePolicy({ secretValueFroms: [CA_ARN, DB_PASSWORD_ARN, CA_ARN], kmsKeyArn: kms, logGroupArn: LOG_GROUP, images: ["nicholasjackson/fake-service:v0.26.2"] });
        expect(doc.Statement).to.deep.equal([
            {
                Sid: "ReadInjectedSecrets",
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue"],
                Resource: [CA_ARN, DB_SECRET_ARN],
            },
            { Sid: "DecryptInjectedSecrets", Effect: "Allow", Action: ["kms:Decrypt"], Resource: kms },
            { Sid: "WriteContainerLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${LOG_GROUP}:log-stream:*` },
        ]);
    });

    it("grants no kms:Decrypt without a customer key, and ECR pulls only on private repositories in use", () => {
        const image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/orders:1.4.2";
        const doc = executionRolePolicy({ secretValueFroms: [CA_ARN], logGroupArn: LOG_GROUP, images: [image, "hashicorp/consul-dataplane:2.0.1"] });
        expect(doc.Statement.map((s) => s.Sid)).to.deep.equal(["ReadInjectedSecrets", "WriteContainerLogs", "LogInToEcr", "PullPrivateImages"]);
        expect(doc.Statement[3].Resource).to.deep.equal(["arn:aws:ecr:eu-west-1:123456789012:repository/team/orders"]);
        expect(ecrRepositoryArn("public.ecr.aws/hashicorp/consul-ecs:0.10.0")).to.equal(undefined);
        expect(ecrRepositoryArn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:abc")).to.equal("arn:aws:ecr:eu-west-1:123456789012:repository/app");
    });

    it("lets the controller list and describe the tasks of its own cluster only", () => {
        const cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/ecs-cluster-1234567";
        expect(controllerTaskRolePolicy({ clusterArn: cluster, serverHosts: DNS_HOSTS }).Statement).to.deep.equal([
            {
                Sid: "ListTasksOfOwnCluster",
                Effect: "Allow",
                Action: ["ecs:ListTasks"],
                Resource: "*",
                Condition: { ArnEquals: { "ecs:cluster": cluster } },
            },
            {
                Sid: "DescribeTasksOfOwnCluster",
                Effect: "Allow",
                Action: ["ecs:DescribeTasks"],
                Resource: "arn:aws:ecs:eu-west-1:123456789012:task/ecs-cluster-1234567/*",
            },
        ]);
    });

    it("lets the controller call ec2:DescribeInstances when it finds the servers through go-discover's AWS provider", () => {
        const cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/ecs-cluster-1234567";
        const statements = controllerTaskRolePolicy({ clusterArn: cluster, serverHosts: AWS_DISCOVER_HOSTS }).Statement;
        expect(statements.map((s) => s.Sid)).to.deep.equal(["ListTasksOfOwnCluster", "DescribeTasksOfOwnCluster", "DiscoverConsulServers"]);
        expect(statements[2]).to.deep.include({ Action: ["ec2:DescribeInstances"], Resource: "*" });
    });

    it("recognises go-discover's AWS provider in consulServers.hosts, and nothing else", () => {
        expect(discoversWithAwsApi(AWS_DISCOVER_HOSTS)).to.equal(true);
        expect(discoversWithAwsApi("exec=/usr/local/bin/discover  addrs provider=aws tag_key=k tag_value=v")).to.equal(true);
        expect(discoversWithAwsApi(DNS_HOSTS)).to.equal(false);
        expect(discoversWithAwsApi("10.0.1.5")).to.equal(false);
        expect(discoversWithAwsApi("exec=discover -q addrs provider=gce tag_value=v")).to.equal(false);
        expect(discoversWithAwsApi("exec=/bin/echo provider=aws")).to.equal(false);
    });

    it("refuses a controller cluster that is not an ECS cluster ARN", () => {
        expect(() => controllerTaskRolePolicy({ clusterArn: "ecs-cluster", serverHosts: DNS_HOSTS })).to.throw(/not an ECS cluster ARN/);
    });

    it("refuses a valueFrom that is not a Secrets Manager ARN", () => {
        expect(() => secretArn("arn:aws:ssm:eu-west-1:123456789012:parameter/x")).to.throw(/not a Secrets Manager secret ARN/);
        expect(secretArn(CA_ARN)).to.equal(CA_ARN);
    });
});
