// The offline plan refuses two resources with one URN, as the Pulumi engine does at `pulumi up`.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { planWith, stackConfig } from "../support/harness";

async function failureOf(program: () => void): Promise<string | undefined> {
    try {
        await planWith("dev", stackConfig("dev"), program);
        return undefined;
    } catch (err) {
        return (err as Error).message;
    }
}

describe("offline plan: duplicate URNs", () => {
    it("refuses two resources of one type and name under one parent", async () => {
        const message = await failureOf(() => {
            new aws.s3.Bucket("same");
            new aws.s3.Bucket("same");
        });
        expect(message).to.include("Duplicate resource URN 'urn:pulumi:dev::bluegreen::aws:s3/bucket:Bucket::same'");
    });

    it("refuses them under a component too, and accepts the same name of another type or parent", async () => {
        const nested = await failureOf(() => {
            const parent = new pulumi.ComponentResource("test:index:Box", "box");
            new aws.s3.Bucket("same", {}, { parent });
            new aws.s3.Bucket("same", {}, { parent });
        });
        expect(nested).to.include("Duplicate resource URN").and.include("test:index:Box$aws:s3/bucket:Bucket::same");
        const distinct = await failureOf(() => {
            const parent = new pulumi.ComponentResource("test:index:Box", "box");
            new aws.s3.Bucket("same");
            new aws.s3.Bucket("same", {}, { parent });
            new aws.sqs.Queue("same");
        });
        expect(distinct).to.equal(undefined);
    });
});
