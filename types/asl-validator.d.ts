// asl-validator 4 ships JavaScript only; this is the part of its API the infra uses.
declare module "asl-validator" {
  interface ValidationResult {
    isValid: boolean;
    errors: unknown[];
    errorsText(separator?: string): string;
  }
  function validator(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): ValidationResult;
  export = validator;
}
