// policies/rules/consulPortsInsideVpc.ts: consul-ports-inside-vpc.
import { expect } from "chai";
import { mockId } from "../../../src/offline/mockOutputs";
import { consulPortsInsideVpc } from "../../../policies/rules/consulPortsInsideVpc";
import { edit, messages, openIngressRule, resource, safeStack, without } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

describe("policy consul-ports-inside-vpc", () => {
    it("accepts Consul ports reached from the VPC's own range and from security groups", async () => {
        expect(await messages(safeStack(), consulPortsInsideVpc)).to.deep.equal([]);
    });

    it("rejects a Consul port open to the internet or to a range outside the VPC", async () => {
        expect(await messages(openIngressRule("sg-servers-in-tcp8500-anywhere", "servers", 8500), consulPortsInsideVpc)).to.deep.equal([
            'consul-ports-inside-vpc: aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule "sg-servers-in-tcp8500-anywhere" admits 0.0.0.0/0 on tcp port 8500, a Consul port, from outside the VPC (10.50.0.0/16); allow only the mesh\'s security groups',
        ]);
        expect((await messages(openIngressRule("office", "servers", 8501, "10.60.0.0/16"), consulPortsInsideVpc)).join()).to.include("admits 10.60.0.0/16 on tcp port 8501");
        const wide = [...safeStack(), resource(T.ingress, "wide", { securityGroupId: mockId("sg-servers"), cidrIpv4: "203.0.113.0/24", ipProtocol: "tcp", fromPort: 8000, toPort: 9000 })];
        expect((await messages(wide, consulPortsInsideVpc)).join()).to.include("tcp ports 8000-9000, a Consul port");
    });

    it("falls back to private ranges when the VPC is adopted, not declared", async () => {
        const adopted = without(openIngressRule("peer", "servers", 8301, "172.20.0.0/16"), "network-vpc");
        expect(await messages(adopted, consulPortsInsideVpc)).to.deep.equal([]);
        const publicPeer = without(openIngressRule("peer", "servers", 8301, "198.51.100.0/24"), "network-vpc");
        expect((await messages(publicPeer, consulPortsInsideVpc)).join()).to.include("private ranges, as the VPC is not in the stack");
    });

    it("rejects an internet-facing load balancer listening on a Consul port", async () => {
        const stack = edit(safeStack(), "consul-api-nlb", (i) => ({ ...i, internal: false }));
        const nlb = stack.find((r) => r.name === "consul-api-nlb")!;
        const listener = resource(T.listener, "consul-api-8501", { loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/consul-api-nlb", port: 8501, protocol: "TCP", defaultActions: [{ type: "forward" }] }, { dependsOn: [nlb] });
        expect(await messages([...stack, listener], consulPortsInsideVpc)).to.deep.equal(['consul-ports-inside-vpc: internet-facing aws:lb/loadBalancer:LoadBalancer "consul-api-nlb" listens on port 8501, a Consul port']);
    });
});
