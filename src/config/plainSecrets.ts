// Secrets never travel in plain `env`: ECS writes it into the task definition, readable in clear by
// anyone who may describe it. Two ways a secret slips in: a variable whose name or value says it is
// one (the same rule the policy pack applies to a plan's task definitions), and a `secure:` value,
// which Pulumi decrypts before the program sees it. Both are refused here, pointing at `secrets`.
import { plainSecretReason } from "../shared/secretNames";
import type { Report } from "./types";

/** Pulumi's encrypted config value, as a stack file writes it: `{ secure: "v1:..." }`. */
export function isSecureValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}

export const SECURE_VALUE_ADVICE =
    "Pulumi would decrypt it and the program would write it in clear into the task definition; put the secret in Secrets Manager and reference its ARN under `secrets`";

/**
 * Refuses secret-looking variables in one plain env map (`envPath`, for example
 * `bluegreen:services.orders.env`); `secretsPath` is where they belong instead.
 */
export function checkPlainEnv(envPath: string, secretsPath: string, env: Readonly<Record<string, unknown>> | undefined, at: Report): void {
    for (const [name, value] of Object.entries(env ?? {})) {
        const reason = plainSecretReason(name, value);
        if (reason) {
            at(
                `${envPath}.${name}`,
                `${reason}; plain env is written in clear into the task definition: store it in Secrets Manager and set ${secretsPath}.${name} to the secret's ARN instead`,
            );
        }
    }
}

/**
 * A `secure:` value somewhere under `bluegreen:services` reaches a running program already
 * decrypted; Pulumi then marks the whole top-level key secret. Nothing under services is secret (secrets
 * are ARNs), so such a mark means a secure value is in there.
 */
export function checkSecretKeys(secretKeys: readonly string[], project: string, at: Report): void {
    const key = `${project}:services`;
    if (secretKeys.includes(key)) {
        at(key, `holds a secure: value (Pulumi marks ${key} secret); ${SECURE_VALUE_ADVICE}`);
    }
}
