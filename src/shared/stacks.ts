// Which stack names mean production. One rule, used by config validation (a production stack may
// not run dev Consul servers), by the flip client (it asks before it changes such a stack) and by
// the policy pack; it lives in the pack (policies/rules/names.ts), which cannot import the program.
export { isProductionStack as isProductionStackName, PRODUCTION_WORDS } from "../../policies/rules/names";
