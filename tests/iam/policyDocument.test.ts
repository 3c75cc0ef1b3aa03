// The shared IAM pieces: a trust policy admits one AWS service and nobody else.
import { expect } from "chai";
import { serviceTrustPolicy } from "../../src/iam/policyDocument";

describe("service trust policies", () => {
    it("let exactly one service assume the role, with a Sid only when asked", () => {
        expect(serviceTrustPolicy("ecs-tasks.amazonaws.com")).to.deep.equal({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        // Key order matters: the JSON text is the role's input, and a reordering would update every role.
        expect(JSON.stringify(serviceTrustPolicy("ec2.amazonaws.com", "AssumedByService"))).to.equal(
            '{"Version":"2012-10-17","Statement":[{"Sid":"AssumedByService","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        );
    });
});
