// Resilience bounds that stack config validation and the policy pack both enforce.

/** Most retries of one call: each may take up to the whole timeout's remainder, and they multiply load on a failing service. */
export const MAX_RETRIES = 5;
