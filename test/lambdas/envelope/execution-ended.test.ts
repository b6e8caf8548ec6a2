import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ExecutionAlreadyExists, SFNClient, SFNServiceException, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/envelope/execution-ended.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  ACCOUNT,
  EVENT_BUS,
  EXECUTION_ARN,
  EXECUTION_NAME,
  EXECUTION_START,
  REGION,
  REGISTRY,
  STATE_MACHINE_ARN,
  TABLE,
  rollingDeployment,
  rollingSnapshot,
  stubDeployerEnv,
} from '../../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);
const eventsMock = mockClient(EventBridgeClient);

const NOW = Date.parse('2026-01-31T12:06:00.000Z');
const LOCK_KEY = { pk: 'SERVICE#web', sk: 'LOCK' };
/** The key RecordEvent writes the history of this execution under. */
const HISTORY_KEY = { pk: 'SERVICE#web', sk: `DEPLOY#${EXECUTION_START}#${EXECUTION_NAME}` };
const STOPPED_AT = Date.parse(EXECUTION_START) + 300_000;
const RESTORE_NAME = `${EXECUTION_NAME}-restore`;
const RESTORE_ARN = `${EXECUTION_ARN}-restore`;

type Status = 'ABORTED' | 'TIMED_OUT' | 'FAILED' | 'SUCCEEDED' | 'RUNNING';

/** A `Step Functions Execution Status Change` event as EventBridge delivers it. */
function statusChange(status: Status, detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: new Date(STOPPED_AT).toISOString(),
    region: REGION,
    resources: [EXECUTION_ARN],
    detail: {
      executionArn: EXECUTION_ARN,
      stateMachineArn: STATE_MACHINE_ARN,
      name: EXECUTION_NAME,
      status,
      startDate: Date.parse(EXECUTION_START),
      stopDate: STOPPED_AT,
      input: JSON.stringify({ service: 'web', image: `${REGISTRY}/web:v1.2.0` }),
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: null,
      cause: null,
      ...detail,
    },
  };
}

/** What the watcher gives a restore run of this execution (stopped). */
const RESTORE_REQUEST = {
  executionArn: EXECUTION_ARN,
  service: 'web',
  name: EXECUTION_NAME,
  startDate: Date.parse(EXECUTION_START),
  status: 'ABORTED',
  reason: 'execution was stopped',
};

/** The status change of the restore run itself. */
function restoreRunEnded(status: Status, detail: Record<string, unknown> = {}) {
  return statusChange(status, {
    executionArn: RESTORE_ARN,
    name: RESTORE_NAME,
    startDate: STOPPED_AT + 1_000,
    stopDate: NOW,
    input: JSON.stringify({ restore: RESTORE_REQUEST }),
    ...detail,
  });
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

/** The history item RecordEvent left: STARTED stores the deployment and snapshot. */
function historyIs(item: Record<string, unknown> | undefined): void {
  ddbMock.on(GetCommand, { Key: HISTORY_KEY }).resolves({ Item: item === undefined ? undefined : { ...HISTORY_KEY, ...item } });
}
const STARTED_ITEM = {
  status: 'IN_PROGRESS',
  deploymentJson: JSON.stringify(rollingDeployment()),
  snapshotJson: JSON.stringify(rollingSnapshot()),
};

function lockHeldBy(holder: string | undefined): void {
  ddbMock.on(GetCommand, { Key: LOCK_KEY }).resolves({ Item: holder === undefined ? { ...LOCK_KEY } : { ...LOCK_KEY, holder } });
}

function writesTo(key: { pk: string; sk: string }): UpdateCommandInput[] {
  return ddbMock
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Key?.pk === key.pk && input.Key?.sk === key.sk);
}

/** The history item's fields as the writes to it left them (later writes win), by attribute name. */
function historyFields(): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const input of writesTo(HISTORY_KEY)) {
    for (const [placeholder, field] of Object.entries(input.ExpressionAttributeNames ?? {})) {
      if (placeholder.startsWith('#f')) fields[field] = input.ExpressionAttributeValues?.[placeholder.replace('#f', ':v')];
    }
  }
  return fields;
}

function eventsPut(): { DetailType?: string; detail: Record<string, unknown> }[] {
  return eventsMock.commandCalls(PutEventsCommand).map((call) => {
    const entry = call.args[0].input.Entries?.[0];
    return { DetailType: entry?.DetailType, detail: JSON.parse(entry?.Detail ?? '{}') as Record<string, unknown> };
  });
}

describe('ExecutionEnded', () => {
  let restoreClock: () => void;

  beforeEach(() => {
    ddbMock.reset();
    sfnMock.reset();
    eventsMock.reset();
    stubDeployerEnv();
    restoreClock = useClock({ now: () => NOW });
    ddbMock.on(UpdateCommand).resolves({});
    historyIs(undefined);
    lockHeldBy(EXECUTION_ARN);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: RESTORE_ARN, startDate: new Date(NOW) });
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  describe('a deployment that changed nothing yet (no snapshot in its history)', () => {
    it.each([
      ['ABORTED', 'execution was stopped', 'Deployment Aborted'],
      ['TIMED_OUT', 'execution timed out', 'Deployment Timed Out'],
    ] as const)('releases the lock a %s execution held, closes its history and announces it', async (status, why, detailType) => {
      // Prepare
      const event = statusChange(status);

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'recorded', released: true, recorded: true });
      expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
        TableName: TABLE,
        Key: LOCK_KEY,
        UpdateExpression: 'REMOVE holder, holderImage, heldSince, approval, promote, waiter',
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': EXECUTION_ARN },
      });
      const [history] = writesTo(HISTORY_KEY);
      expect(history).toMatchObject({
        TableName: TABLE,
        ConditionExpression: 'attribute_not_exists(#status) OR #status = :open',
        ExpressionAttributeValues: expect.objectContaining({ ':open': 'IN_PROGRESS' }),
      });
      expect(historyFields()).toMatchObject({
        service: 'web',
        status,
        executionArn: EXECUTION_ARN,
        startedAt: EXECUTION_START,
        endedAt: new Date(STOPPED_AT).toISOString(),
        reason: `${why}; its lock was released`,
      });
      expect(eventsPut()).toEqual([
        // How long it ran, from the event's start and stop dates.
        { DetailType: detailType, detail: { service: 'web', status, executionArn: EXECUTION_ARN, reason: why, durationSeconds: (STOPPED_AT - Date.parse(EXECUTION_START)) / 1000 } },
      ]);
      expect(eventsMock).toHaveReceivedCommandWith(PutEventsCommand, { Entries: [expect.objectContaining({ EventBusName: EVENT_BUS, Source: 'ecs-deployer' })] });
      expect(sfnMock).not.toHaveReceivedAnyCommand();
    });

    it('says who stopped the execution and why, when the stop gave a cause (deployer rollback does)', async () => {
      // Prepare
      const event = statusChange('ABORTED', { cause: 'rollback requested by alice: p99 doubled' });

      // Act
      await handler(event, lambdaContext());

      // Assess
      expect(historyFields().reason).toBe('execution was stopped: rollback requested by alice: p99 doubled; its lock was released');
      expect(eventsPut()[0]?.detail.reason).toBe('execution was stopped: rollback requested by alice: p99 doubled');
    });

    it('forgets a deployment that was stopped while it waited, so the ones behind it are not superseded by it', async () => {
      // Prepare
      const event = statusChange('ABORTED');

      // Act
      await handler(event, lambdaContext());

      // Assess
      expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
        Key: LOCK_KEY,
        UpdateExpression: 'REMOVE latestExecution, latestRequestedAt, latestImage',
        ConditionExpression: 'latestExecution = :me',
        ExpressionAttributeValues: { ':me': EXECUTION_ARN },
      });
    });

    it('does not take a lock away from another execution', async () => {
      // Prepare
      ddbMock.on(UpdateCommand, { Key: LOCK_KEY }).rejects(conditionFailed());
      const event = statusChange('TIMED_OUT');

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'recorded', released: false, recorded: true });
      expect(historyFields().reason).toBe('execution timed out');
    });

    it('cleans up after an execution that failed outside a Catch, saying why it failed', async () => {
      // Prepare
      const event = statusChange('FAILED', { error: 'States.Runtime', cause: 'An error occurred while executing the state' });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'recorded', released: true, recorded: true });
      expect(historyFields()).toMatchObject({
        status: 'FAILED',
        reason: 'execution failed: States.Runtime An error occurred while executing the state; its lock was released',
      });
      expect(eventsPut()[0]?.DetailType).toBe('Deployment Failed');
    });
  });

  describe('a deployment whose end was already recorded', () => {
    it('only releases the lock of a deployment stopped after it recorded its success: the verified deployment stays', async () => {
      // Prepare
      historyIs({ ...STARTED_ITEM, status: 'SUCCEEDED' });
      ddbMock.on(UpdateCommand, { Key: HISTORY_KEY }).rejects(conditionFailed());

      // Act
      const result = await handler(statusChange('ABORTED'), lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'released', released: true, recorded: false });
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(eventsMock).not.toHaveReceivedAnyCommand();
      expect(ddbMock).not.toHaveReceivedCommandWith(UpdateCommand, { ConditionExpression: 'holder = :holder' });
    });

    it('leaves a history the state machine already closed alone (a rollback that ended in its Fail state)', async () => {
      // Prepare
      historyIs({ ...STARTED_ITEM, status: 'ROLLED_BACK' });
      ddbMock.on(UpdateCommand, { Key: HISTORY_KEY }).rejects(conditionFailed());
      ddbMock.on(UpdateCommand, { Key: LOCK_KEY, ConditionExpression: 'holder = :me' }).rejects(conditionFailed());

      // Act
      const result = await handler(statusChange('FAILED', { error: 'RolledBack', cause: 'rolled back web' }), lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'none', released: false, recorded: false });
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(eventsMock).not.toHaveReceivedAnyCommand();
    });
  });

  describe('a deployment that succeeded', () => {
    it('does nothing more when the deployment recorded its success itself', async () => {
      // Prepare
      historyIs({ ...STARTED_ITEM, status: 'SUCCEEDED' });

      // Act
      const result = await handler(statusChange('SUCCEEDED'), lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'none', released: false, recorded: false });
      expect(ddbMock).not.toHaveReceivedCommand(UpdateCommand);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(eventsMock).not.toHaveReceivedAnyCommand();
    });

    it('records and announces a success the deployment could not record (RecordSuccess failed), and restores nothing', async () => {
      // Prepare
      historyIs(STARTED_ITEM);

      // Act
      const result = await handler(statusChange('SUCCEEDED'), lambdaContext());

      // Assess
      expect(result).toMatchObject({ action: 'recorded', recorded: true });
      expect(Object.values(writesTo(HISTORY_KEY)[0]?.ExpressionAttributeValues ?? {})).toContain('SUCCEEDED');
      expect(eventsPut().map((e) => e.DetailType)).toEqual(['Deployment Succeeded']);
      expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    });
  });

  describe('a deployment that had changed something (its history holds a snapshot)', () => {
    it.each(['ABORTED', 'TIMED_OUT'] as const)('hands the lock of a %s deployment to a restore run of the same state machine and starts it', async (status) => {
      // Prepare
      historyIs(STARTED_ITEM);
      const why = status === 'ABORTED' ? 'execution was stopped' : 'execution timed out';

      // Act
      const result = await handler(statusChange(status), lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'restore-started', released: false, recorded: true, restoreExecutionArn: RESTORE_ARN });
      expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
        TableName: TABLE,
        Key: LOCK_KEY,
        UpdateExpression: 'SET holder = :next, heldSince = :now REMOVE approval, promote',
        ConditionExpression: 'holder = :holder',
        ExpressionAttributeValues: { ':next': RESTORE_ARN, ':holder': EXECUTION_ARN, ':now': new Date(NOW).toISOString() },
      });
      expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN, name: RESTORE_NAME });
      const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}') as unknown;
      expect(input).toEqual({ restore: { ...RESTORE_REQUEST, status, reason: why } });
      expect(historyFields()).toMatchObject({
        status,
        reason: `${why}; restoring its snapshot (execution ${RESTORE_NAME})`,
        restore: 'RUNNING',
        restoreExecutionArn: RESTORE_ARN,
      });
      // The lock stays with the restore run, which announces its own result.
      expect(ddbMock).not.toHaveReceivedCommandWith(UpdateCommand, { ConditionExpression: 'holder = :me' });
      expect(eventsMock).not.toHaveReceivedAnyCommand();
    });

    it('restores a deployment that failed outside a Catch too', async () => {
      // Prepare
      historyIs(STARTED_ITEM);

      // Act
      const result = await handler(statusChange('FAILED', { error: 'States.Runtime', cause: 'bad path' }), lambdaContext());

      // Assess
      expect(result.action).toBe('restore-started');
      expect(JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}')).toMatchObject({
        restore: { status: 'FAILED', reason: 'execution failed: States.Runtime bad path' },
      });
    });

    it('is idempotent for a redelivered event: the lock already handed over and the restore run already started', async () => {
      // Prepare
      historyIs(STARTED_ITEM);
      ddbMock.on(UpdateCommand, { Key: LOCK_KEY, ConditionExpression: 'holder = :holder' }).rejects(conditionFailed());
      lockHeldBy(RESTORE_ARN);
      sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));

      // Act
      const result = await handler(statusChange('ABORTED'), lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'restore-started', released: false, recorded: true, restoreExecutionArn: RESTORE_ARN });
      expect(ddbMock).not.toHaveReceivedCommandWith(UpdateCommand, { ConditionExpression: 'holder = :me' });
      expect(eventsMock).not.toHaveReceivedAnyCommand();
    });

    it('does not fail, announce or free the lock when the event comes again after the restore run started', async () => {
      // Prepare: what the first delivery left: the end recorded, the lock with the restore run, the run started.
      historyIs({
        ...STARTED_ITEM,
        status: 'ABORTED',
        reason: `execution was stopped; restoring its snapshot (execution ${RESTORE_NAME})`,
        restore: 'RUNNING',
        restoreExecutionArn: RESTORE_ARN,
      });
      ddbMock.on(UpdateCommand, { Key: LOCK_KEY }).rejects(conditionFailed());
      ddbMock.on(UpdateCommand, { Key: HISTORY_KEY }).rejects(conditionFailed());
      lockHeldBy(RESTORE_ARN);
      sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));

      // Act
      const result = await handler(statusChange('ABORTED'), lambdaContext());

      // Assess
      expect(result.released).toBe(false);
      expect(eventsMock).not.toHaveReceivedAnyCommand();
    });

    it('does not restore when the lock is no longer this execution’s (another deployment took it over)', async () => {
      // Prepare
      historyIs(STARTED_ITEM);
      ddbMock.on(UpdateCommand, { Key: LOCK_KEY }).rejects(conditionFailed());
      lockHeldBy('arn:aws:states:eu-west-1:123456789012:execution:EcsDeployer-ecs-rolling:web-newer');

      // Act
      const result = await handler(statusChange('ABORTED'), lambdaContext());

      // Assess
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(result).toEqual({ action: 'recorded', released: false, recorded: true });
    });

    it('fails with TransientAwsError when Step Functions throttles the start, so the event is delivered again', async () => {
      // Prepare
      historyIs(STARTED_ITEM);
      const throttled = Object.assign(
        new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
        { $retryable: { throttling: true } },
      );
      sfnMock.on(StartExecutionCommand).rejects(throttled);

      // Act
      const result = handler(statusChange('ABORTED'), lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining('states:StartExecution failed') });
    });

    // BUG (lambdas/envelope/execution-ended.ts:122 in `startRestore`, and :171): the end is recorded (status ABORTED)
    // *before* StartExecution. When StartExecution fails (the throttle above) the Lambda retries the event,
    // but the history is no longer IN_PROGRESS, so the retry skips the restore, cannot release the lock
    // (already handed to the restore run) and returns 'none': the restore run never starts, the services
    // stay as the stopped deployment left them (e.g. a canary at 25%), and the lock is held by an
    // execution that does not exist until a later deployment takes it over. Starting the run before
    // recording the end, or resuming when the lock is already held by `<name>-restore`, would fix it.
    it('starts the restore run when the event is delivered again after StartExecution failed', async () => {
      // Prepare: what the first delivery left behind.
      historyIs({
        ...STARTED_ITEM,
        status: 'ABORTED',
        reason: `execution was stopped; restoring its snapshot (execution ${RESTORE_NAME})`,
        restore: 'RUNNING',
        restoreExecutionArn: RESTORE_ARN,
      });
      ddbMock.on(UpdateCommand, { Key: LOCK_KEY }).rejects(conditionFailed());
      ddbMock.on(UpdateCommand, { Key: HISTORY_KEY }).rejects(conditionFailed());
      lockHeldBy(RESTORE_ARN);

      // Act
      const result = await handler(statusChange('ABORTED'), lambdaContext());

      // Assess
      expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { name: RESTORE_NAME });
      expect(result.action).toBe('restore-started');
    });
  });

  describe('a restore run', () => {
    it.each([
      ['ABORTED', {}, 'was stopped'],
      ['TIMED_OUT', {}, 'timed out'],
      ['FAILED', { error: 'States.Runtime', cause: 'bad path' }, 'failed (States.Runtime: bad path)'],
    ] as const)('that ends %s is recorded as a failed restore on the stopped deployment, and its lock released', async (status, detail, how) => {
      // Prepare
      lockHeldBy(RESTORE_ARN);
      const reason = `execution was stopped; the restore run ${RESTORE_NAME} ${how} before it finished; the service needs attention`;

      // Act
      const result = await handler(restoreRunEnded(status, detail), lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'restore-failed', released: true, recorded: true });
      expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
        Key: LOCK_KEY,
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': RESTORE_ARN },
      });
      expect(historyFields()).toEqual({
        status: 'FAILED',
        restore: 'FAILED',
        error: 'RollbackFailed',
        reason,
        restoredAt: new Date(NOW).toISOString(),
      });
      expect(eventsPut()).toEqual([
        { DetailType: 'Deployment Failed', detail: { service: 'web', status: 'FAILED', executionArn: EXECUTION_ARN, reason, error: 'RollbackFailed' } },
      ]);
      // A restore run is never restored.
      expect(sfnMock).not.toHaveReceivedAnyCommand();
    });

    // A restore run whose rollback failed records RESTORE_FAILED itself, releases its lock and ends in its
    // `RestoreFailed` Fail state (FAILED, RollbackFailed): nothing to add, and no second notification.
    it('leaves alone a restore run that recorded its own failure', async () => {
      // Prepare
      historyIs({ ...STARTED_ITEM, status: 'FAILED', restore: 'FAILED', error: 'RollbackFailed' });
      lockHeldBy(undefined);
      ddbMock.on(UpdateCommand, { Key: LOCK_KEY }).rejects(conditionFailed());

      // Act
      await handler(restoreRunEnded('FAILED', { error: 'RollbackFailed', cause: 'ECS rollout of web:41 on prod/web did not finish' }), lambdaContext());

      // Assess
      expect(eventsMock).not.toHaveReceivedAnyCommand();
      expect(writesTo(HISTORY_KEY)).toEqual([]);
    });

    it('does nothing when a restore run succeeds', async () => {
      // Prepare
      const event = restoreRunEnded('SUCCEEDED');

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result).toEqual({ action: 'none', released: false, recorded: false });
      expect(ddbMock).not.toHaveReceivedAnyCommand();
    });
  });

  it.each([
    ['a FAILED execution whose input was rejected', statusChange('FAILED', { error: 'InvalidInput', cause: 'service: required' })],
    ['an execution whose input names no service', statusChange('ABORTED', { input: JSON.stringify({ image: 'x' }) })],
    ['an execution whose input is not JSON', statusChange('ABORTED', { input: 'not json' })],
    ['a RUNNING execution', statusChange('RUNNING')],
  ])('does nothing for %s', async (_what, event) => {
    // Prepare
    const context = lambdaContext();

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ action: 'none', released: false, recorded: false });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
    expect(sfnMock).not.toHaveReceivedAnyCommand();
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects an event that is not an execution status change', async () => {
    // Prepare
    const event = { ...statusChange('ABORTED'), source: 'aws.ecr' };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('source') });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });
});
