import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/envelope/await-lock.ts';
import { handler as releaseHandler } from '../../../lambdas/envelope/release-lock.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { EXECUTION_ARN, TABLE, deploymentOf, stubDeployerEnv } from '../../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);
const NOW = Date.parse('2026-01-31T12:00:00.000Z');
const OLDER = { executionArn: EXECUTION_ARN.replace(/:[^:]+$/, ':web-older'), token: 'older-token', since: '2026-01-31T11:00:00.000Z' };

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

describe('AwaitLock', () => {
  let restoreClock: () => void;
  beforeEach(() => {
    ddbMock.reset();
    sfnMock.reset();
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    stubDeployerEnv();
    restoreClock = useClock({ now: () => NOW });
  });
  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  it('leaves its task token on the lock item while another execution holds it and it is the newest waiting', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    ddbMock.on(UpdateCommand).resolves({ Attributes: { holder: 'someone', latestExecution: deployment.executionId } });

    // Act
    const result = await handler({ deployment, token: 'my-token' }, lambdaContext());

    // Assess
    expect(result).toEqual({ registered: true });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: { pk: 'SERVICE#web', sk: 'LOCK' },
      UpdateExpression: 'SET #w = :waiter',
      ConditionExpression: 'latestExecution = :me AND attribute_exists(holder) AND holder <> :me',
      ExpressionAttributeValues: { ':waiter': { executionArn: deployment.executionId, token: 'my-token', since: new Date(NOW).toISOString() }, ':me': deployment.executionId },
    });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('wakes itself at once when the lock was released (or a newer deployment came) since it looked', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const result = await handler({ deployment: deploymentOf('web'), token: 'my-token' }, lambdaContext());

    // Assess
    expect(result).toEqual({ registered: false });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'my-token' });
  });

  it('wakes the waiter it replaces as the newest, so that one finds it was superseded now rather than in 15 minutes', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).resolves({ Attributes: { waiter: OLDER } });

    // Act
    await handler({ deployment: deploymentOf('web'), token: 'my-token' }, lambdaContext());

    // Assess
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: 'older-token' });
  });
});

describe('ReleaseLock wakes the waiting deployment', () => {
  beforeEach(() => {
    ddbMock.reset();
    sfnMock.reset();
    stubDeployerEnv();
  });
  afterEach(() => vi.unstubAllEnvs());

  it('sends the waiter its task token once the lock is released', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).resolves({ Attributes: { holder: EXECUTION_ARN, waiter: OLDER } });
    sfnMock.on(SendTaskSuccessCommand).resolves({});

    // Act
    const result = await releaseHandler({ service: 'web', executionArn: EXECUTION_ARN }, lambdaContext());

    // Assess
    expect(result).toEqual({ released: true });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, { ReturnValues: 'ALL_OLD' });
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: 'older-token' });
  });

  it('still releases when the waiter is gone (its wait timed out: it re-checks on its own)', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).resolves({ Attributes: { holder: EXECUTION_ARN, waiter: OLDER } });
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: { httpStatusCode: 400 } }));

    // Act
    const result = await releaseHandler({ service: 'web', executionArn: EXECUTION_ARN }, lambdaContext());

    // Assess
    expect(result).toEqual({ released: true });
  });
});
