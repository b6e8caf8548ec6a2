/**
 * Errors and response metadata shaped like the ones AWS SDK v3 produces, so
 * that handlers see in the rehearsal exactly what they would see in AWS:
 * the client's own exception classes (`instanceof ClusterNotFoundException`
 * works), `name`, `$fault`, `$metadata.httpStatusCode`, `$retryable`.
 */
import type { ECSServiceException } from '@aws-sdk/client-ecs';

/** `$metadata` of an SDK output or error. */
export type ResponseMetadata = ECSServiceException['$metadata'];

/** Options of a client package's base exception constructor (`ECSServiceException`...). */
export type ServiceExceptionOptions = ConstructorParameters<typeof ECSServiceException>[0];

/** An SDK service exception, whatever client it comes from. */
export type SdkServiceException = Error & {
  $fault: 'client' | 'server';
  $metadata: ResponseMetadata;
  $retryable?: { throttling?: boolean } | undefined;
};

/** The base exception class of one client package, used for errors the service does not model. */
export type ServiceExceptionClass = new (options: ServiceExceptionOptions) => SdkServiceException;

/** A modeled exception class of a client package (`ClusterNotFoundException`...). */
export type ModeledExceptionClass<Extra extends object = object> = new (
  options: { message: string; $metadata: ResponseMetadata } & Extra,
) => SdkServiceException;

let requestCounter = 0;

/** Metadata of one simulated response; request ids are deterministic within a process. */
export function responseMetadata(httpStatusCode: number): ResponseMetadata {
  requestCounter += 1;
  const id = requestCounter.toString(16).padStart(12, '0');
  return { httpStatusCode, requestId: `5a1d0000-0000-4000-8000-${id}`, attempts: 1, totalRetryDelay: 0 };
}

/** A modeled service exception, as the SDK deserializes it from a 4xx/5xx response. */
export function modeledError<Extra extends object>(
  exceptionClass: ModeledExceptionClass<Extra>,
  message: string,
  extra: Extra,
  httpStatusCode = 400,
): SdkServiceException {
  return new exceptionClass({ message, $metadata: responseMetadata(httpStatusCode), ...extra });
}

/** Options of an error the service's model does not declare (ValidationException, AccessDeniedException...). */
export interface UnmodeledErrorOptions {
  name: string;
  message: string;
  httpStatusCode?: number;
  fault?: 'client' | 'server';
  /** Mark the error retryable the way the SDK marks throttling errors. */
  throttling?: boolean;
}

/** An error the SDK builds from the client's base exception class when the model does not declare it. */
export function unmodeledError(base: ServiceExceptionClass, options: UnmodeledErrorOptions): SdkServiceException {
  const error = new base({
    name: options.name,
    message: options.message,
    $fault: options.fault ?? 'client',
    $metadata: responseMetadata(options.httpStatusCode ?? 400),
  });
  if (options.throttling === true) error.$retryable = { throttling: true };
  return error;
}

/**
 * The simulation was asked for something it does not implement. Never an AWS
 * error: a rehearsal that hits it must fail loudly rather than pass by accident.
 */
export class SimulationNotImplemented extends Error {
  public override readonly name = 'SimulationNotImplemented';
}

/** The name of whatever was thrown. */
export function thrownName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}
