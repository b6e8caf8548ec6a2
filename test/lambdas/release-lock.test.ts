import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/release-lock.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { TABLE, deploymentOf, stubDeployerEnv } from '../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);

describe('ReleaseLock', () => {
  beforeEach(() => {
    ddbMock.reset();
    stubDeployerEnv();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('removes the holder only on condition that this execution holds the lock', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    ddbMock.on(UpdateCommand).resolves({});

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({ released: true });
    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: TABLE,
      Key: { pk: `SERVICE#${deployment.service}`, sk: 'LOCK' },
      UpdateExpression: 'REMOVE holder, holderImage, heldSince',
      ConditionExpression: 'holder = :me',
      ExpressionAttributeValues: { ':me': deployment.executionId },
    });
  });

  it('leaves a lock held by another execution alone and reports it was not released, without failing', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }),
    );

    // Act
    const result = await handler({ deployment: deploymentOf('web') }, lambdaContext());

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
    const result = handler({ deployment: deploymentOf('web') }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'AwsCallFailed',
      message: expect.stringContaining('dynamodb:UpdateItem (release) failed: AccessDeniedException'),
      cause: denied,
    });
  });
});
