// A container's `environment` is plain text in the task definition, readable by anyone who can
// describe it; secrets belong in `secrets` (Secrets Manager ARNs ECS injects at start). Likewise
// EC2 user data is readable from the instance metadata and the console: servers fetch their
// secrets at boot instead.
import { agentConfigIn, decodedUserData } from "./agentConfig";
import { parseContainerDefinitions } from "./containers";
import { asRecord, asString, mandatoryResourceRule, TYPES } from "./resources";
import { isSecretName, PRIVATE_KEY_PEM } from "../../src/shared/secretNames";
import { secretValueReason } from "../../src/shared/secretValues";

function taskDefinitionProblems(props: Record<string, unknown>): string[] {
    const parsed = parseContainerDefinitions(props.containerDefinitions);
    if (!parsed.ok) {
        return props.containerDefinitions === "[secret]" ? [parsed.problem] : [];
    }
    const problems: string[] = [];
    for (const container of parsed.containers) {
        for (const variable of container.environment) {
            if (isSecretName(variable.name)) {
                problems.push(`container "${container.name}" sets ${variable.name} in plain environment; pass it in "secrets" (a Secrets Manager ARN) instead`);
            } else if (typeof variable.value === "string" && PRIVATE_KEY_PEM.test(variable.value)) {
                problems.push(`container "${container.name}" has a private key in plain environment variable ${variable.name}`);
            } else {
                const reason = secretValueReason(variable.value);
                if (reason) {
                    problems.push(`container "${container.name}" sets ${variable.name} in plain environment, and ${reason}; put it in Secrets Manager and pass it in "secrets" (its ARN) instead`);
                }
            }
        }
    }
    return problems;
}

// What real secret values look like: a template that fills them in at boot ("%s", "$KEY") is fine.
/** A gossip key: 32 random bytes, base64 (44 characters with padding). */
const GOSSIP_KEY = /^[A-Za-z0-9+/]{43}=$/;
/** An ACL token's secret ID: a UUID. */
const ACL_TOKEN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function userDataProblems(userData: unknown): string[] {
    const problems: string[] = [];
    if (decodedUserData(userData).some((text) => PRIVATE_KEY_PEM.test(text))) {
        problems.push("user data contains a private key; fetch it from Secrets Manager at boot");
    }
    const config = typeof userData === "string" ? agentConfigIn([userData]) : undefined;
    if (config) {
        if (typeof config.encrypt === "string" && GOSSIP_KEY.test(config.encrypt)) {
            problems.push("user data contains the gossip encryption key (encrypt); fetch it from Secrets Manager at boot");
        }
        const tokens = asRecord(asRecord(config.acl).tokens);
        for (const [name, value] of Object.entries(tokens)) {
            if (typeof value === "string" && ACL_TOKEN.test(value)) {
                problems.push(`user data contains ACL token acl.tokens.${name}; fetch it from Secrets Manager at boot`);
            }
        }
    }
    return problems;
}

function plaintextSecretProblems(type: string, props: Record<string, unknown>): string[] {
    switch (type) {
        case TYPES.taskDefinition:
            return taskDefinitionProblems(props);
        case TYPES.launchTemplate:
            return userDataProblems(props.userData);
        case TYPES.instance:
            return userDataProblems(asString(props.userDataBase64) ?? (typeof props.userData === "string" ? Buffer.from(props.userData).toString("base64") : undefined));
        default:
            return [];
    }
}

export const noPlaintextSecrets = mandatoryResourceRule(
    "no-plaintext-secrets",
    "No container sets a secret-looking variable (TOKEN, SECRET, PASSWORD, KEY, ..., and Consul's token and CA variables) or a private key in plain `environment`; no user data carries a private key, the gossip key or an ACL token.",
    plaintextSecretProblems,
);
