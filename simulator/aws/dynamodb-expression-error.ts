/**
 * Why an expression or request was refused: `validation` is what DynamoDB
 * itself answers with a ValidationException; `unsupported` is valid DynamoDB
 * the simulation does not implement, reported as such rather than ignored.
 */
export class ExpressionError extends Error {
  public override readonly name = 'ExpressionError';

  public constructor(
    public readonly kind: 'validation' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

/** A ValidationException-to-be. */
export function invalid(message: string): ExpressionError {
  return new ExpressionError('validation', message);
}

/** Valid DynamoDB the simulation does not implement. */
export function unsupported(message: string): ExpressionError {
  return new ExpressionError('unsupported', message);
}
