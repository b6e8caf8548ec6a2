import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/record-event.ts';
import { useClock } from '../../lambdas/shared/clock.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import {
  EVENT_BUS,
  NEW_TASK_DEFINITION,
  TABLE,
  currentState,
  deploymentOf,
  stubDeployerEnv,
} from '../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);
const eventsMock = mockClient(EventBridgeClient);

const NOW = Date.parse('2026-01-31T12:20:00.000Z');
const deployment = deploymentOf('web');
const current = currentState();

/** A failure as a Catch puts it at `$.failure`: the Lambda's Cause is JSON. */
function lambdaFailure(errorType: string, errorMessage: string) {
  return { Error: errorType, Cause: JSON.stringify({ errorType, errorMessage, trace: ['at handler (index.js:1:1)'] }) };
}
const ROLLOUT_FAILED = lambdaFailure(
  'RolloutFailed',
  'ECS rollout of web:42 on prod/web failed: ECS deployment circuit breaker: tasks failed to start. (3 tasks failed)',
);
const LOCK_REASON = 'a newer deployment of web (…/web@sha256:ef56…) replaced this one before it started; nothing was changed';

/** The fields the single history write sets, by attribute name. */
function historyWritten(): { input: UpdateCommandInput; fields: Record<string, unknown> } {
  const calls = ddbMock.commandCalls(UpdateCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0]!.args[0].input;
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const fields: Record<string, unknown> = {};
  for (const [placeholder, field] of Object.entries(names)) fields[field] = values[placeholder.replace('#f', ':v')];
  return { input, fields };
}

/** The single event put on the bus. */
function eventPut(): { DetailType?: string; Source?: string; EventBusName?: string; detail: Record<string, unknown> } {
  const calls = eventsMock.commandCalls(PutEventsCommand);
  expect(calls).toHaveLength(1);
  const entries = calls[0]!.args[0].input.Entries ?? [];
  expect(entries).toHaveLength(1);
  const [entry] = entries;
  return { ...entry, detail: JSON.parse(entry?.Detail ?? '{}') as Record<string, unknown> };
}

describe('RecordEvent', () => {
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

  it.each([
    ['STARTED', { current }, 'IN_PROGRESS', 'Deployment Started'],
    ['SUCCEEDED', { current, target: { taskDefinitionArn: NEW_TASK_DEFINITION } }, 'SUCCEEDED', 'Deployment Succeeded'],
    ['ROLLED_BACK', { current, failure: ROLLOUT_FAILED }, 'ROLLED_BACK', 'Deployment Rolled Back'],
    ['FAILED', { failure: lambdaFailure('ServiceNotReady', 'ECS service prod/web was not found (MISSING)') }, 'FAILED', 'Deployment Failed'],
    ['SUPERSEDED', { lock: { status: 'SUPERSEDED', reason: LOCK_REASON } }, 'SUPERSEDED', 'Deployment Superseded'],
  ])('records %s in the history of the execution and announces it on the bus', async (phase, extra, status, detailType) => {
    // Prepare
    const event = { phase, deployment, ...extra };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    const { input, fields } = historyWritten();
    expect(input).toMatchObject({
      TableName: TABLE,
      Key: { pk: 'SERVICE#web', sk: `DEPLOY#${deployment.executionStartTime}#${deployment.executionName}` },
    });
    expect(fields).toMatchObject({
      service: 'web',
      status,
      image: deployment.image,
      startedBy: deployment.startedBy,
      executionArn: deployment.executionId,
      startedAt: deployment.executionStartTime,
      reason: outcome.cause,
    });
    expect(outcome.status).toBe(status);
    const put = eventPut();
    expect(put).toMatchObject({ Source: 'ecs-deployer', DetailType: detailType, EventBusName: EVENT_BUS });
    expect(put.detail).toMatchObject({ service: 'web', status, image: deployment.image, reason: outcome.cause });
  });

  it('writes the start time only once and no end time while the deployment runs', async () => {
    // Prepare
    const event = { phase: 'STARTED', deployment, current };

    // Act
    await handler(event, lambdaContext());

    // Assess
    const { input, fields } = historyWritten();
    expect(input.UpdateExpression).toMatch(/#f\d+ = if_not_exists\(#f\d+, :v\d+\)/);
    expect(fields).not.toHaveProperty('endedAt');
    expect(fields).toMatchObject({ previousImage: current.image, previousTaskDefinition: current.taskDefinitionArn });
  });

  it('records when a deployment ended and which revision it left running', async () => {
    // Prepare
    const event = { phase: 'SUCCEEDED', deployment, current, target: { taskDefinitionArn: NEW_TASK_DEFINITION } };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(historyWritten().fields).toMatchObject({
      endedAt: new Date(NOW).toISOString(),
      newTaskDefinition: NEW_TASK_DEFINITION,
    });
    expect(outcome).toEqual({ status: 'SUCCEEDED', cause: `web runs web:42, verified for ${deployment.bakeSeconds}s` });
  });

  it('explains a rollback with the error message of the failed step, not its raw Cause JSON', async () => {
    // Prepare
    const event = { phase: 'ROLLED_BACK', deployment, current, failure: ROLLOUT_FAILED };
    const { errorMessage } = JSON.parse(ROLLOUT_FAILED.Cause) as { errorMessage: string };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toEqual({
      status: 'ROLLED_BACK',
      error: 'RolloutFailed',
      cause: `rolled back web to web:41: RolloutFailed: ${errorMessage}`,
    });
    expect(historyWritten().fields).toMatchObject({ error: 'RolloutFailed', reason: outcome.cause });
  });

  it('uses a plain-text Cause as it is (a States.Timeout has no JSON)', async () => {
    // Prepare
    const event = {
      phase: 'ROLLED_BACK',
      deployment,
      current,
      failure: { Error: 'States.Timeout', Cause: 'Task timed out after 60.00 seconds' },
    };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome.cause).toBe('rolled back web to web:41: States.Timeout: Task timed out after 60.00 seconds');
  });

  it('says the service needs attention when the rollback itself failed', async () => {
    // Prepare
    const rollbackFailure = lambdaFailure('AwsCallFailed', 'ecs:UpdateService failed: AccessDeniedException: not authorized');
    const event = { phase: 'FAILED', deployment, current, failure: ROLLOUT_FAILED, rollbackFailure };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
    expect(outcome.cause).toContain('rollback of web to web:41 failed (AwsCallFailed: ecs:UpdateService failed');
    expect(outcome.cause).toContain('after RolloutFailed: ECS rollout of web:42');
    expect(outcome.cause).toContain('the service needs attention');
  });

  it('reports the reason it was superseded, as the lock gave it', async () => {
    // Prepare
    const event = { phase: 'SUPERSEDED', deployment, lock: { status: 'SUPERSEDED', reason: LOCK_REASON } };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toEqual({ status: 'SUPERSEDED', error: 'Superseded', cause: LOCK_REASON });
  });

  it('fails with TransientAwsError when EventBridge refuses the event, so the state machine retries', async () => {
    // Prepare
    eventsMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const event = { phase: 'STARTED', deployment, current };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('events:PutEvents refused the event: ThrottlingException Rate exceeded'),
    });
  });

  it('rejects an unknown phase before writing anything', async () => {
    // Prepare
    const event = { phase: 'DONE', deployment };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('phase') });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });
});
