// Network as the real program registers it for each example stack: a VPC shaped by the stack's
// network config, or an existing one adopted.
import { expect } from "chai";
import { examplePlan, plan, Plan } from "../support/harness";
import { T } from "../support/typeTokens";

describe("Network", () => {
    let dev: Plan;
    let prod: Plan;
    before(async () => {
        dev = await examplePlan("dev");
        prod = await examplePlan("prod");
    });

    it("creates an awsx VPC shaped by the stack's network config", () => {
        const devVpc = dev.named("network-vpc", T.vpc);
        expect(devVpc.inputs).to.include({ cidrBlock: "10.40.0.0/16", numberOfAvailabilityZones: 2 });
        expect(devVpc.inputs.natGateways).to.deep.equal({ strategy: "Single" });
        const prodVpc = prod.named("network-vpc", T.vpc);
        expect(prodVpc.inputs).to.include({ cidrBlock: "10.50.0.0/16", numberOfAvailabilityZones: 3 });
        expect(prodVpc.inputs.natGateways).to.deep.equal({ strategy: "OnePerAz" });
        expect(dev.parentOf(devVpc)?.type).to.equal(T.networkComponent);
    });

    it("adopts an existing VPC instead of creating one", async () => {
        const own = await plan("dev", (c) => {
            c["bluegreen:network"] = { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-01", "subnet-02"], publicSubnetIds: ["subnet-03", "subnet-04"] };
        });
        expect(own.ofType(T.vpc)).to.be.empty;
        const sg = own.named("sg-servers", T.sg);
        expect(sg.inputs.vpcId).to.equal("vpc-0abc");
    });
});
