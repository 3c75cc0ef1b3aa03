// policies/rules/noOpenIngress.ts: no-open-ingress.
import { expect } from "chai";
import { mockId } from "../../../src/offline/mockOutputs";
import { noOpenIngress } from "../../../policies/rules/noOpenIngress";
import { edit, messages, openIngressRule, resource, safeStack, without } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

describe("policy no-open-ingress", () => {
    it("accepts the ALB's listener ports open to the internet, and egress to it", async () => {
        expect(await messages(safeStack(), noOpenIngress)).to.deep.equal([]);
    });

    it("rejects 0.0.0.0/0 on any other group, and on a port the ALB does not listen on", async () => {
        expect(await messages(openIngressRule("sg-servers-in-tcp8500-anywhere", "servers", 8500), noOpenIngress)).to.deep.equal([
            'no-open-ingress: aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule "sg-servers-in-tcp8500-anywhere" admits 0.0.0.0/0 on tcp port 8500: its security group guards no internet-facing application load balancer; use a security group reference or a narrower CIDR',
        ]);
        expect((await messages(openIngressRule("sg-alb-in-tcp22", "alb", 22), noOpenIngress)).join()).to.include("only the public ALB's listener ports (443, 80/tcp) may be open to the internet");
        expect((await messages(openIngressRule("sg-gateway-v6", "gateway", 8443, "::/0"), noOpenIngress)).join()).to.include("admits ::/0 on tcp port 8443");
    });

    it("reads ec2 SecurityGroupRule resources and inline ingress blocks too", async () => {
        const legacy = [...safeStack(), resource(T.sgRule, "ssh", { type: "ingress", securityGroupId: mockId("sg-servers"), cidrBlocks: ["0.0.0.0/0"], protocol: "tcp", fromPort: 22, toPort: 22 })];
        expect((await messages(legacy, noOpenIngress)).join()).to.include('"ssh" admits 0.0.0.0/0 on tcp port 22');
        const inline = edit(safeStack(), "sg-meshTasks", (i) => ({ ...i, ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] }));
        expect((await messages(inline, noOpenIngress)).join()).to.include('"sg-meshTasks" admits 0.0.0.0/0 on all ports');
    });

    it("allows only 80 and 443 while the stack has no internet-facing load balancer yet", async () => {
        const noAlb = without(without(without(safeStack(), "gateway-alb"), "gateway-https"), "gateway-http");
        expect(await messages(noAlb, noOpenIngress)).to.deep.equal([]);
        const stray = [...noAlb, resource(T.ingress, "rdp", { securityGroupId: mockId("sg-alb"), cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 3389, toPort: 3389 })];
        expect((await messages(stray, noOpenIngress)).join()).to.include("only the public ALB's listener ports (80, 443/tcp)");
    });
});
