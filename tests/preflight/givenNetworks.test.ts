// Issue 18: the preflight judges a stack by what it allows and what it was given. The ALB is tested
// from every CIDR the stack lets in (not always 0.0.0.0/0), and a bring-your-own VPC's CIDR is read
// from the program's own read of that VPC. Both valid cases pass every step; the links they change
// still fail when broken.
import { expect } from "chai";
import { PlanIndex } from "../../src/preflight/planIndex";
import { runPreflight } from "../../src/preflight/preflight";
import { formatReport } from "../../src/preflight/report";
import { StackValues } from "../../src/offline/stackFile";
import { failedLinks, failedLinksOf, MutablePlan } from "../support/preflightFixtures";
import { plan, services } from "../support/harness";
import { T } from "../support/typeTokens";

const OWN_VPC = (stack: "dev" | "prod") => ({
    vpcId: "vpc-0abc",
    privateSubnetIds: stack === "prod" ? ["subnet-01", "subnet-02", "subnet-03"] : ["subnet-01", "subnet-02"],
    publicSubnetIds: ["subnet-11", "subnet-12"],
});
const CLIENTS = "203.0.113.0/24";

const planned = new Map<string, Promise<MutablePlan>>();

/** The records of a stack planned with `edit`, planned once per stack and edit, copied for each test. */
async function records(stack: "dev" | "prod", edit: (c: StackValues) => void): Promise<MutablePlan> {
    const key = `${stack} ${edit.toString()}`;
    let cached = planned.get(key);
    if (!cached) {
        cached = plan(stack, edit).then((p) => ({ stack, resources: p.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, inputs: r.inputs })), reads: p.result.reads }) as MutablePlan);
        planned.set(key, cached);
    }
    return structuredClone(await cached);
}

const restricted = (c: StackValues) => ((c["bluegreen:gateway"] as Record<string, unknown>).ingressCidrs = [CLIENTS]);
const ownVpcOf = { dev: (c: StackValues) => (c["bluegreen:network"] = OWN_VPC("dev")), prod: (c: StackValues) => (c["bluegreen:network"] = OWN_VPC("prod")) };
const ownVpc = (stack: "dev" | "prod") => ownVpcOf[stack];
const dropIngress = (p: MutablePlan, match: (inputs: Record<string, unknown>) => boolean) => {
    const before = p.resources.length;
    p.resources = p.resources.filter((r) => !(r.type === T.ingress && match(r.inputs)));
    expect(p.resources.length, "a rule was dropped").to.be.below(before);
};

describe("preflight: the networks a stack allows and is given", function () {
    this.timeout(120_000);

    it(`passes every step when the ALB lets in ${CLIENTS} only, testing from that CIDR on each listener`, async () => {
        const report = await runPreflight(await records("prod", restricted));
        expect(failedLinks(report), formatReport(report)).to.deep.equal([]);
        const internet = report.steps.filter((s) => s.step === "alb.internet");
        expect(internet.map((s) => s.passed)).to.deep.equal([true, true]);
        expect(internet.every((s) => s.detail.includes(`clients in ${CLIENTS}`))).to.equal(true);
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`passes every step of ${stack} with a VPC it was given, reading the VPC's CIDR from the program's read of it`, async () => {
            const p = await records(stack, ownVpc(stack));
            const report = await runPreflight(p);
            expect(failedLinks(report), formatReport(report)).to.deep.equal([]);
            expect(report.steps.filter((s) => s.step === "api.operator" && s.passed).length).to.be.above(0);
            // What the mocked EC2 answers for vpc-0abc (src/offline/mocks.ts).
            expect(new PlanIndex(p).vpcCidr()).to.equal("10.0.0.0/16");
        });
    }

    it("passes both valid cases together, and services that call each other", async () => {
        const report = await runPreflight(
            await records("prod", (c) => {
                restricted(c);
                ownVpc("prod")(c);
                services(c).inventory.upstreams = [{ service: "orders", localPort: 9002 }];
            }),
        );
        expect(failedLinks(report), formatReport(report)).to.deep.equal([]);
    });

    it("fails alb.internet when the allowed CIDR loses its rule on one listener port", async () => {
        const p = await records("prod", restricted);
        dropIngress(p, (i) => i.cidrIpv4 === CLIENTS && Number(i.fromPort) === 443);
        expect(await failedLinksOf(p)).to.deep.equal(["alb.internet sg-alb"]);
    });

    it("fails alb.internet when the ALB lets no CIDR in at all", async () => {
        const p = await records("dev", restricted);
        dropIngress(p, (i) => i.cidrIpv4 === CLIENTS);
        expect(await failedLinksOf(p)).to.deep.equal(["alb.internet sg-alb"]);
    });

    it("fails api.operator in a given VPC when the load balancer refuses the VPC's CIDR", async () => {
        const p = await records("prod", ownVpc("prod"));
        dropIngress(p, (i) => i.cidrIpv4 === "10.0.0.0/16" && Number(i.fromPort) === 8501);
        expect(await failedLinksOf(p)).to.deep.equal(["api.operator sg-consulApiLb"]);
    });

    it("does not take another VPC's read, nor guess a CIDR without one", async () => {
        const other = await records("prod", ownVpc("prod"));
        (other as { reads?: unknown }).reads = (other.reads ?? []).map((r) => (r.token === "aws:ec2/getVpc:getVpc" ? { ...r, inputs: { ...r.inputs, id: "vpc-0other" }, outputs: { ...r.outputs, id: "vpc-0other" } } : r));
        expect(await failedLinksOf(other)).to.include("api.operator sg-consulApiLb");
        const saved = await records("prod", ownVpc("prod"));
        delete (saved as { reads?: unknown }).reads;
        expect(await failedLinksOf(saved)).to.include("api.operator sg-consulApiLb");
    });
});
