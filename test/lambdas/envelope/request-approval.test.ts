import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { approvalInstructions, handler } from '../../../lambdas/envelope/request-approval.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { EVENT_BUS, TABLE, canaryDeployment, stubDeployerEnv } from '../../support/lambda-fixtures.ts';
import { vmDeployment } from '../vm/vm-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);
const eventsMock = mockClient(EventBridgeClient);

const NOW = Date.parse('2026-01-31T12:15:00.000Z');
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAf1example-task-token';

describe('RequestApproval', () => {
  const deployment = canaryDeployment();
  /** What the approval step passes: `$.progress` at the step (index 2: after 10% and 25%), `$$.Task.Token`, the step's timeout. */
  const event = {
    deployment,
    progress: { step: 2, weight: 25, count: 5, current: { kind: 'approval', timeoutSeconds: 14_400 }, phase: 'step' },
    token: TOKEN,
    timeoutSeconds: 14_400,
  };
  let restoreClock: () => void;

  beforeEach(() => {
    ddbMock.reset();
    eventsMock.reset();
    stubDeployerEnv();
    restoreClock = useClock({ now: () => NOW });
    ddbMock.on(UpdateCommand).resolves({});
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  it('stores the task token on the lock item, only while this execution holds the lock', async () => {
    // Prepare
    const timeoutAt = new Date(NOW + 14_400_000).toISOString();

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ requested: true });
    expect(ddbMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: TABLE,
      Key: { pk: 'SERVICE#checkout', sk: 'LOCK' },
      UpdateExpression: 'SET #a = :approval',
      ConditionExpression: 'holder = :me',
      ExpressionAttributeNames: { '#a': 'approval' },
      ExpressionAttributeValues: {
        ':approval': {
          token: TOKEN,
          executionArn: deployment.executionId,
          step: 2,
          requestedAt: new Date(NOW).toISOString(),
          timeoutAt,
        },
        ':me': deployment.executionId,
      },
    });
  });

  it('announces the request with the commands that answer it and when it counts as rejected', async () => {
    // Prepare
    const timeoutAt = new Date(NOW + 14_400_000).toISOString();

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({ Source: 'ecs-deployer', DetailType: 'Deployment Approval Requested', EventBusName: EVENT_BUS });
    const detail = JSON.parse(entry?.Detail ?? '{}') as Record<string, unknown>;
    expect(detail).toEqual({
      service: 'checkout',
      strategy: 'canary',
      status: 'IN_PROGRESS',
      image: deployment.image,
      executionArn: deployment.executionId,
      step: 2,
      timeoutAt,
      reason:
        'waiting for approval at step 3 of 5 (25% on the new revision so far): approve with `deployer approve checkout`, or reject (and roll back) with `deployer reject checkout --reason "..."`; rejected automatically after 4h',
    });
    expect(detail.reason).toContain(approvalInstructions('checkout'));
  });

  it("announces a VM canary's approval as the canary's, with its share of the hosts", async () => {
    // Prepare: the VM canary state machine's CanaryProgress after the first batch (a VM canary has no traffic steps).
    const canary = vmDeployment({ service: 'worker', strategy: 'canary', canaryApproval: true, canaryBakeSeconds: 600 });

    // Act
    await handler({ deployment: canary, progress: { step: 0, weight: 34, phase: 'canary' }, token: TOKEN, timeoutSeconds: 3600 }, lambdaContext());

    // Assess
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    const detail = JSON.parse(entry?.Detail ?? '{}') as Record<string, unknown>;
    expect(detail.reason).toBe(
      'waiting for approval of the canary (34% of the hosts on the new release): approve with `deployer approve worker`, or reject (and roll back) with `deployer reject worker --reason "..."`; rejected automatically after 1h',
    );
  });

  it('fails, announcing nothing, when the execution no longer holds the lock', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }),
    );

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'AwsCallFailed',
      message: expect.stringContaining('dynamodb:UpdateItem (approval) failed: ConditionalCheckFailedException'),
    });
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects an event without a task token before writing anything', async () => {
    // Prepare
    const { token: _token, ...withoutToken } = event;

    // Act
    const result = handler(withoutToken, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('token: required') });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });
});
