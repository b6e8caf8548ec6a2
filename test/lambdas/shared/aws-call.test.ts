import { AccessDeniedException, ECSServiceException, ServerException } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { awsCall, isTransient } from '../../../lambdas/shared/aws-call.ts';
import { AwsCallFailed, InvalidInput, TransientAwsError } from '../../../lambdas/shared/errors.ts';

/** The error the SDK throws when AWS throttles a call (unmodeled, marked retryable). */
function throttlingError(): ECSServiceException {
  const error = new ECSServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400 },
  });
  return Object.assign(error, { $retryable: { throttling: true } });
}

/** What `awsCall` turns a failed call into. */
async function failureOf(what: string, error: unknown): Promise<Error> {
  try {
    await awsCall(what, () => Promise.reject(error));
  } catch (thrown) {
    return thrown as Error;
  }
  throw new Error('awsCall did not throw');
}

describe('awsCall', () => {
  it('returns what the call returns', async () => {
    // Prepare
    const output = { services: [{ serviceName: 'web' }] };

    // Act
    const result = await awsCall('ecs:DescribeServices', () => Promise.resolve(output));

    // Assess
    expect(result).toBe(output);
  });

  it.each([
    ['a throttled call', throttlingError()],
    [
      'a 5xx from the service',
      new ServerException({ message: 'internal error', $metadata: { httpStatusCode: 500 } }),
    ],
    [
      'an error the SDK marked retryable',
      Object.assign(
        new ECSServiceException({ name: 'SomethingOdd', $fault: 'client', message: 'try later', $metadata: { httpStatusCode: 400 } }),
        { $retryable: {} },
      ),
    ],
    ['a 429 without a known name', new ECSServiceException({ name: 'Slow', $fault: 'client', message: 'slow down', $metadata: { httpStatusCode: 429 } })],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('turns %s into TransientAwsError so the state machine retries it', async (_what, error) => {
    // Prepare
    const what = 'ecs:UpdateService';

    // Act
    const thrown = await failureOf(what, error);

    // Assess
    expect(thrown).toBeInstanceOf(TransientAwsError);
    expect(thrown.name).toBe('TransientAwsError');
    expect(thrown.message).toContain(`${what} failed: `);
    expect(thrown.message).toContain(error.message);
    expect(thrown.cause).toBe(error);
  });

  it('turns access denied into AwsCallFailed, naming the call and the reason', async () => {
    // Prepare
    const error = new AccessDeniedException({
      message: 'User is not authorized to perform: ecs:UpdateService',
      $metadata: { httpStatusCode: 400 },
    });

    // Act
    const thrown = await failureOf('ecs:UpdateService', error);

    // Assess
    expect(thrown).toBeInstanceOf(AwsCallFailed);
    expect(thrown.name).toBe('AwsCallFailed');
    expect(thrown.message).toBe(`ecs:UpdateService failed: AccessDeniedException: ${error.message}`);
    expect(thrown.cause).toBe(error);
  });

  it('lets errors the handler raised itself through unchanged', async () => {
    // Prepare
    const error = new InvalidInput('image: not found');

    // Act
    const thrown = await failureOf('ecr:DescribeImages', error);

    // Assess
    expect(thrown).toBe(error);
  });

  it('reports a thrown non-Error value by its text', async () => {
    // Prepare
    const error = 'boom';

    // Act
    const thrown = await failureOf('sqs:SendMessage', error);

    // Assess
    expect(thrown).toBeInstanceOf(AwsCallFailed);
    expect(thrown.message).toBe('sqs:SendMessage failed: Error: boom');
  });
});

describe('isTransient', () => {
  it('does not retry client mistakes', () => {
    // Prepare
    const error = new ECSServiceException({
      name: 'ClientException',
      $fault: 'client',
      message: 'bad request',
      $metadata: { httpStatusCode: 400 },
    });

    // Act
    const transient = isTransient(error);

    // Assess
    expect(transient).toBe(false);
  });

  it('does not retry a quota that is reached (LimitExceededException): waiting will not raise it', async () => {
    // Prepare: e.g. ECS refusing a canary service because the cluster has as many services as allowed.
    const error = new ECSServiceException({
      name: 'LimitExceededException',
      $fault: 'client',
      message: 'The limit on the number of services per cluster has been reached.',
      $metadata: { httpStatusCode: 400 },
    });

    // Act
    const thrown = await failureOf('ecs:CreateService', error);

    // Assess
    expect(isTransient(error)).toBe(false);
    expect(thrown).toBeInstanceOf(AwsCallFailed);
    expect(thrown.message).toBe(`ecs:CreateService failed: LimitExceededException: ${error.message}`);
  });

  it.each(['ProvisionedThroughputExceededException', 'TransactionConflictException', 'TooManyRequestsException', 'RequestLimitExceeded'])(
    'retries %s',
    (name) => {
      // Prepare
      const error = new ECSServiceException({ name, $fault: 'client', message: 'slow down', $metadata: { httpStatusCode: 400 } });

      // Act
      const transient = isTransient(error);

      // Assess
      expect(transient).toBe(true);
    },
  );
});
