// The stack's whole security group table (docs/platform-facts.md#network), printed as rows and asserted row by
// row: who may reach whom, on which port and protocol. A flow added or widened anywhere fails here.
import { expect } from "chai";
import { Peer, SecurityGroupRule, securityGroupRules } from "../../src/net/render/securityGroupRules";
import { examplePlan } from "../support/harness";

function peerLabel(peer: Peer): string {
    return "group" in peer ? peer.group : "cidr" in peer ? peer.cidr : "vpc";
}

/** One row per rule: `from -> to proto/port`, the direction read off the rule. */
function table(rules: readonly SecurityGroupRule[]): string[] {
    return rules.map((r) =>
        r.direction === "ingress" ? `in  ${peerLabel(r.peer)} -> ${r.group} ${r.protocol}/${r.port}` : `out ${r.group} -> ${peerLabel(r.peer)} ${r.protocol}/${r.port}`,
    );
}

/** Each allowed flow between groups, as both of its halves. */
function flow(from: string, to: string, proto: string, port: number): string[] {
    return [`in  ${from} -> ${to} ${proto}/${port}`, `out ${from} -> ${to} ${proto}/${port}`];
}

const BETWEEN_GROUPS = [
    ...flow("meshTasks", "servers", "tcp", 8501),
    ...flow("meshTasks", "servers", "tcp", 8503),
    ...flow("gateway", "servers", "tcp", 8501),
    ...flow("gateway", "servers", "tcp", 8503),
    ...flow("controller", "servers", "tcp", 8501),
    ...flow("controller", "servers", "tcp", 8503),
    ...flow("servers", "servers", "tcp", 8300),
    ...flow("servers", "servers", "tcp", 8301),
    ...flow("servers", "servers", "udp", 8301),
    // Every server joins the WAN pool too, whether or not the datacenter is federated.
    ...flow("servers", "servers", "tcp", 8302),
    ...flow("servers", "servers", "udp", 8302),
    ...flow("meshTasks", "meshTasks", "tcp", 20000),
    ...flow("gateway", "meshTasks", "tcp", 20000),
    ...flow("alb", "gateway", "tcp", 8443),
    ...flow("consulApiLb", "servers", "tcp", 8501),
    // The SSM tunnel runs through a server to the internal API load balancer.
    ...flow("servers", "consulApiLb", "tcp", 8501),
    ...flow("rolloutEngine", "consulApiLb", "tcp", 8501),
];
const HTTPS_OUT = ["servers", "meshTasks", "gateway", "controller", "rolloutEngine"].map((g) => `out ${g} -> 0.0.0.0/0 tcp/443`);

describe("security group table", () => {
    it("is exactly this table with HTTPS on the ALB (443, and 80 to redirect)", () => {
        const rows = table(securityGroupRules({ ingressCidrs: ["0.0.0.0/0"], https: true }));
        expect([...rows].sort()).to.deep.equal(
            [...BETWEEN_GROUPS, "in  vpc -> consulApiLb tcp/8501", "in  0.0.0.0/0 -> alb tcp/443", "in  0.0.0.0/0 -> alb tcp/80", ...HTTPS_OUT].sort(),
        );
    });

    it("is exactly this table with HTTP only, one listener row per ingress CIDR", () => {
        const rows = table(securityGroupRules({ ingressCidrs: ["203.0.113.0/24", "198.51.100.7/32"], https: false }));
        expect([...rows].sort()).to.deep.equal(
            [...BETWEEN_GROUPS, "in  vpc -> consulApiLb tcp/8501", "in  203.0.113.0/24 -> alb tcp/80", "in  198.51.100.7/32 -> alb tcp/80", ...HTTPS_OUT].sort(),
        );
    });

    it("lets nothing but the ALB's listeners accept a CIDR other than the VPC's", () => {
        for (const https of [true, false]) {
            const rules = securityGroupRules({ ingressCidrs: ["0.0.0.0/0", "203.0.113.0/24"], https });
            const fromCidr = rules.filter((r) => r.direction === "ingress" && "cidr" in r.peer);
            expect(fromCidr).to.not.be.empty;
            for (const rule of fromCidr) {
                expect(rule.group).to.equal("alb");
                expect(https ? [443, 80] : [80]).to.include(rule.port);
            }
            const fromVpc = rules.filter((r) => r.direction === "ingress" && "vpcCidr" in r.peer);
            expect(fromVpc.map((r) => `${r.group} ${r.port}`)).to.deep.equal(["consulApiLb 8501"]);
        }
    });

    it("reaches the servers only on 8501/8503 from tasks, and mesh Envoys on 20000 only from mesh tasks and the gateway", () => {
        const rules = securityGroupRules({ ingressCidrs: ["0.0.0.0/0"], https: true });
        const into = (group: string) => rules.filter((r) => r.direction === "ingress" && r.group === group);
        const fromTasks = into("servers").filter((r) => "group" in r.peer && ["meshTasks", "gateway", "controller"].includes(r.peer.group));
        expect([...new Set(fromTasks.map((r) => r.port))].sort()).to.deep.equal([8501, 8503]);
        expect(into("meshTasks").map((r) => `${peerLabel(r.peer)} ${r.port}`)).to.deep.equal(["meshTasks 20000", "gateway 20000"]);
        expect(into("gateway").map((r) => `${peerLabel(r.peer)} ${r.port}`)).to.deep.equal(["alb 8443"]);
        expect(into("controller")).to.be.empty;
    });

    it("registers every row of the table as its own rule resource in both stacks", async () => {
        for (const [stack, https] of [
            ["dev", false],
            ["prod", true],
        ] as const) {
            const p = await examplePlan(stack);
            const registered = p.resources.filter((r) => r.type.startsWith("aws:vpc/securityGroup"));
            const rows = registered.map((r) => {
                const inputs = r.inputs as { ipProtocol: string; fromPort: number; toPort: number };
                expect(inputs.fromPort).to.equal(inputs.toPort);
                return `${r.type.includes("Ingress") ? "in" : "out"} ${inputs.ipProtocol}/${inputs.fromPort}`;
            });
            const expected = securityGroupRules({ ingressCidrs: ["0.0.0.0/0"], https }).map((r) => `${r.direction === "ingress" ? "in" : "out"} ${r.protocol}/${r.port}`);
            expect(rows.sort()).to.deep.equal(expected.sort());
        }
    });
});

describe("SecurityGroups in the example stacks", () => {
    it("registers one security group rule per row of the rule table", async () => {
        const dev = await examplePlan("dev");
        const prod = await examplePlan("prod");
        const expected = securityGroupRules({ ingressCidrs: ["0.0.0.0/0"], https: true }).length;
        const registered = prod.resources.filter((r) => r.type.startsWith("aws:vpc/securityGroup")).length;
        expect(registered).to.equal(expected);
        const devExpected = securityGroupRules({ ingressCidrs: ["0.0.0.0/0"], https: false }).length;
        expect(dev.resources.filter((r) => r.type.startsWith("aws:vpc/securityGroup")).length).to.equal(devExpected);
    });
});

