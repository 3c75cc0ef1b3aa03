// policies/rules/onlyGatewayAlbInternetFacing.ts: only-gateway-alb-internet-facing.
import { expect } from "chai";
import { mockId } from "../../../src/offline/mockOutputs";
import { onlyGatewayAlbInternetFacing } from "../../../policies/rules/onlyGatewayAlbInternetFacing";
import { edit, messages, resource, safeStack } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

describe("policy only-gateway-alb-internet-facing", () => {
    it("accepts the gateway's ALB as the one internet-facing load balancer", async () => {
        expect(await messages(safeStack(), onlyGatewayAlbInternetFacing)).to.deep.equal([]);
    });

    it("rejects an internet-facing network load balancer", async () => {
        const stack = edit(safeStack(), "consul-api-nlb", (i) => ({ ...i, internal: false }));
        expect(await messages(stack, onlyGatewayAlbInternetFacing)).to.deep.equal([
            'only-gateway-alb-internet-facing: aws:lb/loadBalancer:LoadBalancer "consul-api-nlb" is an internet-facing network load balancer; only the API gateway\'s ALB may face the internet: set internal = true',
            'only-gateway-alb-internet-facing: the stack has 2 internet-facing load balancers (aws:lb/loadBalancer:LoadBalancer "gateway-alb", aws:lb/loadBalancer:LoadBalancer "consul-api-nlb"); only the API gateway\'s ALB may face the internet',
        ]);
    });

    it("rejects an internet-facing ALB that forwards straight to a service", async () => {
        const stack = safeStack();
        const alb = resource(T.lb, "orders-alb", { loadBalancerType: "application", securityGroups: [mockId("sg-meshTasks")] });
        const tg = resource(T.tg, "orders-tg", { port: 9090, targetType: "ip" });
        const listener = resource(T.listener, "orders-http", { loadBalancerArn: "arn:orders-alb", port: 80, defaultActions: [{ type: "forward", targetGroupArn: "arn:orders-tg" }] }, { dependsOn: [alb, tg] });
        const found = await messages([...stack, alb, tg, listener], onlyGatewayAlbInternetFacing);
        expect(found[0]).to.equal(
            'only-gateway-alb-internet-facing: internet-facing aws:lb/loadBalancer:LoadBalancer "orders-alb" forwards to aws:lb/targetGroup:TargetGroup "orders-tg", which no API gateway service (container consul-dataplane) registers in; route through the API gateway instead',
        );
    });
});
