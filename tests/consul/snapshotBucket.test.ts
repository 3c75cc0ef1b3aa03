// The ha servers' snapshot bucket (src/consul/snapshotBucket.ts) in the prod stack.
import { expect } from "chai";
import { examplePlan, Plan, policyDocumentOf } from "../support/harness";
import { T } from "../support/typeTokens";
import { SECRETS_KMS_KEY_ARN } from "../support/fakeArns";

describe("snapshot bucket (prod)", () => {
    let prod: Plan;
    before(async () => {
        prod = await examplePlan("prod");
    });

    it("keeps snapshots in a private, versioned, KMS-encrypted bucket with a lifecycle rule", () => {
        expect(prod.named("consul-snapshots", T.bucketVersioning).inputs.versioningConfiguration).to.deep.equal({ status: "Enabled" });
        expect(prod.named("consul-snapshots", T.bucketPublicAccess).inputs).to.include({
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        const sse = prod.named("consul-snapshots", T.bucketEncryption);
        expect(sse.inputs.rules).to.deep.equal([
            { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: SECRETS_KMS_KEY_ARN }, bucketKeyEnabled: true },
        ]);
        const lifecycle = prod.named("consul-snapshots", T.bucketLifecycle);
        expect(lifecycle.inputs.rules).to.deep.equal([
            {
                id: "expire-snapshots",
                status: "Enabled",
                filter: { prefix: "snapshots/dc1/" },
                expiration: { days: 30 },
                noncurrentVersionExpiration: { noncurrentDays: 30 },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            },
        ]);
        const bucketPolicy = policyDocumentOf(prod.named("consul-snapshots", T.bucketPolicy));
        expect(bucketPolicy.Statement).to.have.length(1);
        expect(bucketPolicy.Statement[0]).to.deep.include({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
        expect(prod.named("consul-snapshots", T.bucketOwnership).inputs.rule).to.deep.equal({ objectOwnership: "BucketOwnerEnforced" });
    });
});
