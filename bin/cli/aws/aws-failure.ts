/**
 * AWS requests made by the CLI on behalf of a person: a failure becomes one
 * readable line that names the request, what AWS said, and what to do next
 * (never a stack trace). The command exits 1.
 */
import { errorMessage, errorName } from '../../../lambdas/shared/aws-call.ts';

/** An AWS request failed, or AWS says the thing to act on is not there: printed as one line, exit code 1. */
export class AwsFailure extends Error {
  public override readonly name = 'AwsFailure';

  public constructor(
    message: string,
    /** The SDK error's name (`AccessDeniedException`, `TaskTimedOut`...), when AWS answered. */
    public readonly awsErrorName?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'KmsAccessDeniedException']);
const BAD_CREDENTIALS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);

/** What a person can do about an error AWS (or the SDK) raised. */
function nextStep(request: string, name: string, message: string): string {
  if (name === 'CredentialsProviderError') return 'no AWS credentials found: set AWS_PROFILE, run `aws sso login` or `aws configure`, then try again';
  if (/region is missing/i.test(message)) return 'no AWS region: pass --region REGION or set AWS_REGION';
  if (BAD_CREDENTIALS.has(name)) return 'your AWS credentials are expired or invalid: refresh them (e.g. `aws sso login`) and try again';
  if (DENIED.has(name)) return `your AWS identity may not call ${request}: use a role allowed to operate the deployer, or ask for that permission`;
  if (name === 'ExecutionDoesNotExist') return 'Step Functions no longer knows that execution (wrong region, or it ended more than 90 days ago)';
  if (name === 'ResourceNotFoundException') return 'the resource is gone: check --stack and --region, or run `npx cdk deploy` to reinstall the deployer';
  return 'check your AWS credentials, region and network, then try again';
}

/** The one-line message for `error` raised by `request` (e.g. `states:SendTaskSuccess`). */
export function describeAwsError(request: string, error: unknown): string {
  const name = errorName(error);
  const message = errorMessage(error).split('\n')[0] ?? '';
  return `${request} failed (${name}: ${message}); ${nextStep(request, name, message)}`;
}

/**
 * Run one AWS request; any failure becomes an `AwsFailure` naming the
 * request. Callers that expect a particular error (a missing stack, a task
 * token that timed out) catch the `AwsFailure` and read `awsErrorName`.
 */
export async function awsRequest<T>(request: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AwsFailure) throw error;
    throw new AwsFailure(describeAwsError(request, error), errorName(error), { cause: error });
  }
}
