import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/envelope/record-event.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  EVENT_BUS,
  EXECUTION_ARN,
  EXECUTION_NAME,
  EXECUTION_START,
  NEW_TASK_DEFINITION,
  RUNNING_IMAGE,
  TABLE,
  blueGreenDeployment,
  blueGreenSnapshot,
  canaryDeployment,
  canarySnapshot,
  rollingDeployment,
  rollingSnapshot,
  stubDeployerEnv,
} from '../../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);
const eventsMock = mockClient(EventBridgeClient);

const NOW = Date.parse('2026-01-31T12:20:00.000Z');
const deployment = rollingDeployment();
const snapshot = rollingSnapshot();
/** How the rolling snapshot reads in sentences. */
const BEFORE = 'web on web:41 ×4';

/** A failure as a Catch puts it at `$.failure`: the Lambda's Cause is JSON. */
function lambdaFailure(errorType: string, errorMessage: string) {
  return { Error: errorType, Cause: JSON.stringify({ errorType, errorMessage, trace: ['at handler (index.js:1:1)'] }) };
}
const ROLLOUT_FAILED = lambdaFailure(
  'RolloutFailed',
  'ECS rollout of web:42 on prod/web failed: ECS deployment circuit breaker: tasks failed to start. (3 tasks failed)',
);
const LOCK_REASON = 'a newer deployment of web (…/web@sha256:ef56…) replaced this one before it started; nothing was changed';

/** What the watcher gave the restore run of a stopped deployment. */
function restoreOf(status: 'ABORTED' | 'TIMED_OUT' | 'FAILED') {
  return {
    executionArn: EXECUTION_ARN,
    service: 'web',
    name: EXECUTION_NAME,
    startDate: Date.parse(EXECUTION_START),
    status,
    reason: status === 'TIMED_OUT' ? 'execution timed out' : 'execution was stopped',
  };
}

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
    ['STARTED', { snapshot }, 'IN_PROGRESS', 'Deployment Started'],
    ['SUCCEEDED', { snapshot, target: { taskDefinitionArn: NEW_TASK_DEFINITION } }, 'SUCCEEDED', 'Deployment Succeeded'],
    ['ROLLED_BACK', { snapshot, failure: ROLLOUT_FAILED }, 'ROLLED_BACK', 'Deployment Rolled Back'],
    ['FAILED', { failure: lambdaFailure('ServiceNotReady', 'ECS service prod/web was not found') }, 'FAILED', 'Deployment Failed'],
    ['SUPERSEDED', { lock: { status: 'SUPERSEDED', reason: LOCK_REASON } }, 'SUPERSEDED', 'Deployment Superseded'],
    ['RESTORED', { snapshot, restore: restoreOf('ABORTED') }, 'ABORTED', 'Deployment Aborted'],
    ['RESTORED', { snapshot, restore: restoreOf('TIMED_OUT') }, 'TIMED_OUT', 'Deployment Timed Out'],
    ['RESTORE_FAILED', { snapshot, restore: restoreOf('ABORTED'), rollbackFailure: ROLLOUT_FAILED }, 'FAILED', 'Deployment Failed'],
  ])('records %s in the history of the execution as %s and announces it on the bus', async (phase, extra, status, detailType) => {
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
      strategy: 'rolling',
      image: deployment.image,
      startedBy: deployment.startedBy,
      executionArn: deployment.executionId,
      startedAt: deployment.executionStartTime,
      reason: outcome.cause,
    });
    expect(outcome.status).toBe(status);
    const put = eventPut();
    expect(put).toMatchObject({ Source: 'ecs-deployer', DetailType: detailType, EventBusName: EVENT_BUS });
    expect(put.detail).toMatchObject({ service: 'web', strategy: 'rolling', status, image: deployment.image, reason: outcome.cause });
  });

  it('writes the start time only once and no end time while the deployment runs', async () => {
    // Prepare
    const event = { phase: 'STARTED', deployment, snapshot };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    const { input, fields } = historyWritten();
    expect(input.UpdateExpression).toMatch(/#f\d+ = if_not_exists\(#f\d+, :v\d+\)/);
    expect(fields).not.toHaveProperty('endedAt');
    expect(fields).toMatchObject({ previousImage: RUNNING_IMAGE, previousTaskDefinition: snapshot.services.primary?.taskDefinitionArn });
    expect(outcome).toEqual({ status: 'IN_PROGRESS', cause: `deploying ${deployment.image} to web (rolling; was ${RUNNING_IMAGE})` });
  });

  it('stores the deployment, its snapshot and its baseline with the start, for a restore run after a stop', async () => {
    // Prepare
    const baseline = { alarmsInAlarm: [], reference: { requests: 0, errors: 0, errorRate: 0, from: NOW, to: NOW }, capturedAt: NOW };
    const event = { phase: 'STARTED', deployment, snapshot, baseline };

    // Act
    await handler(event, lambdaContext());

    // Assess
    const { fields } = historyWritten();
    expect(JSON.parse(fields.deploymentJson as string)).toEqual(deployment);
    expect(JSON.parse(fields.snapshotJson as string)).toEqual(snapshot);
    expect(JSON.parse(fields.baselineJson as string)).toEqual(baseline);
  });

  it('records and announces a start by hand of a tag outside tagPattern as such', async () => {
    // Prepare
    const event = { phase: 'STARTED', deployment: { ...deployment, imageTag: 'hotfix-42', outsideTagPattern: true }, snapshot };

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(historyWritten().fields).toMatchObject({ imageTag: 'hotfix-42', outsideTagPattern: true });
    expect(eventPut().detail).toMatchObject({ imageTag: 'hotfix-42', outsideTagPattern: true });
  });

  it('does not mark a deployment of a tag that matches tagPattern', async () => {
    // Prepare
    const event = { phase: 'STARTED', deployment, snapshot };

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(historyWritten().fields).not.toHaveProperty('outsideTagPattern');
  });

  it('stores no snapshot after the start', async () => {
    // Prepare
    const event = { phase: 'SUCCEEDED', deployment, snapshot, target: { taskDefinitionArn: NEW_TASK_DEFINITION } };

    // Act
    await handler(event, lambdaContext());

    // Assess
    const { fields } = historyWritten();
    expect(fields).not.toHaveProperty('snapshotJson');
    expect(fields).not.toHaveProperty('deploymentJson');
  });

  it('records what served before: the primary of a canary, the live colour of a blue-green deployment', async () => {
    // Prepare
    const canary = { phase: 'STARTED', deployment: canaryDeployment(), snapshot: canarySnapshot() };
    const blueGreen = { phase: 'STARTED', deployment: blueGreenDeployment(), snapshot: blueGreenSnapshot() };

    // Act
    await handler(canary, lambdaContext());
    await handler(blueGreen, lambdaContext());

    // Assess
    const [first, second] = eventsMock.commandCalls(PutEventsCommand).map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? '{}'));
    expect(first).toMatchObject({ service: 'checkout', strategy: 'canary', previousImage: canarySnapshot().services.primary?.image });
    expect(second).toMatchObject({ service: 'payments', strategy: 'blue-green', previousImage: blueGreenSnapshot().services.live?.image });
  });

  it('records when a deployment ended and which revision it left running', async () => {
    // Prepare
    const event = { phase: 'SUCCEEDED', deployment, snapshot, target: { taskDefinitionArn: NEW_TASK_DEFINITION } };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(historyWritten().fields).toMatchObject({
      endedAt: new Date(NOW).toISOString(),
      newTaskDefinition: NEW_TASK_DEFINITION,
    });
    expect(outcome).toEqual({ status: 'SUCCEEDED', cause: 'web runs web:42, verified' });
  });

  it('announces how long a finished deployment ran, and nothing of the kind for a start', async () => {
    // Prepare
    const started = { phase: 'STARTED', deployment, snapshot };
    const ended = { phase: 'ROLLED_BACK', deployment, snapshot, failure: ROLLOUT_FAILED };

    // Act
    await handler(started, lambdaContext());
    await handler(ended, lambdaContext());

    // Assess
    const [first, second] = eventsMock.commandCalls(PutEventsCommand).map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? '{}'));
    expect(first).not.toHaveProperty('durationSeconds');
    expect(second).toMatchObject({ status: 'ROLLED_BACK', durationSeconds: (NOW - Date.parse(EXECUTION_START)) / 1000 });
  });

  it('explains a rollback with what was restored and the error message of the failed step, not its raw Cause JSON', async () => {
    // Prepare
    const event = { phase: 'ROLLED_BACK', deployment, snapshot, failure: ROLLOUT_FAILED };
    const { errorMessage } = JSON.parse(ROLLOUT_FAILED.Cause) as { errorMessage: string };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toEqual({
      status: 'ROLLED_BACK',
      error: 'RolloutFailed',
      cause: `rolled back web (${BEFORE}): RolloutFailed: ${errorMessage}`,
    });
    expect(historyWritten().fields).toMatchObject({ error: 'RolloutFailed', reason: outcome.cause });
  });

  it('names every service and listener a canary rollback restored', async () => {
    // Prepare
    const event = { phase: 'ROLLED_BACK', deployment: canaryDeployment(), snapshot: canarySnapshot(), failure: ROLLOUT_FAILED };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome.cause).toMatch(/^rolled back checkout \(checkout on checkout:7 ×4; checkout-canary absent; listener f2f7dc8e checkout 100%\): RolloutFailed: /);
  });

  it('uses a plain-text Cause as it is (a States.Timeout has no JSON)', async () => {
    // Prepare
    const event = {
      phase: 'ROLLED_BACK',
      deployment,
      snapshot,
      failure: { Error: 'States.Timeout', Cause: 'Task timed out after 60.00 seconds' },
    };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome.cause).toBe(`rolled back web (${BEFORE}): States.Timeout: Task timed out after 60.00 seconds`);
  });

  it('says the service needs attention when the rollback itself failed', async () => {
    // Prepare
    const rollbackFailure = lambdaFailure('AwsCallFailed', 'ecs:UpdateService failed: AccessDeniedException: not authorized');
    const event = { phase: 'FAILED', deployment, snapshot, failure: ROLLOUT_FAILED, rollbackFailure };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
    expect(outcome.cause).toContain(`rollback of web to ${BEFORE} failed (AwsCallFailed: ecs:UpdateService failed`);
    expect(outcome.cause).toContain('after RolloutFailed: ECS rollout of web:42');
    expect(outcome.cause).toContain('the service needs attention');
  });

  it('says nothing was changed when a deployment failed before it started', async () => {
    // Prepare
    const event = { phase: 'FAILED', deployment, failure: lambdaFailure('ServiceNotReady', 'ECS service prod/web is behind the Classic Load Balancer') };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toEqual({
      status: 'FAILED',
      error: 'ServiceNotReady',
      cause: 'web was not changed: ServiceNotReady: ECS service prod/web is behind the Classic Load Balancer',
    });
  });

  it('reports the reason it was superseded, as the lock gave it', async () => {
    // Prepare
    const event = { phase: 'SUPERSEDED', deployment, lock: { status: 'SUPERSEDED', reason: LOCK_REASON } };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toEqual({ status: 'SUPERSEDED', error: 'Superseded', cause: LOCK_REASON });
  });

  it('records a restore run’s success on the stopped deployment’s history, with why it ended and what was restored', async () => {
    // Prepare
    const event = { phase: 'RESTORED', deployment, snapshot, restore: restoreOf('ABORTED') };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toEqual({ status: 'ABORTED', error: 'ExecutionAborted', cause: `execution was stopped; restored web (${BEFORE})` });
    expect(historyWritten().fields).toMatchObject({ restore: 'SUCCEEDED', restoredAt: new Date(NOW).toISOString(), endedAt: new Date(NOW).toISOString() });
  });

  it('gives a restored timed-out deployment the error States.Timeout', async () => {
    // Prepare
    const event = { phase: 'RESTORED', deployment, snapshot, restore: restoreOf('TIMED_OUT') };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
  });

  it('records a failed restore as FAILED and says the service needs attention', async () => {
    // Prepare
    const rollbackFailure = lambdaFailure('RolloutTimedOut', 'ECS rollout of web:41 on prod/web did not finish within 1200s');
    const event = { phase: 'RESTORE_FAILED', deployment, snapshot, restore: restoreOf('ABORTED'), rollbackFailure };

    // Act
    const outcome = await handler(event, lambdaContext());

    // Assess
    expect(outcome).toEqual({
      status: 'FAILED',
      error: 'RollbackFailed',
      cause: `execution was stopped; restoring web to ${BEFORE} failed (RolloutTimedOut: ECS rollout of web:41 on prod/web did not finish within 1200s); the service needs attention`,
    });
    expect(historyWritten().fields).toMatchObject({ restore: 'FAILED', error: 'RollbackFailed' });
  });

  it('fails with TransientAwsError when EventBridge throttles the event, so the state machine retries', async () => {
    // Prepare
    eventsMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const event = { phase: 'STARTED', deployment, snapshot };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('events:PutEvents refused the event: ThrottlingException Rate exceeded'),
    });
  });

  it('fails with AwsCallFailed when EventBridge refuses the event for good', async () => {
    // Prepare
    eventsMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }],
    });
    const event = { phase: 'STARTED', deployment, snapshot };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'AwsCallFailed', message: 'events:PutEvents refused the event: MalformedDetail Detail is malformed.' });
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
