// Types for asl-validator 4.0.0, which ships none: the default export validates one definition.
declare module "asl-validator" {
    interface ValidationResult {
        readonly isValid: boolean;
        readonly errors: readonly { readonly "Error code": string; readonly Message: string }[];
        errorsText(separator?: string): string;
    }
    function aslValidator(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): ValidationResult;
    export = aslValidator;
}
