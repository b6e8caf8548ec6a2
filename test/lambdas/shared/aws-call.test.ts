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

/** An SDK error as AWS sends it, without the SDK's own `$retryable` mark. */
function unmarkedError(name: string, httpStatusCode: number): ECSServiceException {
  return new ECSServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', message: 'as AWS said it', $metadata: { httpStatusCode } });
}

describe('isTransient without the SDK’s retryable mark', () => {
  // Throttling and server-side errors that some services send with a 400 and
  // that the SDK does not always mark: the name alone must make them retried.
  it.each([
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
  ])('retries an error named %s sent with a 400', async (name) => {
    // Prepare
    const error = unmarkedError(name, 400);

    // Act
    const thrown = await failureOf('dynamodb:UpdateItem', error);

    // Assess
    expect(thrown).toBeInstanceOf(TransientAwsError);
  });

  it.each(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED'])('retries a network error with code %s', async (code) => {
    // Prepare
    const error = Object.assign(new Error(`connect ${code}`), { code });

    // Act
    const thrown = await failureOf('ecs:DescribeServices', error);

    // Assess
    expect(thrown).toBeInstanceOf(TransientAwsError);
  });

  it.each([500, 502, 503, 599])('retries an unknown error answered with HTTP %i', (status) => {
    // Prepare
    const error = unmarkedError('SomethingBroke', status);

    // Act
    const transient = isTransient(error);

    // Assess
    expect(transient).toBe(true);
  });

  it.each([400, 403, 404, 499])('does not retry an unknown error answered with HTTP %i', (status) => {
    // Prepare
    const error = unmarkedError('SomethingWrong', status);

    // Act
    const transient = isTransient(error);

    // Assess
    expect(transient).toBe(false);
  });

  it('retries a 429 whatever its name', () => {
    // Prepare
    const error = unmarkedError('SlowDown', 429);

    // Act
    const transient = isTransient(error);

    // Assess
    expect(transient).toBe(true);
  });

  it('does not retry an error whose retryable mark is null, a name that is not text, or a status that is not a number', () => {
    // Prepare
    const marks = [
      { name: 'Odd', $retryable: null, $metadata: { httpStatusCode: 400 } },
      { name: 42, code: 42, $metadata: { httpStatusCode: '503' } },
      { name: 'Odd' },
    ];

    // Act
    const transient = marks.map((mark) => isTransient(mark));

    // Assess
    expect(transient).toEqual([false, false, false]);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'ThrottlingException'],
  ])('does not retry %s thrown instead of an error', (_what, thrown) => {
    // Prepare
    const error: unknown = thrown;

    // Act
    const transient = isTransient(error);

    // Assess
    expect(transient).toBe(false);
  });
});

describe('failure messages', () => {
  it('names a plain object thrown with a name and a message by both', async () => {
    // Prepare
    const error = { name: 'Weird', message: 'not an Error instance' };

    // Act
    const thrown = await failureOf('sns:Publish', error);

    // Assess
    expect(thrown.message).toBe('sns:Publish failed: Weird: not an Error instance');
  });

  it('falls back to "Error" and the value’s text when a thrown object has neither a text name nor a text message', async () => {
    // Prepare
    const error = { name: 7, message: 8, toString: () => 'odd object' };

    // Act
    const thrown = await failureOf('sns:Publish', error);

    // Assess
    expect(thrown).toBeInstanceOf(AwsCallFailed);
    expect(thrown.message).toBe('sns:Publish failed: Error: odd object');
  });

  it('reports null thrown as "Error: null"', async () => {
    // Prepare
    const error = null;

    // Act
    const thrown = await failureOf('sns:Publish', error);

    // Assess
    expect(thrown.message).toBe('sns:Publish failed: Error: null');
  });
});
