// asl-validator ships no type declarations.
declare module 'asl-validator' {
  interface AslValidationResult {
    isValid: boolean;
    errors: { message?: string; path?: string; 'Error code'?: string }[];
  }
  const validator: (definition: unknown) => AslValidationResult;
  export default validator;
}
