// bluegreen:ecs:ApiGateway under the mock runtime: the gateway tasks, their roles, and the public
// ALB in front of them, the stack's only internet-facing resource.
import { expect } from "chai";
import { ALB_SSL_POLICY, GATEWAY_TARGET_HEALTH_CHECK } from "../../src/ecs/apiGateway";
import { COLOUR_HEADER } from "../../src/shared/meshNames";
import { computedOutputs } from "../../src/offline/mocks";
import { containersOf, Plan } from "../support/harness";
import { examplePlan as meshPlan, plan as planMesh } from "../support/harness";
import { T } from "../support/typeTokens";
import { GATEWAY_TARGET_GROUP_ARN } from "../support/fakeArns";
import { AlbRequest, albAction, AlbRule } from "../support/albRules";

/** What each listener of the plan's ALB does with a request: "gateway", "redirect" or a status code. */
function edgeAnswers(plan: Plan, request: AlbRequest): Record<string, string> {
    const answers: Record<string, string> = {};
    for (const listener of plan.ofTypeUnder(T.listener, "api-gateway")) {
        const arn = computedOutputs(listener.type, listener.name, listener.inputs, "eu-west-1").arn;
        const rules = plan.ofTypeUnder(T.listenerRule, "api-gateway").filter((r) => r.inputs.listenerArn === arn);
        const action = albAction(listener.inputs.defaultActions as Record<string, unknown>[], rules.map((r) => r.inputs as unknown as AlbRule), request) as {
            type: string;
            fixedResponse?: { statusCode: string };
        };
        answers[listener.name] = action.type === "forward" ? "gateway" : action.type === "redirect" ? "redirect" : String(action.fixedResponse?.statusCode);
    }
    return answers;
}

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

    it("answers 403 to a colour header from the internet on the listener that forwards (HTTP in dev, HTTPS in prod), and serves the rest", () => {
        const internet = "198.51.100.7";
        const green: AlbRequest["headers"] = [[COLOUR_HEADER, "green"]];
        expect(edgeAnswers(dev, { sourceIp: internet, headers: green })).to.deep.equal({ "api-gateway-http": "403" });
        expect(edgeAnswers(dev, { sourceIp: internet, headers: [] })).to.deep.equal({ "api-gateway-http": "gateway" });
        expect(edgeAnswers(prod, { sourceIp: internet, headers: green })).to.deep.equal({ "api-gateway-https": "403", "api-gateway-http-redirect": "redirect" });
        expect(edgeAnswers(prod, { sourceIp: internet, headers: [] })).to.deep.equal({ "api-gateway-https": "gateway", "api-gateway-http-redirect": "redirect" });
        const refusal = prod.named("api-gateway-https-colour-header-refused", T.listenerRule);
        expect(refusal.inputs.actions).to.deep.equal([
            { type: "fixed-response", fixedResponse: { statusCode: "403", contentType: "text/plain", messageBody: "The x-bluegreen-color header is not accepted here.\n" } },
        ]);
        expect(prod.named("api-gateway-service", "aws:ecs/service:Service").dependsOn).to.include(refusal.urn);
    });

    it("lets the header through from bluegreen:gateway.previewCidrs only, to the gateway's target group", async () => {
        const preview = await planMesh("prod", (c) => ((c["bluegreen:gateway"] as Record<string, unknown>).previewCidrs = ["203.0.113.0/24"]));
        const green: AlbRequest["headers"] = [["X-Bluegreen-Color", "green"]];
        expect(edgeAnswers(preview, { sourceIp: "203.0.113.40", headers: green })["api-gateway-https"]).to.equal("gateway");
        expect(edgeAnswers(preview, { sourceIp: "203.0.114.40", headers: green })["api-gateway-https"]).to.equal("403");
        const allow = preview.named("api-gateway-https-colour-preview-1", T.listenerRule);
        expect(allow.inputs).to.deep.include({
            priority: 1,
            actions: [{ type: "forward", targetGroupArn: GATEWAY_TARGET_GROUP_ARN }],
        });
        expect(preview.ofTypeUnder(T.listenerRule, "api-gateway").map((r) => r.name)).to.have.members([
            "api-gateway-https-colour-preview-1",
            "api-gateway-https-colour-header-refused",
        ]);
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
