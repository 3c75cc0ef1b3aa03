// Which stack names mean production. One rule, used by config validation (a production stack may
// not run dev Consul servers) and by the flip client (it asks before it changes such a stack).
/**
 * A name with `prod`, `production` or `prd` as one of its parts, split at `-`, `_` and `.`: prod,
 * prod-eu, eu.production, app_prd. Not `product` or `preprod-x`'s `preprod`.
 */
export function isProductionStackName(stack: string): boolean {
    return stack
        .toLowerCase()
        .split(/[-_.]/)
        .some((part) => part === "prod" || part === "production" || part === "prd");
}
