/**
 * One place that decides which AWS failures are worth retrying.
 *
 * The SDK already retries a few times inside a call; what still fails is
 * turned into a named error so the state machine can retry transient
 * failures with backoff (`TransientAwsError`) and roll back on the rest
 * (`AwsCallFailed`), instead of rolling back because of a throttle.
 */
import { AwsCallFailed, DeployerError, TransientAwsError } from './errors.ts';

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServerException',
  'InternalServerError',
  'InternalServerException',
  'InternalFailure',
  'TransactionConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNREFUSED',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** True when retrying the same call later may succeed. */
export function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkErrorShape;
  if (e.$retryable !== undefined && e.$retryable !== null) return true;
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && TRANSIENT_NAMES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** The SDK error behind `error`: `awsCall` wraps it as the `cause` of a named error. */
export function sdkErrorOf(error: unknown): unknown {
  return error instanceof DeployerError && error.cause !== undefined ? error.cause : error;
}

/** The error's name (`AccessDeniedException`...) or `Error`. */
export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as SdkErrorShape).name === 'string') {
    return (error as { name: string }).name;
  }
  return 'Error';
}

/** The error's message, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as SdkErrorShape).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/**
 * Run one AWS call; a failure becomes `TransientAwsError` or `AwsCallFailed`
 * whose message says which call failed and why. Errors the handler raised
 * itself pass through unchanged.
 */
export async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DeployerError) throw error;
    const message = `${what} failed: ${errorName(error)}: ${errorMessage(error)}`;
    if (isTransient(error)) throw new TransientAwsError(message, { cause: error });
    throw new AwsCallFailed(message, { cause: error });
  }
}
