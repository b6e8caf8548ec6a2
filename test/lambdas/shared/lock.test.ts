import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { acquireLock, forgetWaiter, lockHolder, lockState, releaseLock, takeOverLock, type LockRequest } from '../../../lambdas/shared/lock.ts';
import { EXECUTION_ARN, TABLE, stubDeployerEnv } from '../../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);

const LOCK_KEY = { pk: 'SERVICE#web', sk: 'LOCK' };
const OTHER = EXECUTION_ARN.replace(/:[^:]+$/, ':web-other');
const REQUEST: LockRequest = {
  service: 'web',
  executionId: EXECUTION_ARN,
  image: 'registry/web@sha256:1',
  requestedAt: '2026-01-31T12:00:00.000Z',
  now: '2026-01-31T12:00:05.000Z',
};

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

function throttling(): DynamoDBServiceException {
  return Object.assign(
    new DynamoDBServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
    { $retryable: { throttling: true } },
  );
}

describe('the service lock', () => {
  beforeEach(() => {
    ddbMock.reset();
    sfnMock.reset();
    stubDeployerEnv();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  describe('acquireLock', () => {
    it('asks DynamoDB for the item it was refused on at both writes, to name the newer deployment or the holder', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).resolves({});

      // Act
      await acquireLock(REQUEST);

      // Assess
      expect(ddbMock).toHaveReceivedNthCommandWith(UpdateCommand, 1, { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
      expect(ddbMock).toHaveReceivedNthCommandWith(UpdateCommand, 2, { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    });

    it('calls itself superseded by an unknown deployment when a refusal carries no item', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const result = await acquireLock(REQUEST);

      // Assess
      expect(result).toEqual({
        status: 'SUPERSEDED',
        holder: 'unknown',
        reason: 'a newer deployment of web (unknown image, requested at ?, execution unknown) replaced this one before it started; nothing was changed',
      });
    });
  });

  describe('takeOverLock', () => {
    it('takes the lock of a stale holder for this execution, if the holder still has it and this execution is the newest', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).resolves({});

      // Act
      const taken = await takeOverLock(REQUEST, OTHER);

      // Assess
      expect(taken).toBe(true);
      expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
        TableName: TABLE,
        Key: LOCK_KEY,
        UpdateExpression: 'SET holder = :me, holderImage = :image, heldSince = :now',
        ConditionExpression: 'holder = :stale AND latestExecution = :me',
        ExpressionAttributeValues: { ':me': EXECUTION_ARN, ':stale': OTHER, ':image': REQUEST.image, ':now': REQUEST.now },
      });
    });

    it('does not take it when another deployment was faster', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const taken = await takeOverLock(REQUEST, OTHER);

      // Assess
      expect(taken).toBe(false);
    });
  });

  describe('releaseLock', () => {
    it('wakes nobody when no deployment waits for the lock', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).resolves({ Attributes: { ...LOCK_KEY, holder: EXECUTION_ARN } });

      // Act
      const released = await releaseLock('web', EXECUTION_ARN);

      // Assess
      expect(released).toBe(true);
      expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    });

    it('wakes the deployment that waits for the lock with its task token', async () => {
      // Prepare
      const waiter = { executionArn: OTHER, token: 'token-1', since: '2026-01-31T12:00:01.000Z' };
      ddbMock.on(UpdateCommand).resolves({ Attributes: { ...LOCK_KEY, holder: EXECUTION_ARN, waiter } });
      sfnMock.on(SendTaskSuccessCommand).resolves({});

      // Act
      const released = await releaseLock('web', EXECUTION_ARN);

      // Assess
      expect(released).toBe(true);
      expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
      expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
    });

    it('releases nothing, and wakes nobody, when the lock is no longer this execution’s', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const released = await releaseLock('web', EXECUTION_ARN);

      // Assess
      expect(released).toBe(false);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
    });
  });

  describe('lockState', () => {
    it('names neither holder nor start time when the lock is free', async () => {
      // Prepare
      ddbMock.on(GetCommand).resolves({ Item: { ...LOCK_KEY } });

      // Act
      const state = await lockState('web');

      // Assess
      expect(state).toStrictEqual({});
    });

    it('names the holder and since when it holds the lock', async () => {
      // Prepare
      ddbMock.on(GetCommand).resolves({ Item: { ...LOCK_KEY, holder: OTHER, heldSince: '2026-01-31T12:00:00.000Z' } });

      // Act
      const state = await lockState('web');

      // Assess
      expect(state).toStrictEqual({ holder: OTHER, heldSince: '2026-01-31T12:00:00.000Z' });
    });
  });

  describe('lockHolder', () => {
    it('reads the holder with a consistent read', async () => {
      // Prepare
      ddbMock.on(GetCommand).resolves({ Item: { holder: OTHER } });

      // Act
      const holder = await lockHolder('web');

      // Assess
      expect(holder).toBe(OTHER);
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true });
    });

    it('has no holder when the lock item has none, or holds something that is not an execution ARN', async () => {
      // Prepare
      ddbMock.on(GetCommand).resolvesOnce({}).resolvesOnce({ Item: {} }).resolvesOnce({ Item: { holder: 42 } });

      // Act
      const holders = [await lockHolder('web'), await lockHolder('web'), await lockHolder('web')];

      // Assess
      expect(holders).toEqual([undefined, undefined, undefined]);
    });

    it('reports a throttled read as TransientAwsError naming the call', async () => {
      // Prepare
      ddbMock.on(GetCommand).rejects(throttling());

      // Act
      const result = lockHolder('web');

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining('dynamodb:GetItem (lock) failed') });
    });
  });

  describe('forgetWaiter', () => {
    it('forgets a stopped waiter that is still the newest deployment asked for', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).resolves({});

      // Act
      const forgotten = await forgetWaiter('web', OTHER);

      // Assess
      expect(forgotten).toBe(true);
      expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
        TableName: TABLE,
        Key: LOCK_KEY,
        UpdateExpression: 'REMOVE latestExecution, latestRequestedAt, latestImage',
        ConditionExpression: 'latestExecution = :me',
        ExpressionAttributeValues: { ':me': OTHER },
      });
    });

    it('leaves a newer deployment’s request alone', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const forgotten = await forgetWaiter('web', OTHER);

      // Assess
      expect(forgotten).toBe(false);
    });

    it('reports a throttled write as TransientAwsError naming the call, so the watcher retries', async () => {
      // Prepare
      ddbMock.on(UpdateCommand).rejects(throttling());

      // Act
      const result = forgetWaiter('web', OTHER);

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'TransientAwsError',
        message: expect.stringContaining('dynamodb:UpdateItem (forget waiter) failed'),
      });
    });
  });
});
