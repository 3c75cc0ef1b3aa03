// policies/rules/secretsEncrypted.ts: secrets-kms-encrypted.
import { expect } from "chai";
import { secretsKmsEncrypted } from "../../../policies/rules/secretsEncrypted";
import { messages, resource, safeStack } from "../../support/policyFixtures";
import { T } from "../../support/typeTokens";

describe("policy secrets-kms-encrypted", () => {
    it("accepts a secret encrypted with the stack's key", async () => {
        expect(await messages(safeStack(), secretsKmsEncrypted)).to.deep.equal([]);
    });

    it("rejects a secret without kmsKeyId or with the AWS managed key", async () => {
        expect(await messages([resource(T.secret, "s", { name: "s" })], secretsKmsEncrypted)).to.deep.equal([
            "secrets-kms-encrypted: secret has no kmsKeyId, so it uses the account's AWS managed key; set kmsKeyId to the stack's KMS key",
        ]);
        expect((await messages([resource(T.secret, "s", { kmsKeyId: "alias/aws/secretsmanager" })], secretsKmsEncrypted)).join()).to.include("uses the AWS managed key alias/aws/secretsmanager");
    });
});
