// Which keys a stack file may set, and the misspelt ones named with the key they were probably
// meant to be: a key the program does not read is silently ignored by Pulumi, so `bluegren:services`
// or `aws:regoin` would otherwise only show up as "bluegreen:services is required" or a default region.
import type { Report } from "./types";
import { didYouMean, nearest } from "./suggest";
import { CONFIG_KEYS } from "./types";

let awsKeys: readonly string[] | undefined;

/**
 * The AWS provider's own config keys (`aws:region`, `aws:profile`, ...), from the provider package.
 * Loaded on first use: the module loads the Pulumi SDK, which a stack file without `aws:` keys
 * other than the region (and so `flip status`) does not need.
 */
function awsProviderKeys(): readonly string[] {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    awsKeys ??= Object.keys(require("@pulumi/aws/config/vars") as object).filter((k) => k !== "__esModule");
    return awsKeys;
}

/** Namespaces of the packages the program uses: their provider config is theirs to judge. */
const PACKAGE_NAMESPACES = ["aws", "awsx", "consul", "random", "tls", "pulumi"];

/** Reports unknown `<project>:` keys, unknown `aws:` keys and namespaces that look like a typo of ours. */
export function checkKeys(project: string, values: Readonly<Record<string, unknown>>, otherKeys: readonly string[], at: Report): void {
    const ours = CONFIG_KEYS.map((k) => `${project}:${k}`);
    for (const key of Object.keys(values)) {
        if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
            at(`${project}:${key}`, `unknown key; ${didYouMean(key, CONFIG_KEYS).replace(/"([^"]+)"/g, `"${project}:$1"`)}allowed keys: ${ours.join(", ")}`);
        }
    }
    for (const full of otherKeys) {
        const colon = full.indexOf(":");
        const namespace = colon < 0 ? "" : full.slice(0, colon);
        const key = colon < 0 ? full : full.slice(colon + 1);
        if (namespace === "aws") {
            const providerKeys = awsProviderKeys();
            if (!providerKeys.includes(key)) {
                const hint = didYouMean(key, providerKeys).replace(/"([^"]+)"/g, '"aws:$1"');
                // With a likely key named, the whole list would only bury it.
                const known = hint ? "" : ` (its settings: ${providerKeys.map((k) => `aws:${k}`).join(", ")})`;
                at(full, `is not a setting of the AWS provider, so it would be ignored; ${hint.trim() || "remove it"}${known}`);
            }
            continue;
        }
        if (namespace === project || PACKAGE_NAMESPACES.includes(namespace)) {
            continue;
        }
        const meant = nearest(namespace, [project, "aws"]);
        if (meant.length > 0) {
            const ns = meant[0];
            const known = ns === "aws" ? awsProviderKeys() : CONFIG_KEYS;
            const keyGuess = known.includes(key) ? key : (nearest(key, known)[0] ?? key);
            at(full, `unknown namespace "${namespace}"; did you mean "${ns}:${keyGuess}"? This program reads only ${project}:* and aws:* keys, so it would be ignored`);
        }
    }
}
