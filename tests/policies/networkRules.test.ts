// The network rules: no-open-ingress, consul-ports-inside-vpc, no-public-ip and
// only-gateway-alb-internet-facing.
import { expect } from "chai";
import { mockId } from "../../cli/policy/policyArgs";
import { cidrWithin, isAnywhere } from "../../policies/rules/cidr";
import { consulPortsInsideVpc } from "../../policies/rules/consulPortsInsideVpc";
import { noOpenIngress } from "../../policies/rules/noOpenIngress";
import { noPublicIp } from "../../policies/rules/noPublicIp";
import { onlyGatewayAlbInternetFacing } from "../../policies/rules/onlyGatewayAlbInternetFacing";
import { edit, messages, resource, safeStack, without } from "../support/policyFixtures";
import { T } from "../support/typeTokens";

const openRule = (name: string, group: string, port: number, cidr = "0.0.0.0/0") => {
    const stack = safeStack();
    const sg = stack.find((r) => r.name === `sg-${group}`);
    return [...stack, resource(T.ingress, name, { securityGroupId: mockId(`sg-${group}`), cidrIpv4: cidr, ipProtocol: "tcp", fromPort: port, toPort: port }, { dependsOn: sg ? [sg] : [] })];
};

describe("CIDR arithmetic", () => {
    it("knows containment and the whole internet", () => {
        expect(cidrWithin("10.50.3.0/24", "10.50.0.0/16")).to.equal(true);
        expect(cidrWithin("10.51.0.0/24", "10.50.0.0/16")).to.equal(false);
        expect(cidrWithin("10.0.0.0/8", "10.50.0.0/16")).to.equal(false);
        expect(cidrWithin("0.0.0.0/0", "10.0.0.0/8")).to.equal(false);
        expect(isAnywhere("0.0.0.0/0") && isAnywhere("::/0")).to.equal(true);
        expect(isAnywhere("10.0.0.0/8")).to.equal(false);
    });
});

describe("policy no-open-ingress", () => {
    it("accepts the ALB's listener ports open to the internet, and egress to it", async () => {
        expect(await messages(safeStack(), noOpenIngress)).to.deep.equal([]);
    });

    it("rejects 0.0.0.0/0 on any other group, and on a port the ALB does not listen on", async () => {
        expect(await messages(openRule("sg-servers-in-tcp8500-anywhere", "servers", 8500), noOpenIngress)).to.deep.equal([
            'no-open-ingress: aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule "sg-servers-in-tcp8500-anywhere" admits 0.0.0.0/0 on tcp port 8500: its security group guards no internet-facing application load balancer; use a security group reference or a narrower CIDR',
        ]);
        expect((await messages(openRule("sg-alb-in-tcp22", "alb", 22), noOpenIngress)).join()).to.include("only the public ALB's listener ports (443, 80/tcp) may be open to the internet");
        expect((await messages(openRule("sg-gateway-v6", "gateway", 8443, "::/0"), noOpenIngress)).join()).to.include("admits ::/0 on tcp port 8443");
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

describe("policy consul-ports-inside-vpc", () => {
    it("accepts Consul ports reached from the VPC's own range and from security groups", async () => {
        expect(await messages(safeStack(), consulPortsInsideVpc)).to.deep.equal([]);
    });

    it("rejects a Consul port open to the internet or to a range outside the VPC", async () => {
        expect(await messages(openRule("sg-servers-in-tcp8500-anywhere", "servers", 8500), consulPortsInsideVpc)).to.deep.equal([
            'consul-ports-inside-vpc: aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule "sg-servers-in-tcp8500-anywhere" admits 0.0.0.0/0 on tcp port 8500, a Consul port, from outside the VPC (10.50.0.0/16); allow only the mesh\'s security groups',
        ]);
        expect((await messages(openRule("office", "servers", 8501, "10.60.0.0/16"), consulPortsInsideVpc)).join()).to.include("admits 10.60.0.0/16 on tcp port 8501");
        const wide = [...safeStack(), resource(T.ingress, "wide", { securityGroupId: mockId("sg-servers"), cidrIpv4: "203.0.113.0/24", ipProtocol: "tcp", fromPort: 8000, toPort: 9000 })];
        expect((await messages(wide, consulPortsInsideVpc)).join()).to.include("tcp ports 8000-9000, a Consul port");
    });

    it("falls back to private ranges when the VPC is adopted, not declared", async () => {
        const adopted = without(openRule("peer", "servers", 8301, "172.20.0.0/16"), "network-vpc");
        expect(await messages(adopted, consulPortsInsideVpc)).to.deep.equal([]);
        const publicPeer = without(openRule("peer", "servers", 8301, "198.51.100.0/24"), "network-vpc");
        expect((await messages(publicPeer, consulPortsInsideVpc)).join()).to.include("private ranges, as the VPC is not in the stack");
    });

    it("rejects an internet-facing load balancer listening on a Consul port", async () => {
        const stack = edit(safeStack(), "consul-api-nlb", (i) => ({ ...i, internal: false }));
        const nlb = stack.find((r) => r.name === "consul-api-nlb")!;
        const listener = resource(T.listener, "consul-api-8501", { loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/consul-api-nlb", port: 8501, protocol: "TCP", defaultActions: [{ type: "forward" }] }, { dependsOn: [nlb] });
        expect(await messages([...stack, listener], consulPortsInsideVpc)).to.deep.equal(['consul-ports-inside-vpc: internet-facing aws:lb/loadBalancer:LoadBalancer "consul-api-nlb" listens on port 8501, a Consul port']);
    });
});

describe("policy no-public-ip", () => {
    it("accepts tasks and servers without public IPs", async () => {
        expect(await messages(safeStack(), noPublicIp)).to.deep.equal([]);
    });

    it("rejects an ECS service that assigns public IPs, and a launch template that does", async () => {
        const stack = edit(safeStack(), "orders-blue", (i) => ({ ...i, networkConfiguration: { ...(i.networkConfiguration as object), assignPublicIp: true } }));
        expect(await messages(stack, noPublicIp)).to.deep.equal([
            "no-public-ip: ECS service assigns public IPs to its tasks (networkConfiguration.assignPublicIp = true); run tasks in private subnets with assignPublicIp = false",
        ]);
        const lt = edit(safeStack(), "consul-servers-lt", (i) => ({ ...i, networkInterfaces: [{ associatePublicIpAddress: "true" }] }));
        expect(await messages(lt, noPublicIp)).to.deep.equal(["no-public-ip: launch template gives instances a public IP (networkInterfaces[].associatePublicIpAddress = true)"]);
    });
});

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
