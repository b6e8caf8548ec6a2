import { ConditionalCheckFailedException, DynamoDBServiceException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/envelope/acquire-lock.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { EXECUTION_ARN, REGISTRY, TABLE, deploymentOf, stubDeployerEnv } from '../../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);

const NOW = Date.parse('2026-01-31T12:00:05.000Z');
const LOCK_KEY = { pk: 'SERVICE#web', sk: 'LOCK' };
const OTHER_EXECUTION = EXECUTION_ARN.replace(/:[^:]+$/, ':web-other');
const OTHER_IMAGE = `${REGISTRY}/web@sha256:${'ef56'.repeat(16)}`;

/**
 * The refusal DynamoDB sends back with ReturnValuesOnConditionCheckFailure: ALL_OLD.
 * The document client does not unmarshall it: attributes arrive as `{ S: ... }`.
 */
function conditionFailed(item: Record<string, string>): ConditionalCheckFailedException {
  const Item: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(item)) Item[key] = { S: value };
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    Item,
  });
}

/** Answer the two writes of acquireLock: register as newest, then take the lock. */
function onRegister() {
  return ddbMock.on(UpdateCommand, {
    UpdateExpression: 'SET latestExecution = :me, latestRequestedAt = :at, latestImage = :image',
  });
}
function onTake() {
  return ddbMock.on(UpdateCommand, {
    UpdateExpression: 'SET holder = :me, holderImage = :image, heldSince = :now',
    ConditionExpression: '(attribute_not_exists(holder) OR holder = :me) AND latestExecution = :me',
  });
}
function onTakeOver() {
  return ddbMock.on(UpdateCommand, { ConditionExpression: 'holder = :stale AND latestExecution = :me' });
}
/** The lock is held by OTHER_EXECUTION and this deployment is the newest waiting one. */
function heldByOther(deployment: { executionId: string }) {
  onRegister().resolves({});
  onTake().rejects(conditionFailed({ latestExecution: deployment.executionId, holder: OTHER_EXECUTION, holderImage: OTHER_IMAGE }));
}
const OTHER_STARTED = new Date('2026-01-31T11:00:00.000Z');

/** DynamoDB throttling, as the SDK throws it once its own retries are spent. */
function throttling(): DynamoDBServiceException {
  return Object.assign(
    new DynamoDBServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      message: 'Rate of requests exceeds the allowed throughput.',
      $metadata: { httpStatusCode: 400 },
    }),
    { $retryable: { throttling: true } },
  );
}

describe('AcquireLock', () => {
  let restoreClock: () => void;

  beforeEach(() => {
    ddbMock.reset();
    sfnMock.reset();
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', name: 'web-other', startDate: OTHER_STARTED });
    // No history of the holder unless a test says so: nothing of it to restore.
    ddbMock.on(GetCommand).resolves({});
    stubDeployerEnv();
    restoreClock = useClock({ now: () => NOW });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  it('takes a free lock: registers as the newest request, then takes it only if still newest and free', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    ddbMock.on(UpdateCommand).resolves({});

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({ status: 'ACQUIRED', holder: deployment.executionId });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(ddbMock).toHaveReceivedNthCommandWith(UpdateCommand, 1, {
      TableName: TABLE,
      Key: LOCK_KEY,
      UpdateExpression: 'SET latestExecution = :me, latestRequestedAt = :at, latestImage = :image',
      ConditionExpression:
        'attribute_not_exists(latestRequestedAt) OR latestRequestedAt < :at OR (latestRequestedAt = :at AND latestExecution <= :me)',
      ExpressionAttributeValues: { ':me': deployment.executionId, ':at': deployment.requestedAt, ':image': deployment.image },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(ddbMock).toHaveReceivedNthCommandWith(UpdateCommand, 2, {
      TableName: TABLE,
      Key: LOCK_KEY,
      UpdateExpression: 'SET holder = :me, holderImage = :image, heldSince = :now',
      ConditionExpression: '(attribute_not_exists(holder) OR holder = :me) AND latestExecution = :me',
      ExpressionAttributeValues: {
        ':me': deployment.executionId,
        ':image': deployment.image,
        ':now': new Date(NOW).toISOString(),
      },
    });
  });

  it('is superseded when a newer request of the service registered first, and says by which image', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    const newerAt = '2026-01-31T12:00:03.000Z';
    onRegister().rejects(
      conditionFailed({ latestExecution: OTHER_EXECUTION, latestImage: OTHER_IMAGE, latestRequestedAt: newerAt }),
    );

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ status: 'SUPERSEDED', holder: OTHER_EXECUTION });
    expect(result.reason).toContain(`a newer deployment of web (${OTHER_IMAGE}, requested at ${newerAt}`);
    expect(result.reason).toContain('nothing was changed');
    // It never tries to take the lock.
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('waits while another execution holds the lock, naming the holder and what it deploys', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    onRegister().resolves({});
    onTake().rejects(
      conditionFailed({
        latestExecution: deployment.executionId,
        holder: OTHER_EXECUTION,
        holderImage: OTHER_IMAGE,
      }),
    );

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({
      status: 'WAITING',
      holder: OTHER_EXECUTION,
      reason: `web is being deployed by ${OTHER_EXECUTION} (${OTHER_IMAGE}); waiting for it to end`,
    });
  });

  it('keeps waiting without touching the lock while the holder still runs', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    heldByOther(deployment);

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result.status).toBe('WAITING');
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: OTHER_EXECUTION });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });

  it('takes over the lock of a holder that was stopped without releasing it, and records how it ended', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    heldByOther(deployment);
    sfnMock.on(DescribeExecutionCommand).resolves({
      status: 'ABORTED',
      name: 'web-other',
      startDate: OTHER_STARTED,
      stopDate: new Date('2026-01-31T11:10:00.000Z'),
    });
    onTakeOver().resolves({});
    const onHistory = ddbMock.on(UpdateCommand, { Key: { pk: 'SERVICE#web', sk: `DEPLOY#${OTHER_STARTED.toISOString()}#web-other` } });
    onHistory.resolves({});

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({
      status: 'ACQUIRED',
      holder: deployment.executionId,
      reason: `took over the lock of ${OTHER_EXECUTION}, which ended ABORTED without releasing it`,
    });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: LOCK_KEY,
      ConditionExpression: 'holder = :stale AND latestExecution = :me',
      ExpressionAttributeValues: expect.objectContaining({ ':stale': OTHER_EXECUTION, ':me': deployment.executionId }),
    });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'SERVICE#web', sk: `DEPLOY#${OTHER_STARTED.toISOString()}#web-other` },
      ExpressionAttributeValues: expect.objectContaining({
        ':v1': 'ABORTED',
        ':v5': `execution was stopped; its lock was taken over by ${deployment.executionId}`,
      }),
    });
  });

  it('takes over the lock of a holder Step Functions no longer knows', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    heldByOther(deployment);
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: { httpStatusCode: 400 } }));
    onTakeOver().resolves({});

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ status: 'ACQUIRED', reason: expect.stringContaining('no longer exists') });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateCommand, 3);
  });

  it('takes over the lock of a holder that succeeded without releasing it, leaving its history as it recorded it', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    heldByOther(deployment);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', name: 'web-other', startDate: OTHER_STARTED });
    onTakeOver().resolves({});

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ status: 'ACQUIRED', reason: expect.stringContaining('which ended SUCCEEDED without releasing it') });
    // register, take, take over: no history write for an execution that ran its own clean-up.
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateCommand, 3);
  });

  it('does not take over, for a while, a lock whose holder does not exist yet (the watcher handed it to a restore run it is starting)', async () => {
    // Prepare: handed over 30 s ago to `<name>-restore`, which Step Functions does not know yet.
    const deployment = deploymentOf('web');
    onRegister().resolves({});
    onTake().rejects(
      conditionFailed({
        latestExecution: deployment.executionId,
        holder: `${OTHER_EXECUTION}-restore`,
        heldSince: new Date(NOW - 30_000).toISOString(),
      }),
    );
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: { httpStatusCode: 400 } }));
    onTakeOver().resolves({});

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ status: 'WAITING', holder: `${OTHER_EXECUTION}-restore` });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });

  it('takes over the lock of a holder that still does not exist long after it was handed the lock', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    onRegister().resolves({});
    onTake().rejects(
      conditionFailed({
        latestExecution: deployment.executionId,
        holder: `${OTHER_EXECUTION}-restore`,
        heldSince: new Date(NOW - 11 * 60_000).toISOString(),
      }),
    );
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: { httpStatusCode: 400 } }));
    onTakeOver().resolves({});

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ status: 'ACQUIRED', reason: expect.stringContaining('no longer exists') });
  });

  it('takes over the lock of a holder that ended, however recently it took the lock', async () => {
    // Prepare: the grace for a holder that does not exist yet is not for one that ended.
    const deployment = deploymentOf('web');
    onRegister().resolves({});
    onTake().rejects(conditionFailed({ latestExecution: deployment.executionId, holder: OTHER_EXECUTION, heldSince: new Date(NOW - 60_000).toISOString() }));
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', name: 'web-other', startDate: OTHER_STARTED });
    onTakeOver().resolves({});

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({
      status: 'ACQUIRED',
      holder: deployment.executionId,
      reason: `took over the lock of ${OTHER_EXECUTION}, which ended SUCCEEDED without releasing it`,
    });
  });

  it('takes over the lock of a holder that still does not exist exactly 10 minutes after it was handed the lock', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    onRegister().resolves({});
    onTake().rejects(
      conditionFailed({
        latestExecution: deployment.executionId,
        holder: `${OTHER_EXECUTION}-restore`,
        heldSince: new Date(NOW - 10 * 60_000).toISOString(),
      }),
    );
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: { httpStatusCode: 400 } }));
    onTakeOver().resolves({});

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ status: 'ACQUIRED', reason: expect.stringContaining('no longer exists') });
  });

  it('restores a holder that was stopped after it changed something (its history has a snapshot) instead of taking its lock', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    heldByOther(deployment);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', name: 'web-other', startDate: OTHER_STARTED, stopDate: new Date(NOW - 60_000) });
    ddbMock.on(GetCommand).resolves({ Item: { status: 'IN_PROGRESS', snapshotJson: '{}' } });
    ddbMock.on(UpdateCommand, { ConditionExpression: 'holder = :holder' }).resolves({});
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${OTHER_EXECUTION}-restore` });

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess: the lock goes to the restore run, which starts; this deployment keeps waiting.
    expect(result).toMatchObject({ status: 'WAITING', holder: `${OTHER_EXECUTION}-restore`, reason: expect.stringContaining('its snapshot is being restored') });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeValues: expect.objectContaining({ ':holder': OTHER_EXECUTION, ':next': `${OTHER_EXECUTION}-restore` }),
    });
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: OTHER_EXECUTION.replace(':execution:', ':stateMachine:').replace(/:web-other$/, ''),
      name: 'web-other-restore',
    });
    expect(ddbMock).not.toHaveReceivedCommandWith(UpdateCommand, { ConditionExpression: 'holder = :stale AND latestExecution = :me' });
  });

  it('keeps waiting on the stopped holder when another deployment took its lock before a restore run could', async () => {
    // Prepare: the hand-over to the restore run is refused, and the lock is no longer the stopped holder's.
    const deployment = deploymentOf('web');
    heldByOther(deployment);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', name: 'web-other', startDate: OTHER_STARTED, stopDate: new Date(NOW - 60_000) });
    ddbMock.on(GetCommand).resolves({ Item: { status: 'IN_PROGRESS', snapshotJson: '{}' } });
    ddbMock.on(GetCommand, { Key: LOCK_KEY }).resolves({ Item: { holder: 'arn:aws:states:x:y:execution:z:third' } });
    ddbMock.on(UpdateCommand, { ConditionExpression: 'holder = :holder' }).rejects(conditionFailed({ holder: 'arn:aws:states:x:y:execution:z:third' }));
    onTakeOver().rejects(conditionFailed({ holder: 'arn:aws:states:x:y:execution:z:third' }));

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({
      status: 'WAITING',
      holder: OTHER_EXECUTION,
      reason: `web is being deployed by ${OTHER_EXECUTION} (${OTHER_IMAGE}); waiting for it to end`,
    });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('keeps waiting when another deployment took over the stale lock first', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    heldByOther(deployment);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'TIMED_OUT', name: 'web-other', startDate: OTHER_STARTED });
    onTakeOver().rejects(conditionFailed({ holder: 'arn:aws:states:x:y:execution:z:third' }));

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result.status).toBe('WAITING');
  });

  it('is superseded when a newer request registered between its two writes', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    onRegister().resolves({});
    onTake().rejects(
      conditionFailed({ latestExecution: OTHER_EXECUTION, latestImage: OTHER_IMAGE, holder: 'arn:aws:states:x:y:execution:z:first' }),
    );

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ status: 'SUPERSEDED', holder: OTHER_EXECUTION });
    expect(result.reason).toContain(OTHER_IMAGE);
  });

  it('gives the lock again to the execution that holds it (a retried call), even if a newer request is waiting', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    onRegister().rejects(
      conditionFailed({ latestExecution: OTHER_EXECUTION, latestImage: OTHER_IMAGE, holder: deployment.executionId }),
    );

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({ status: 'ACQUIRED', holder: deployment.executionId });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('reports a throttled table as TransientAwsError so the state machine retries', async () => {
    // Prepare
    const throttled = Object.assign(
      new DynamoDBServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate of requests exceeds the allowed throughput.',
        $metadata: { httpStatusCode: 400 },
      }),
      { $retryable: { throttling: true } },
    );
    ddbMock.on(UpdateCommand).rejects(throttled);

    // Act
    const result = handler({ deployment: deploymentOf('web') }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('dynamodb:UpdateItem (register) failed'),
      cause: throttled,
    });
  });

  it('reports a throttled second write (taking the lock) as TransientAwsError, not as superseded or waiting', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    onRegister().resolves({});
    onTake().rejects(throttling());

    // Act
    const result = handler({ deployment }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('dynamodb:UpdateItem (take) failed'),
    });
  });

  it('gives the lock again to a retried call that already took it, when a newer request registered since', async () => {
    // Prepare: the first call took the lock but its answer was lost; the retry's take is refused
    // because a newer deployment is now the latest, yet this execution holds the lock.
    const deployment = deploymentOf('web');
    onRegister().resolves({});
    onTake().rejects(conditionFailed({ latestExecution: OTHER_EXECUTION, latestImage: OTHER_IMAGE, holder: deployment.executionId }));

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({ status: 'ACQUIRED', holder: deployment.executionId });
  });

  it('waits, saying since when the holder has held the lock', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    const heldSince = '2026-01-31T11:30:00.000Z';
    onRegister().resolves({});
    onTake().rejects(conditionFailed({ latestExecution: deployment.executionId, holder: OTHER_EXECUTION, heldSince }));

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({
      status: 'WAITING',
      holder: OTHER_EXECUTION,
      heldSince,
      reason: `web is being deployed by ${OTHER_EXECUTION} (?); waiting for it to end`,
    });
  });

  it('says which details of a newer deployment are unknown when the table does not have them', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    onRegister().rejects(conditionFailed({ latestExecution: OTHER_EXECUTION }));

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result.reason).toBe(
      `a newer deployment of web (unknown image, requested at ?, execution ${OTHER_EXECUTION}) replaced this one before it started; nothing was changed`,
    );
  });

  it('reports a throttled take-over as TransientAwsError instead of waiting as if another deployment had taken the lock', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    heldByOther(deployment);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', name: 'web-other', startDate: OTHER_STARTED });
    onTakeOver().rejects(throttling());

    // Act
    const result = handler({ deployment }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('dynamodb:UpdateItem (take over) failed'),
    });
  });

  it('reports a throttled hand-over to a restore run as TransientAwsError instead of waiting', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    heldByOther(deployment);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', name: 'web-other', startDate: OTHER_STARTED, stopDate: new Date(NOW - 60_000) });
    ddbMock.on(GetCommand).resolves({ Item: { status: 'IN_PROGRESS', snapshotJson: '{}' } });
    ddbMock.on(UpdateCommand, { ConditionExpression: 'holder = :holder' }).rejects(throttling());

    // Act
    const result = handler({ deployment }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('dynamodb:UpdateItem (hand over) failed'),
    });
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('stays superseded, never taking the lock, when the newer deployment has already ended', async () => {
    // Prepare: a newer request registered, then ended before it ever took the lock.
    const deployment = deploymentOf('web');
    ddbMock.on(UpdateCommand).resolves({});
    onRegister().rejects(conditionFailed({ latestExecution: OTHER_EXECUTION, latestImage: OTHER_IMAGE }));
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', name: 'web-other', startDate: OTHER_STARTED });

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ status: 'SUPERSEDED', holder: OTHER_EXECUTION });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('keeps waiting, without looking for a stale holder, when the lock item does not say who holds it', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    ddbMock.on(UpdateCommand).resolves({});
    onRegister().resolves({});
    const refusal = conditionFailed({ latestExecution: deployment.executionId });
    Object.assign(refusal.Item ?? {}, { holder: { N: '42' } });
    onTake().rejects(refusal);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', name: 'web-other', startDate: OTHER_STARTED });

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ status: 'WAITING', holder: 'unknown' });
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('does not look for a stale holder when it took the lock', async () => {
    // Prepare: Step Functions would call any execution ended.
    const deployment = deploymentOf('web');
    ddbMock.on(UpdateCommand).resolves({});
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', name: 'web', startDate: OTHER_STARTED });

    // Act
    const result = await handler({ deployment }, lambdaContext());

    // Assess
    expect(result).toEqual({ status: 'ACQUIRED', holder: deployment.executionId });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('rejects an event without a deployment as InvalidInput before touching the table', async () => {
    // Prepare
    const event = { deployment: { service: 'web' } };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('deployment.') });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });

  describe('logs, for an operator tracing why a deployment waits or took a lock', () => {
    /** What the handler logged at `level`: message and attributes, in order. */
    function logged(level: 'info' | 'warn'): unknown[][] {
      return vi.mocked(logger[level]).mock.calls.map((call) => [...call]);
    }

    beforeEach(() => {
      vi.spyOn(logger, 'info');
      vi.spyOn(logger, 'warn');
    });

    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('logs the lock result with the service', async () => {
      // Prepare
      const deployment = deploymentOf('web');
      heldByOther(deployment);

      // Act
      await handler({ deployment }, lambdaContext());

      // Assess
      expect(logged('info')).toContainEqual([
        'lock',
        { serviceName: 'web', status: 'WAITING', holder: OTHER_EXECUTION, reason: `web is being deployed by ${OTHER_EXECUTION} (${OTHER_IMAGE}); waiting for it to end` },
      ]);
    });

    it.each([
      ['stopped', () => sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', name: 'web-other', startDate: OTHER_STARTED }), 'ABORTED'],
      [
        'gone',
        () => sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: { httpStatusCode: 400 } })),
        'GONE',
      ],
    ])('warns of a stale lock taken over from a %s holder, saying how it ended', async (_what, holderEnded, status) => {
      // Prepare
      const deployment = deploymentOf('web');
      heldByOther(deployment);
      holderEnded();
      ddbMock.on(UpdateCommand, { ConditionExpression: 'holder = :stale AND latestExecution = :me' }).resolves({});
      ddbMock.on(UpdateCommand, { Key: { pk: 'SERVICE#web', sk: `DEPLOY#${OTHER_STARTED.toISOString()}#web-other` } }).resolves({});

      // Act
      await handler({ deployment }, lambdaContext());

      // Assess
      expect(logged('warn')).toContainEqual(['stale lock taken over', { serviceName: 'web', staleHolder: OTHER_EXECUTION, status }]);
    });

    it('warns that a stopped holder is being restored before its lock is taken', async () => {
      // Prepare
      const deployment = deploymentOf('web');
      heldByOther(deployment);
      sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', name: 'web-other', startDate: OTHER_STARTED, stopDate: new Date(NOW - 60_000) });
      ddbMock.on(GetCommand).resolves({ Item: { status: 'IN_PROGRESS', snapshotJson: '{}' } });
      ddbMock.on(UpdateCommand, { ConditionExpression: 'holder = :holder' }).resolves({});
      sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${OTHER_EXECUTION}-restore` });

      // Act
      await handler({ deployment }, lambdaContext());

      // Assess
      expect(logged('warn')).toContainEqual([
        'restoring a stopped deployment before taking its lock',
        { serviceName: 'web', staleHolder: OTHER_EXECUTION, restoring: `${OTHER_EXECUTION}-restore` },
      ]);
    });
  });
});
