// The stack configuration module: types, validation and loading. Validated once, here, before any
// resource is registered; components trust what it returns.
export * from "./defaults";
export { FARGATE_SIZES } from "./fargate";
export { checkCidr } from "./cidr";
export { MAX_PREVIEW_CIDRS } from "./consul";
export { loadStackConfig } from "./load";
export { formatProblems, StackConfigError } from "./problems";
export { MAX_SERVICE_NAME } from "./services";
export * from "./types";
export { validateStackConfig } from "./validate";
export type { RawStackInput, ValidationResult } from "./validate";
