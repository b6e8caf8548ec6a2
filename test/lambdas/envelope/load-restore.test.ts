import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/envelope/load-restore.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  EXECUTION_START,
  TABLE,
  canaryDeployment,
  canarySnapshot,
  executionOf,
  stubDeployerEnv,
} from '../../support/lambda-fixtures.ts';

const ddbMock = mockClient(DynamoDBDocumentClient);

const STOPPED = executionOf('checkout', 'canary');
const RESTORE_ARN = `${STOPPED.arn}-restore`;
const LOCK_KEY = { pk: 'SERVICE#checkout', sk: 'LOCK' };
const HISTORY_KEY = { pk: 'SERVICE#checkout', sk: `DEPLOY#${EXECUTION_START}#${STOPPED.name}` };

/** What the watcher started the restore run with, and the run's own ARN (`$$.Execution.Id`). */
function restoreEvent(status: 'ABORTED' | 'TIMED_OUT' | 'FAILED' = 'ABORTED') {
  return {
    restore: {
      executionArn: STOPPED.arn,
      service: 'checkout',
      name: STOPPED.name,
      startDate: Date.parse(EXECUTION_START),
      status,
      reason: 'execution was stopped: rollback requested by alice',
    },
    executionArn: RESTORE_ARN,
  };
}

function lockHeldBy(holder: string | undefined): void {
  ddbMock.on(GetCommand, { Key: LOCK_KEY }).resolves({ Item: holder === undefined ? undefined : { ...LOCK_KEY, holder } });
}

function historyIs(item: Record<string, unknown> | undefined): void {
  ddbMock.on(GetCommand, { Key: HISTORY_KEY }).resolves({ Item: item === undefined ? undefined : { ...HISTORY_KEY, ...item } });
}

describe('LoadRestore', () => {
  const deployment = canaryDeployment();
  const snapshot = canarySnapshot();
  const baseline = { alarmsInAlarm: ['checkout-5xx-rate'], reference: { requests: 900, errors: 3, errorRate: 0.0033, from: 0, to: 600_000 }, capturedAt: 600_000 };

  beforeEach(() => {
    ddbMock.reset();
    stubDeployerEnv();
    lockHeldBy(RESTORE_ARN);
    historyIs({
      status: 'ABORTED',
      deploymentJson: JSON.stringify(deployment),
      snapshotJson: JSON.stringify(snapshot),
      baselineJson: JSON.stringify(baseline),
    });
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads the stopped deployment, its snapshot and baseline from its history, for the strategy’s rollback', async () => {
    // Prepare
    const event = restoreEvent();

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({
      restore: event.restore,
      deployment,
      snapshot,
      baseline,
      failure: { Error: 'ExecutionAborted', Cause: event.restore.reason },
    });
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true });
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: HISTORY_KEY, ConsistentRead: true });
  });

  it('calls the failure of a timed-out deployment States.Timeout', async () => {
    // Prepare
    const event = restoreEvent('TIMED_OUT');

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result.failure).toEqual({ Error: 'States.Timeout', Cause: event.restore.reason });
  });

  it('gives an empty baseline when none was stored', async () => {
    // Prepare
    historyIs({ deploymentJson: JSON.stringify(deployment), snapshotJson: JSON.stringify(snapshot) });

    // Act
    const result = await handler(restoreEvent(), lambdaContext());

    // Assess
    expect(result.baseline).toEqual({});
  });

  it.each([
    ['another execution holds the lock', 'arn:aws:states:eu-west-1:123456789012:execution:EcsDeployer-ecs-canary:checkout-newer', 'is held by arn:aws:states'],
    ['nobody holds the lock', undefined, 'is held by nobody'],
    ['the stopped deployment still holds it', STOPPED.arn, `is held by ${STOPPED.arn}`],
  ])('refuses to restore when %s: restores are started by the watcher, which hands them the lock', async (_what, holder, message) => {
    // Prepare
    lockHeldBy(holder);

    // Act
    const result = handler(restoreEvent(), lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'RestoreRefused', message: expect.stringContaining(`checkout's lock ${message}`) });
    expect(ddbMock).not.toHaveReceivedCommandWith(GetCommand, { Key: HISTORY_KEY });
  });

  it.each([
    ['no history', undefined, 'the history has no deployment to restore from'],
    ['no snapshot', { deploymentJson: JSON.stringify(deployment) }, 'the history has no snapshot to restore from'],
    ['a snapshot that is not one', { deploymentJson: JSON.stringify(deployment), snapshotJson: JSON.stringify({ services: 'checkout' }) }, 'the stored snapshot is not readable'],
    ['a deployment that is not one', { deploymentJson: JSON.stringify({ service: 'checkout' }), snapshotJson: JSON.stringify(snapshot) }, 'the stored deployment is not readable'],
  ])('refuses a history with %s', async (_what, item, message) => {
    // Prepare
    historyIs(item);

    // Act
    const result = handler(restoreEvent(), lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'RestoreRefused', message: expect.stringContaining(message) });
  });

  it('rejects a restore request with unknown fields, before reading anything', async () => {
    // Prepare
    const event = restoreEvent();
    const bad = { ...event, restore: { ...event.restore, force: true } };

    // Act
    const result = handler(bad, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining("unknown field 'force'") });
    expect(ddbMock).not.toHaveReceivedAnyCommand();
  });
});
