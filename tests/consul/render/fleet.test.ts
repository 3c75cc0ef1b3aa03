// Plain decisions behind the ha server fleet: the AMI parameter per architecture and the rolling
// replacement rate.
import { expect } from "chai";
import { quorumSize } from "../../../src/consul/render/agentConfig";
import { amazonLinuxAmiParameter, rollingMinHealthyPercentage } from "../../../src/consul/render/fleet";

describe("server fleet", () => {
    it("picks the Amazon Linux 2023 parameter matching the instance type's architecture", () => {
        const arm = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";
        const x86 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        for (const type of ["t4g.small", "m7g.large", "c6gn.xlarge", "r8gd.2xlarge", "m6gd.medium", "im4gn.large", "is4gen.xlarge", "a1.medium", "g5g.xlarge", "c8gn.large"]) {
            expect(amazonLinuxAmiParameter(type), type).to.equal(arm);
        }
        for (const type of ["t3.small", "m7i.large", "c7a.xlarge", "m5zn.large", "g4dn.xlarge", "r7iz.large", "m5d.large", "g5.xlarge", "g6.xlarge", "gr6.4xlarge", "g4ad.xlarge"]) {
            expect(amazonLinuxAmiParameter(type), type).to.equal(x86);
        }
    });

    it("replaces exactly one server at a time, keeping quorum", () => {
        expect(rollingMinHealthyPercentage(3)).to.equal(66);
        expect(rollingMinHealthyPercentage(5)).to.equal(80);
        expect(rollingMinHealthyPercentage(7)).to.equal(85);
        for (const count of [3, 5, 7]) {
            const kept = Math.ceil((count * rollingMinHealthyPercentage(count)) / 100);
            expect(kept, `servers kept of ${count}`).to.equal(count - 1);
            expect(kept).to.be.at.least(quorumSize(count));
        }
        expect(() => rollingMinHealthyPercentage(1)).to.throw(/quorum/);
    });
});
