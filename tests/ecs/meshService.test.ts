// bluegreen:ecs:MeshService under the mock runtime: per colour, the roles, task definition and ECS
// service with their tags and settings, and the independence of blue and green.
import { expect } from "chai";
import { containersOf, Plan, services } from "../support/harness";
import { diffOfflinePlans } from "../../src/offline/planDiff";
import { examplePlan as meshPlan, plan as planMesh } from "../support/harness";
import { T } from "../support/typeTokens";
import { DB_SECRET_ARN, DEV_CA_CERT_SECRET_ARN, DEV_LOG_STREAMS_ARN, ORDERS_GREEN_TASK_ROLE_ARN, SECRETS_KMS_KEY_ARN } from "../support/fakeArns";


function policyOf(plan: Plan, name: string) {
    return JSON.parse(plan.named(name, T.rolePolicy).inputs.policy as string) as { Statement: { Sid: string; Action: string[]; Resource: unknown }[] };
}

describe("MeshService", () => {
    let dev: Plan;
    let prod: Plan;
    before(async () => {
        dev = await meshPlan("dev");
        prod = await meshPlan("prod");
    });

    it("creates, for each colour with an image, two roles, a task definition and an ECS service under the component", () => {
        const component = dev.named("orders", T.meshServiceComponent);
        const children = dev.childrenOf(component).map((r) => `${r.type} ${r.name}`).sort();
        const perColour = (c: string) => [
            `${T.rolePolicy} orders-${c}-execution`,
            `${T.rolePolicy} orders-${c}-task`,
            `${T.role} orders-${c}-execution`,
            `${T.role} orders-${c}-task`,
            `${T.service} orders-${c}-service`,
            `${T.td} orders-${c}-taskdef`,
        ];
        expect(children).to.deep.equal([...perColour("blue"), ...perColour("green")].sort());
    });

    it("gives each colour a task role under /consul-ecs/ tagged with the Consul service name, trusted by ECS tasks only", () => {
        for (const colour of ["blue", "green"]) {
            const role = dev.named(`orders-${colour}-task`, T.role);
            expect(role.inputs.path).to.equal("/consul-ecs/");
            expect(role.inputs.tags).to.deep.equal({
                "consul.hashicorp.com.service-name": "orders",
                "bluegreen:service": "orders",
                "bluegreen:colour": colour,
                "bluegreen:stack": "dev",
                "bluegreen:project": "bluegreen",
            });
            expect(JSON.parse(role.inputs.assumeRolePolicy as string)).to.deep.equal({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
            });
            expect(dev.named(`orders-${colour}-execution`, T.role).inputs.path).to.equal("/");
        }
    });

    it("lets a task role read only itself, plus ec2:DescribeInstances where the servers are found by cloud auto-join", () => {
        expect(policyOf(dev, "orders-blue-task").Statement).to.deep.equal([
            { Sid: "ReadOwnRoleForConsulLogin", Effect: "Allow", Action: ["iam:GetRole"], Resource: "arn:aws:iam::123456789012:role/consul-ecs/orders-blue-task-mock" },
        ]);
        expect(policyOf(prod, "orders-green-task").Statement.map((s) => [s.Action, s.Resource])).to.deep.equal([
            [["iam:GetRole"], ORDERS_GREEN_TASK_ROLE_ARN],
            [["ec2:DescribeInstances"], "*"],
        ]);
    });

    it("lets an execution role read exactly the CA secret, decrypt with the stack key and write to the stack's log group", () => {
        expect(policyOf(dev, "inventory-blue-execution").Statement).to.deep.equal([
            { Sid: "ReadInjectedSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [DEV_CA_CERT_SECRET_ARN] },
            { Sid: "DecryptInjectedSecrets", Effect: "Allow", Action: ["kms:Decrypt"], Resource: SECRETS_KMS_KEY_ARN },
            {
                Sid: "WriteContainerLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: DEV_LOG_STREAMS_ARN,
            },
        ]);
    });

    it("registers a task definition per colour: family, Fargate, awsvpc, the colour's roles, mesh and bluegreen tags", () => {
        const td = prod.named("orders-green-taskdef", T.td);
        expect(td.inputs).to.deep.include({
            family: "prod-orders-green",
            networkMode: "awsvpc",
            requiresCompatibilities: ["FARGATE"],
            cpu: "512",
            memory: "1024",
            taskRoleArn: ORDERS_GREEN_TASK_ROLE_ARN,
            executionRoleArn: "arn:aws:iam::123456789012:role/orders-green-execution-mock",
            volumes: [{ name: "consul_data" }, { name: "consul_binary" }],
        });
        expect(td.inputs.tags).to.deep.equal({
            "consul.hashicorp.com/mesh": "true",
            "consul.hashicorp.com/service-name": "orders",
            "bluegreen:service": "orders",
            "bluegreen:colour": "green",
            "bluegreen:stack": "prod",
            "bluegreen:project": "bluegreen",
        });
        expect(containersOf(td).map((c) => c.name)).to.deep.equal(["orders", "consul-ecs-mesh-init", "consul-dataplane", "consul-ecs-health-sync"]);
    });

    it("runs each colour as an ECS service: private subnets, no public IP, mesh group, tag propagation, circuit breaker with rollback", () => {
        for (const [plan, count, subnets] of [
            [dev, 1, 2],
            [prod, 2, 3],
        ] as const) {
            const service = plan.named("orders-blue-service", T.service);
            expect(service.inputs).to.deep.include({
                name: "orders-blue",
                desiredCount: count,
                launchType: "FARGATE",
                propagateTags: "TASK_DEFINITION",
                deploymentCircuitBreaker: { enable: true, rollback: true },
                enableExecuteCommand: false,
                taskDefinition: "arn:aws:ecs:eu-west-1:123456789012:taskdefinition/orders-blue-taskdef-mock",
            });
            const network = service.inputs.networkConfiguration as { subnets: string[]; securityGroups: string[]; assignPublicIp: boolean };
            expect(network.assignPublicIp).to.equal(false);
            expect(network.securityGroups).to.deep.equal(["sg-meshTasks-id"]);
            expect(network.subnets).to.have.length(subnets).and.to.satisfy((ids: string[]) => ids.every((id) => id.startsWith("subnet-0a")));
            expect(service.inputs.tags).to.deep.include({ "bluegreen:service": "orders", "bluegreen:colour": "blue" });
        }
    });

    it("starts the ECS services after the servers are ready, the controller exists and the roles have their policies", () => {
        const dependsOn = dev.named("orders-green-service", T.service).dependsOn;
        expect(dependsOn).to.include(dev.named("consul-ready").urn);
        expect(dependsOn).to.include(dev.named("consul-ecs-controller-service", T.service).urn);
        expect(dependsOn).to.include.members([dev.named("orders-green-task", T.rolePolicy).urn, dev.named("orders-green-execution", T.rolePolicy).urn]);
    });

    describe("with settings the example stacks do not use", () => {
        const secret = DB_SECRET_ARN;
        const greenOnly = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/green-key-Qw12Er";
        let edited: Plan;
        before(async () => {
            // One plan for several independent edits: each touches a different service or colour.
            edited = await planMesh("dev", (c) => {
                services(c).orders.secrets = { DB_PASSWORD: `${secret}:password::` };
                services(c).orders.green.secrets = { API_KEY: greenOnly };
                services(c).orders.green.count = 0;
                services(c).inventory.enableExecuteCommand = true;
                services(c).inventory.green = { count: 0 };
            });
        });

        it("hands app secrets to the app as ECS secrets, and the execution role may read exactly those", () => {
            const app = containersOf(edited.named("orders-green-taskdef", T.td))[0];
            expect(app.secrets).to.deep.equal([
                { name: "API_KEY", valueFrom: greenOnly },
                { name: "DB_PASSWORD", valueFrom: `${secret}:password::` },
            ]);
            expect(app.environment?.map((e) => e.name)).to.deep.equal(["MESSAGE", "NAME", "UPSTREAM_URIS"]);
            expect(policyOf(edited, "orders-green-execution").Statement[0].Resource).to.deep.equal([DEV_CA_CERT_SECRET_ARN, secret, greenOnly]);
            expect(policyOf(edited, "orders-blue-execution").Statement[0].Resource).to.deep.equal([DEV_CA_CERT_SECRET_ARN, secret]);
        });

        it("turns ECS Exec on per service, with the SSM channels on its task roles only", () => {
            expect(edited.named("inventory-blue-service", T.service).inputs.enableExecuteCommand).to.equal(true);
            expect(policyOf(edited, "inventory-blue-task").Statement.map((s) => s.Sid)).to.deep.equal(["ReadOwnRoleForConsulLogin", "EcsExec"]);
            expect(edited.named("orders-blue-service", T.service).inputs.enableExecuteCommand).to.equal(false);
            expect(policyOf(edited, "orders-blue-task").Statement.map((s) => s.Sid)).to.deep.equal(["ReadOwnRoleForConsulLogin"]);
        });

        it("runs nothing for a colour without an image, and keeps a colour at count 0 ready to scale", () => {
            expect(edited.resources.filter((r) => r.name.startsWith("inventory-green-"))).to.be.empty;
            expect(edited.named("orders-green-service", T.service).inputs.desiredCount).to.equal(0);
            expect(edited.named("orders-green-taskdef", T.td).inputs.family).to.equal("dev-orders-green");
        });
    });

    it("refuses, naming the setting, a service it cannot turn into a task", async () => {
        let error: unknown;
        try {
            await planMesh("dev", (c) => (services(c).orders.healthCheck = { path: "/health'; reboot; '" }));
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.include("bluegreen:services.orders.healthCheck.path");
    });

    describe("blue/green independence", () => {
        const blueResources = (p: Plan) => p.resources.filter((r) => /^(orders|inventory)-blue-/.test(r.name));

        it("leaves every blue resource's inputs identical when green's image changes", async () => {
            const after = await planMesh("dev", (c) => (services(c).orders.green.image = "nicholasjackson/fake-service:v0.26.3"));
            const changes = diffOfflinePlans(dev.result, after.result);
            const blueUrns = new Set(blueResources(dev).map((r) => r.urn));
            expect(blueUrns.size).to.equal(12);
            expect(changes.map((c) => `${c.kind} ${c.urn}`)).to.deep.equal([`changed ${after.named("orders-green-taskdef", T.td).urn}`]);
            for (const resource of blueResources(after)) {
                expect(JSON.stringify(resource.inputs), resource.name).to.equal(JSON.stringify(dev.named(resource.name, resource.type).inputs));
            }
        });

        it("changes only green's ECS service when green's count changes (and the Release, which records the gate green must pass)", async () => {
            const after = await planMesh("prod", (c) => (services(c).orders.green.count = 5));
            const changes = diffOfflinePlans(prod.result, after.result);
            // The Release carries each colour's required passing instances (its count unless gate.minHealthy);
            // with no traffic change its update starts no rollout.
            expect(changes.map((c) => `${c.kind} ${c.urn}`)).to.deep.equal([
                `changed ${after.named("orders-green-service", T.service).urn}`,
                `changed ${after.named("rollout-release").urn}`,
            ]);
        });
    });
});
