// What makes a variable a secret's, the one rule both the policy pack (over a plan's task
// definitions) and stack config validation (over `env`) apply. No imports: the pack and the program
// each load it from here.

/** Words that make a variable name a secret's (API_KEY, DB_PASSWORD, dpCredentialStaticToken). */
const SECRET_WORDS = ["TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASSPHRASE", "KEY", "APIKEY", "CREDENTIAL", "CREDENTIALS"];
/** Last words that make it a reference to a secret instead (CONSUL_HTTP_TOKEN_FILE, KMS_KEY_ID). */
const REFERENCE_WORDS = ["FILE", "PATH", "ARN", "ID", "NAME"];
/** Consul variables that are secrets whatever their words say (docs/platform-facts.md#the-consul-ecs-config, #the-controller). */
const CONSUL_SECRET_VARIABLES = ["CONSUL_HTTP_TOKEN", "CONSUL_HTTP_AUTH", "CONSUL_HTTPS_CACERT_PEM", "CONSUL_GRPC_CACERT_PEM", "DP_CREDENTIAL_STATIC_TOKEN"];

export const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function words(name: string): string[] {
    return name
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .toUpperCase()
        .split(/[^A-Z0-9]+/)
        .filter((w) => w !== "");
}

/** True for a name that holds a secret (its words say so), not for one that points at a secret. */
export function isSecretName(name: string): boolean {
    if (CONSUL_SECRET_VARIABLES.includes(name.toUpperCase())) {
        return true;
    }
    const parts = words(name);
    if (parts.length === 0 || REFERENCE_WORDS.includes(parts[parts.length - 1])) {
        return false;
    }
    return parts.some((w) => SECRET_WORDS.includes(w));
}

/** Why a plain variable looks like a secret, or undefined: its name, or a private key in its value. */
export function plainSecretReason(name: string, value: unknown): string | undefined {
    if (isSecretName(name)) {
        return "its name says it holds a secret";
    }
    if (typeof value === "string" && PRIVATE_KEY_PEM.test(value)) {
        return "its value is a private key";
    }
    return undefined;
}
