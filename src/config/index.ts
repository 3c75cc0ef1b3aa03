// The stack configuration module: types and validation. Validated once, here, before any resource
// is registered; components trust what it returns. Loading the running program's config is in
// load.ts, imported from there: it needs the Pulumi SDK, which the client's commands do without.
export * from "./defaults";
export { MAX_PREVIEW_CIDRS } from "./consul";
export { StackConfigError } from "./problems";
export * from "./types";
export { validateStackConfig } from "./validate";
