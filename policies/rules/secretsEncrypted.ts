// Secrets Manager always encrypts, by default with the account-wide AWS managed key, which every
// principal with secretsmanager:GetSecretValue in the account can use. A customer managed key
// (the stack's own) keeps decryption under the stack's key policy.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asString, TYPES } from "./resources";

const AWS_MANAGED_KEY = /^(alias\/aws\/secretsmanager|arn:aws[a-z-]*:kms:[^:]+:[^:]+:alias\/aws\/secretsmanager)$/;

export const secretsKmsEncrypted: ResourceValidationPolicy = {
    name: "secrets-kms-encrypted",
    description: "Every Secrets Manager secret is encrypted with a customer managed KMS key (kmsKeyId set, not the AWS managed aws/secretsmanager key).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.secret) {
            return;
        }
        const key = asString(args.props.kmsKeyId);
        if (!key) {
            reportViolation("secret has no kmsKeyId, so it uses the account's AWS managed key; set kmsKeyId to the stack's KMS key");
        } else if (AWS_MANAGED_KEY.test(key)) {
            reportViolation(`secret uses the AWS managed key ${key}; set kmsKeyId to the stack's customer managed KMS key`);
        }
    },
};
