// Where the ha servers' hourly snapshots go: a private, versioned, KMS-encrypted bucket that expires
// them after the retention period.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { snapshotBucketPrefix } from "./awsNames";
import { snapshotBucketPolicy } from "./render/serverPolicies";

export interface SnapshotBucketArgs {
    /** Key prefix the servers write under; the lifecycle rule expires only these objects. */
    readonly prefix: string;
    /** Days a snapshot (and a noncurrent version) is kept. */
    readonly retentionDays: number;
    /** The Consul secrets' customer key, which also encrypts the snapshots. */
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly tags?: Record<string, string>;
}

/** Creates the bucket and its ownership, public access block, versioning, encryption, lifecycle and policy under `parent`. */
export function createSnapshotBucket(name: string, args: SnapshotBucketArgs, parent: pulumi.Resource): aws.s3.Bucket {
    const child = { parent };
    const days = args.retentionDays;
    const bucket = new aws.s3.Bucket(
        `${name}-snapshots`,
        { bucketPrefix: snapshotBucketPrefix(pulumi.getProject(), pulumi.getStack()), forceDestroy: false, tags: args.tags },
        child,
    );
    const owner = new aws.s3.BucketOwnershipControls(`${name}-snapshots`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${name}-snapshots`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        child,
    );
    const versioning = new aws.s3.BucketVersioning(`${name}-snapshots`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-snapshots`,
        { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }] },
        child,
    );
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-snapshots`,
        {
            bucket: bucket.id,
            rules: [
                {
                    id: "expire-snapshots",
                    status: "Enabled",
                    filter: { prefix: args.prefix },
                    expiration: { days },
                    noncurrentVersionExpiration: { noncurrentDays: days },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ],
        },
        { parent, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
        `${name}-snapshots`,
        { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(snapshotBucketPolicy(arn))) },
        { parent, dependsOn: [publicAccess, owner] },
    );
    return bucket;
}
