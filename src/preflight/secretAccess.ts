// Whether a role can read a Secrets Manager secret the way ECS (for a task's `secrets`) or a server's
// boot script does: secretsmanager:GetSecretValue on the secret, and kms:Decrypt on the key it is
// encrypted with, asked by Secrets Manager on the caller's behalf (kms:ViaService).
import { PreflightContext } from "./context";
import { PlanRecord, TYPES } from "./planIndex";
import { failed, passed, Phase, StepResult } from "./report";
import { secretArnOf } from "./tasks";
import { mockDnsSuffix } from "../offline/mockOutputs";

export interface SecretUse {
    /** What the secret is to its reader (an environment variable name, a file). */
    readonly label: string;
    readonly valueFrom: string;
}

export async function checkSecretAccess(
    ctx: PreflightContext,
    phase: Phase,
    step: string,
    reader: { readonly role?: PlanRecord; readonly label: string; readonly resource: string },
    use: SecretUse,
): Promise<StepResult> {
    const arn = secretArnOf(use.valueFrom);
    if (!reader.role) {
        return failed(phase, step, reader.resource, `${reader.label} reads ${use.label} (${arn}) but has no role of the plan to read it with`, "give it an execution role");
    }
    const role = reader.role;
    const read = await ctx.iam.decide(role, { action: "secretsmanager:GetSecretValue", resource: arn });
    if (!read.allowed) {
        return failed(phase, step, role.name, `${reader.label} cannot read ${use.label}: ${read.text}`, `allow secretsmanager:GetSecretValue on ${arn} in the policy of role ${role.name}`);
    }
    const secret = ctx.index.resolve(TYPES.secret, arn);
    if (!secret) {
        return passed(phase, step, role.name, `${use.label}: GetSecretValue allowed (the secret is not in the plan; its key is not checked)`);
    }
    const keyRef = secret.inputs.kmsKeyId;
    if (keyRef === undefined) {
        return passed(phase, step, role.name, `${use.label} (${secret.name}): GetSecretValue allowed; encrypted with the AWS managed key`);
    }
    const alias = ctx.index.resolve(TYPES.kmsAlias, keyRef);
    const key = ctx.index.resolve(TYPES.kmsKey, alias ? alias.inputs.targetKeyId : keyRef);
    const keyArn = key ? ctx.index.arn(key) : String(keyRef);
    const decrypt = await ctx.iam.decide(role, {
        action: "kms:Decrypt",
        resource: keyArn,
        context: {
            "kms:ViaService": `secretsmanager.${ctx.index.region}.${mockDnsSuffix(ctx.index.partition)}`,
            "kms:CallerAccount": ctx.index.account,
            "kms:EncryptionContext:SecretARN": arn,
        },
    });
    if (!decrypt.allowed) {
        return failed(
            phase,
            step,
            role.name,
            `${reader.label} can read ${use.label} (${secret.name}) but not decrypt it: ${decrypt.text}`,
            `allow kms:Decrypt on ${keyArn} in the policy of role ${role.name}`,
        );
    }
    return passed(phase, step, role.name, `${use.label} (${secret.name}): GetSecretValue and kms:Decrypt with ${key?.name ?? keyArn} allowed`);
}
