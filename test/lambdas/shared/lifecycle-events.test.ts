import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FINAL_STATUSES } from '../../../lambdas/shared/history.ts';
import { DETAIL_TYPE, announce } from '../../../lambdas/shared/lifecycle-events.ts';
import { EVENT_BUS, stubDeployerEnv } from '../../support/lambda-fixtures.ts';

const eventsMock = mockClient(EventBridgeClient);

function entryRefused(ErrorCode: string, ErrorMessage = 'refused'): void {
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode, ErrorMessage }] });
}

describe('lifecycle events', () => {
  beforeEach(() => {
    eventsMock.reset();
    stubDeployerEnv();
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('puts one event from ecs-deployer on the deployer’s bus, the detail as JSON', async () => {
    // Prepare
    const detail = { service: 'web', status: 'SUCCEEDED', reason: 'web runs web:42, verified' };

    // Act
    await announce(DETAIL_TYPE.SUCCEEDED, detail);

    // Assess
    expect(eventsMock).toHaveReceivedCommandExactlyOnceWith(PutEventsCommand, {
      Entries: [{ Source: 'ecs-deployer', DetailType: 'Deployment Succeeded', Detail: JSON.stringify(detail), EventBusName: EVENT_BUS }],
    });
  });

  it('has a detail-type for the start and every final status', () => {
    // Prepare
    const statuses = ['IN_PROGRESS', ...FINAL_STATUSES] as const;

    // Act
    const types = statuses.map((status) => DETAIL_TYPE[status]);

    // Assess
    expect(types).toEqual([
      'Deployment Started',
      'Deployment Succeeded',
      'Deployment Rolled Back',
      'Deployment Failed',
      'Deployment Superseded',
      'Deployment Aborted',
      'Deployment Timed Out',
    ]);
  });

  it.each(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable'])(
    'reports an entry refused with %s as TransientAwsError, so it is retried',
    async (code) => {
      // Prepare
      entryRefused(code, 'try again');

      // Act
      const result = announce('Deployment Started', { service: 'web' });

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'TransientAwsError', message: `events:PutEvents refused the event: ${code} try again` });
    },
  );

  it.each(['MalformedDetail', 'InvalidArgument', 'AccessDeniedException', 'NotAuthorizedForSourceException'])(
    'reports an entry refused with %s as AwsCallFailed: a retry would not fix it',
    async (code) => {
      // Prepare
      entryRefused(code, 'no');

      // Act
      const result = announce('Deployment Started', { service: 'web' });

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'AwsCallFailed', message: `events:PutEvents refused the event: ${code} no` });
    },
  );

  it('reports a throttled call as TransientAwsError', async () => {
    // Prepare
    const throttled = Object.assign(
      new EventBridgeServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
      { $retryable: { throttling: true } },
    );
    eventsMock.on(PutEventsCommand).rejects(throttled);

    // Act
    const result = announce('Deployment Started', { service: 'web' });

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining('events:PutEvents failed: ThrottlingException') });
  });

  it('needs the bus from the stack', async () => {
    // Prepare
    vi.stubEnv('DEPLOYER_EVENT_BUS', '');

    // Act
    const result = announce('Deployment Started', { service: 'web' });

    // Assess
    await expect(result).rejects.toThrow('DEPLOYER_EVENT_BUS');
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });
});
