import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/envelope/release-lock.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { EXECUTION_ARN, TABLE, stubDeployerEnv } from '../../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);

/** What the ReleaseLock states pass: the service and `$$.Execution.Id`. */
const event = { service: 'web', executionArn: EXECUTION_ARN };

describe('ReleaseLock', () => {
  beforeEach(() => {
    ddbMock.reset();
    stubDeployerEnv();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('removes the holder, and any approval or promote request it left, only on condition that this execution holds the lock', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).resolves({});

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ released: true });
    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: TABLE,
      Key: { pk: 'SERVICE#web', sk: 'LOCK' },
      UpdateExpression: 'REMOVE holder, holderImage, heldSince, approval, promote, waiter',
      ConditionExpression: 'holder = :me',
      ExpressionAttributeValues: { ':me': EXECUTION_ARN },
    });
  });

  it('releases the lock the watcher handed to a restore run, by the restore run’s own execution ARN', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).resolves({});
    const restoreRun = `${EXECUTION_ARN}-restore`;

    // Act
    await handler({ service: 'web', executionArn: restoreRun }, lambdaContext());

    // Assess
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, { ExpressionAttributeValues: { ':me': restoreRun } });
  });

  it('leaves a lock held by another execution alone and reports it was not released, without failing', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }),
    );

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ released: false });
  });

  it('fails with AwsCallFailed when the table refuses the write for another reason', async () => {
    // Prepare
    const denied = new DynamoDBServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      message: 'not authorized to perform: dynamodb:UpdateItem',
      $metadata: { httpStatusCode: 400 },
    });
    ddbMock.on(UpdateCommand).rejects(denied);

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'AwsCallFailed',
      message: expect.stringContaining('dynamodb:UpdateItem (release) failed: AccessDeniedException'),
      cause: denied,
    });
  });

  it('rejects the old event shape (a whole deployment) as InvalidInput before touching the table', async () => {
    // Prepare
    const old = { deployment: { service: 'web', executionId: EXECUTION_ARN } };

    // Act
    const result = handler(old, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('executionArn: required') });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });
});
