// The internal load balancer in front of the Consul servers (src/consul/apiLoadBalancer.ts), both modes.
import { expect } from "chai";
import { examplePlan, Plan } from "../support/harness";
import { T } from "../support/typeTokens";

describe("Consul API load balancer", () => {
    let dev: Plan;
    let prod: Plan;
    before(async () => {
        dev = await examplePlan("dev");
        prod = await examplePlan("prod");
    });

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
});
