// bluegreen:ecs:ApiGateway under the mock runtime: the gateway tasks, their roles, and the public
// ALB in front of them, the stack's only internet-facing resource.
import { expect } from "chai";
import { ALB_SSL_POLICY, GATEWAY_TARGET_HEALTH_CHECK } from "../../src/ecs/apiGateway";
import { containersOf, Plan } from "../support/harness";
import { examplePlan as meshPlan, plan as planMesh } from "../support/harness";
import { T } from "../support/typeTokens";
import { GATEWAY_TARGET_GROUP_ARN } from "../support/fakeArns";


describe("ApiGateway", () => {
    let dev: Plan;
    let prod: Plan;
    before(async () => {
        dev = await meshPlan("dev");
        prod = await meshPlan("prod");
    });

    it("tags its task role with the gateway's Consul name and kind, under the auth method's path", () => {
        const role = prod.named("api-gateway-task", T.role);
        expect(role.inputs.path).to.equal("/consul-ecs/");
        expect(role.inputs.tags).to.deep.include({ "consul.hashicorp.com.service-name": "api-gateway", "consul.hashicorp.com.gateway-kind": "api-gateway" });
        const policy = JSON.parse(prod.named("api-gateway-task", T.rolePolicy).inputs.policy as string);
        expect(policy.Statement.map((s: { Action: string[] }) => s.Action)).to.deep.equal([["iam:GetRole"], ["ec2:DescribeInstances"]]);
    });

    it("runs a gateway task: mesh tags, no app, an essential dataplane listening on 8443", () => {
        const td = dev.named("api-gateway-taskdef", T.td);
        expect(td.inputs).to.deep.include({ family: "dev-api-gateway", cpu: "256", memory: "512" });
        expect(td.inputs.tags).to.deep.include({ "consul.hashicorp.com/mesh": "true", "consul.hashicorp.com/service-name": "api-gateway" });
        const containers = containersOf(td);
        expect(containers.map((c) => c.name)).to.deep.equal(["consul-ecs-mesh-init", "consul-dataplane", "consul-ecs-health-sync"]);
        expect(containers[1]).to.deep.include({ essential: true, portMappings: [{ containerPort: 8443, hostPort: 8443, protocol: "tcp" }] });
    });

    it("puts a public ALB in the public subnets, targeting container consul-dataplane on 8443 by IP", () => {
        const alb = prod.named("api-gateway-alb", T.lb);
        expect(alb.inputs).to.deep.include({ internal: false, loadBalancerType: "application", securityGroups: ["sg-alb-id"], dropInvalidHeaderFields: true });
        expect(alb.inputs.subnets).to.have.length(3).and.to.satisfy((ids: string[]) => ids.every((id) => id.startsWith("subnet-0b")));
        const tg = prod.named("api-gateway-tg", T.tg);
        expect(tg.inputs).to.deep.include({ port: 8443, protocol: "HTTP", targetType: "ip" });
        expect(tg.inputs.healthCheck).to.deep.equal({ enabled: true, ...GATEWAY_TARGET_HEALTH_CHECK });
        const service = prod.named("api-gateway-service", T.service);
        expect(service.inputs.loadBalancers).to.deep.equal([
            { targetGroupArn: GATEWAY_TARGET_GROUP_ARN, containerName: "consul-dataplane", containerPort: 8443 },
        ]);
    });

    it("terminates HTTPS with the stack's certificate and redirects HTTP when a certificate is given", () => {
        const listeners = prod.ofTypeUnder(T.listener, "api-gateway").map((l) => l.inputs);
        expect(listeners).to.have.length(2);
        expect(prod.named("api-gateway-https", T.listener).inputs).to.deep.include({
            port: 443,
            protocol: "HTTPS",
            sslPolicy: ALB_SSL_POLICY,
            certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000000",
            defaultActions: [{ type: "forward", targetGroupArn: GATEWAY_TARGET_GROUP_ARN }],
        });
        expect(prod.named("api-gateway-http-redirect", T.listener).inputs).to.deep.include({
            port: 80,
            protocol: "HTTP",
            defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
        });
    });

    it("serves plain HTTP only when no certificate is given", () => {
        const listeners = dev.ofTypeUnder(T.listener, "api-gateway");
        expect(listeners.map((l) => l.name)).to.deep.equal(["api-gateway-http"]);
        expect(listeners[0].inputs).to.deep.include({ port: 80, protocol: "HTTP" });
        expect((listeners[0].inputs.defaultActions as { type: string }[])[0].type).to.equal("forward");
    });

    it("runs the configured number of tasks (2 in prod) across the private subnets, after the listeners exist", () => {
        for (const [plan, count, subnets] of [
            [dev, 1, 2],
            [prod, 2, 3],
        ] as const) {
            const service = plan.named("api-gateway-service", T.service);
            expect(service.inputs).to.deep.include({
                name: "api-gateway",
                desiredCount: count,
                launchType: "FARGATE",
                propagateTags: "TASK_DEFINITION",
                enableEcsManagedTags: true,
                availabilityZoneRebalancing: "ENABLED",
                healthCheckGracePeriodSeconds: 60,
                deploymentCircuitBreaker: { enable: true, rollback: true },
            });
            const network = service.inputs.networkConfiguration as { subnets: string[]; securityGroups: string[]; assignPublicIp: boolean };
            expect(network).to.deep.include({ securityGroups: ["sg-gateway-id"], assignPublicIp: false });
            expect(network.subnets).to.have.length(subnets).and.to.satisfy((ids: string[]) => ids.every((id) => id.startsWith("subnet-0a")));
            for (const listener of plan.ofTypeUnder(T.listener, "api-gateway")) {
                expect(service.dependsOn).to.include(listener.urn);
            }
        }
    });

    it("is the only internet-facing thing: every other task runs without a public IP", () => {
        for (const plan of [dev, prod]) {
            const public_ = plan.ofType(T.lb).filter((lb) => lb.inputs.internal !== true);
            expect(public_.map((lb) => lb.name)).to.deep.equal(["api-gateway-alb"]);
            for (const service of plan.ofType(T.service)) {
                expect((service.inputs.networkConfiguration as { assignPublicIp: boolean }).assignPublicIp, service.name).to.equal(false);
            }
        }
    });

    it("is refused by config with a single gateway task in a highly available stack", async () => {
        let error: unknown;
        try {
            await planMesh("prod", (c) => ((c["bluegreen:gateway"] as { count: number }).count = 1));
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.match(/bluegreen:gateway.count: 1 gateway task in a stack with ha servers; one task is a single point of failure/);
    });
});
