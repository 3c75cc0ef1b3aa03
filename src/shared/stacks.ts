// Which stack names mean production. One rule, used by config validation (a production stack may
// not run dev Consul servers), by the flip client (it asks before it changes such a stack) and by
// the policy pack.

/** Words of a stack name that make it a production stack. */
export const PRODUCTION_WORDS: readonly string[] = ["prod", "production", "prd", "live"];

/**
 * A stack is a production stack when one of its name's words (split at anything but letters, any
 * case) is in PRODUCTION_WORDS: prod, eu-prod, prod-2, Production, prd, live; not products or
 * productdemo.
 */
export function isProductionStack(stack: string): boolean {
    return stack
        .toLowerCase()
        .split(/[^a-z]+/)
        .some((word) => PRODUCTION_WORDS.includes(word));
}
