// The stack configuration module: types, validation and loading. Validated once, here, before any
// resource is registered; components trust what it returns.
export * from "./defaults";
export { MAX_PREVIEW_CIDRS } from "./consul";
export { loadStackConfig } from "./load";
export { StackConfigError } from "./problems";
export * from "./types";
export { validateStackConfig } from "./validate";
