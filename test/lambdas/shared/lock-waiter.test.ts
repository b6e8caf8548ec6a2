import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { InvalidToken, SendTaskSuccessCommand, SFNClient, SFNServiceException, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerWaiter, wakeWaiter, waiterOf } from '../../../lambdas/shared/lock-waiter.ts';
import { EXECUTION_ARN, stubDeployerEnv } from '../../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);

const WAITER = { executionArn: EXECUTION_ARN, token: 'my-token', since: '2026-01-31T12:00:00.000Z' };
const OLDER = { executionArn: EXECUTION_ARN.replace(/:[^:]+$/, ':web-older'), token: 'older-token', since: '2026-01-31T11:00:00.000Z' };
const gone = { message: 'gone', $metadata: { httpStatusCode: 400 } };

describe('lock waiters', () => {
  beforeEach(() => {
    ddbMock.reset();
    sfnMock.reset();
    stubDeployerEnv();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  describe('wakeWaiter', () => {
    it('sends the waiter its task token, saying the lock was released', async () => {
      // Prepare
      sfnMock.on(SendTaskSuccessCommand).resolves({});

      // Act
      const woken = await wakeWaiter(WAITER);

      // Assess
      expect(woken).toBe(true);
      expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, {
        taskToken: 'my-token',
        output: JSON.stringify({ wokenBy: 'lock released' }),
      });
    });

    it.each([
      ['its wait timed out', new TaskTimedOut(gone)],
      ['its execution ended', new TaskDoesNotExist(gone)],
      ['its token is no longer valid', new InvalidToken(gone)],
    ])('counts a waiter as woken when %s: it re-checks the lock on its own', async (_why, error) => {
      // Prepare
      sfnMock.on(SendTaskSuccessCommand).rejects(error);

      // Act
      const woken = await wakeWaiter(WAITER);

      // Assess
      expect(woken).toBe(true);
    });

    it('never fails a release because Step Functions throttled the wake-up', async () => {
      // Prepare
      sfnMock.on(SendTaskSuccessCommand).rejects(
        Object.assign(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', ...gone }), { $retryable: { throttling: true } }),
      );

      // Act
      const woken = await wakeWaiter(WAITER);

      // Assess
      expect(woken).toBe(false);
    });
  });

  describe('registerWaiter', () => {
    it('returns the waiter it replaced, to be woken', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).resolves({ Attributes: { waiter: OLDER } });

      // Act
      const result = await registerWaiter('web', EXECUTION_ARN, 'my-token', WAITER.since);

      // Assess
      expect(result).toEqual({ registered: true, previous: OLDER });
    });

    it('does not return itself as the waiter it replaced (a retried registration)', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).resolves({ Attributes: { waiter: { ...WAITER, token: 'my-earlier-token' } } });

      // Act
      const result = await registerWaiter('web', EXECUTION_ARN, 'my-token', WAITER.since);

      // Assess
      expect(result).toEqual({ registered: true });
    });

    it('is not registered when the lock was released or a newer deployment came meanwhile', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException(gone));

      // Act
      const result = await registerWaiter('web', EXECUTION_ARN, 'my-token', WAITER.since);

      // Assess
      expect(result).toEqual({ registered: false });
    });

    it('reports a throttled table as TransientAwsError naming the call', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).rejects(
        Object.assign(new DynamoDBServiceException({ name: 'ThrottlingException', $fault: 'client', ...gone }), { $retryable: { throttling: true } }),
      );

      // Act
      const result = registerWaiter('web', EXECUTION_ARN, 'my-token', WAITER.since);

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining('dynamodb:UpdateItem (wait for the lock) failed') });
    });
  });

  describe('waiterOf', () => {
    it('reads no waiter from an item without one, or with one missing its token', () => {
      // Prepare
      const items = [undefined, {}, { waiter: { executionArn: EXECUTION_ARN, since: WAITER.since } }];

      // Act
      const waiters = items.map((item) => waiterOf(item));

      // Assess
      expect(waiters).toEqual([undefined, undefined, undefined]);
    });
  });
});
