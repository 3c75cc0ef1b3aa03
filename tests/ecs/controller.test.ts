// bluegreen:ecs:Controller under the mock runtime: its own narrow token, kept secret, and a
// read-only controller task allowed to watch its cluster's tasks only.
import { expect } from "chai";
import { MOCK_SECRET_MARKER } from "../../src/offline/mocks";
import { SECRET_PLACEHOLDER } from "../../src/offline/planRecords";
import { CONTROLLER_POLICY_RULES } from "../../src/ecs/controller";
import { containersOf, Plan } from "../support/harness";
import { examplePlan as meshPlan } from "../support/harness";
import { T } from "../support/typeTokens";
import { CONTROLLER_TOKEN_SECRET_ARN, DEV_CA_CERT_SECRET_ARN, SECRETS_KMS_KEY_ARN } from "../support/fakeArns";

describe("Controller", () => {
    let dev: Plan;
    before(async () => {
        dev = await meshPlan("dev");
    });

    it("writes an ACL policy granting acl write, node write and the reads the controller makes, and a token with it, only after the servers are ready", () => {
        // acl and node write (docs/platform-facts.md#the-controller); service read so the node's services of stopped tasks
        // are visible to deregister; agent read for the controller's GET /v1/agent/self at startup.
        expect(CONTROLLER_POLICY_RULES).to.equal(
            'acl = "write"\n\nnode_prefix "" {\n  policy = "write"\n}\n\nservice_prefix "" {\n  policy = "read"\n}\n\nagent_prefix "" {\n  policy = "read"\n}\n',
        );
        const policy = dev.named("consul-ecs-controller-policy", T.aclPolicy);
        expect(policy.inputs).to.deep.include({ name: "dev-consul-ecs-controller", rules: CONTROLLER_POLICY_RULES });
        const token = dev.named("consul-ecs-controller-token", T.aclToken);
        expect(token.inputs).to.deep.include({ policies: ["dev-consul-ecs-controller"], local: false });
        const ready = dev.named("consul-ready").urn;
        expect(policy.dependsOn).to.include(ready);
        expect(token.dependsOn).to.include(ready);
    });

    it("carries its type token from src/ecs/ and keeps the old one (bluegreen:consul:Controller) as an alias, so a deployed controller is not replaced", () => {
        const component = dev.named("consul-ecs-controller", T.controllerComponent);
        expect(component.aliases).to.deep.equal([{ type: "bluegreen:consul:Controller" }]);
        // Its children keep their names and parent; Pulumi carries the parent's alias down to them.
        expect(dev.named("consul-ecs-controller-token", T.aclToken).parent).to.equal(component.urn);
        // No other component of this program has an alias: nothing else moved.
        expect(dev.resources.filter((r) => r.type.startsWith("bluegreen:") && r.aliases !== undefined).map((r) => r.name)).to.deep.equal(["consul-ecs-controller"]);
    });

    it("keeps the token's secret ID as a Pulumi secret in Secrets Manager, encrypted with the stack key", () => {
        const secret = dev.named("consul-ecs-controller-token", T.secret);
        expect(secret.inputs.kmsKeyId).to.equal(SECRETS_KMS_KEY_ARN);
        const version = dev.named("consul-ecs-controller-token", T.secretVersion);
        expect(version.inputs.secretString).to.equal(SECRET_PLACEHOLDER);
        expect(version.secretInputs).to.include("secretString");
        const leaks = dev.resources.filter((r) => JSON.stringify(r.inputs).includes(MOCK_SECRET_MARKER)).map((r) => `${r.type} ${r.name}`);
        expect(leaks).to.deep.equal([]);
    });

    it("runs consul-ecs controller read-only with its token and the CA injected from Secrets Manager", () => {
        const td = dev.named("consul-ecs-controller-taskdef", T.td);
        expect(td.inputs).to.deep.include({ family: "dev-consul-ecs-controller", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"] });
        const [container] = containersOf(td);
        expect(container).to.deep.include({ name: "consul-ecs-controller", command: ["controller"], readonlyRootFilesystem: true, essential: true });
        expect(container.secrets?.map((s) => s.name)).to.deep.equal(["CONSUL_HTTP_TOKEN", "CONSUL_HTTPS_CACERT_PEM", "CONSUL_GRPC_CACERT_PEM"]);
        const tokenArn = CONTROLLER_TOKEN_SECRET_ARN;
        expect(container.secrets?.[0].valueFrom).to.equal(tokenArn);
        expect(container.environment?.map((e) => e.name)).to.deep.equal(["CONSUL_ECS_CONFIG_JSON"]);
    });

    it("lets its task role list and describe the tasks of its own cluster only, and its execution role read exactly its secrets", () => {
        const role = dev.named("consul-ecs-controller-task", T.role);
        expect(role.inputs.path).to.equal("/");
        const taskPolicy = JSON.parse(dev.named("consul-ecs-controller-task", T.rolePolicy).inputs.policy as string);
        expect(taskPolicy.Statement).to.deep.equal([
            {
                Sid: "ListTasksOfOwnCluster",
                Effect: "Allow",
                Action: ["ecs:ListTasks"],
                Resource: "*",
                Condition: { ArnEquals: { "ecs:cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/ecs-cluster-mock" } },
            },
            {
                Sid: "DescribeTasksOfOwnCluster",
                Effect: "Allow",
                Action: ["ecs:DescribeTasks"],
                Resource: "arn:aws:ecs:eu-west-1:123456789012:task/ecs-cluster-mock/*",
            },
        ]);
        const executionPolicy = JSON.parse(dev.named("consul-ecs-controller-execution", T.rolePolicy).inputs.policy as string);
        expect(executionPolicy.Statement[0].Resource).to.deep.equal([
            CONTROLLER_TOKEN_SECRET_ARN,
            DEV_CA_CERT_SECRET_ARN,
        ]);
    });

    it("runs one task in the private subnets with the controller's group, after its token is stored", () => {
        const service = dev.named("consul-ecs-controller-service", T.service);
        expect(service.inputs).to.deep.include({
            name: "consul-ecs-controller",
            desiredCount: 1,
            launchType: "FARGATE",
            propagateTags: "TASK_DEFINITION",
            deploymentCircuitBreaker: { enable: true, rollback: true },
        });
        expect(service.inputs.networkConfiguration).to.deep.equal({ subnets: ["subnet-0a011", "subnet-0a111"], securityGroups: ["sg-controller-id"], assignPublicIp: false });
        expect(service.dependsOn).to.include.members([
            dev.named("consul-ready").urn,
            dev.named("consul-ecs-controller-token", T.secretVersion).urn,
        ]);
    });
});
