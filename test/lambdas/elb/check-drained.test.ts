import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/elb/check-drained.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  CHECKOUT_CANARY_TG,
  LOAD_BALANCER_DIMENSION,
  canaryDeployment,
  rollingDeployment,
  stubDeployerEnv,
} from '../../support/lambda-fixtures.ts';
import { fakeAlbMetrics } from '../fake-aws.ts';

const cloudwatchMock = mockClient(CloudWatchClient);

/** The canary's weight went to 0 twenty seconds into 12:10. */
const SINCE = Date.parse('2026-01-31T12:10:20.000Z');
const minute = (hhmm: string) => Date.parse(`2026-01-31T${hhmm}:00.000Z`);

describe('CheckDrained', () => {
  const deployment = canaryDeployment();
  const event = { deployment, targetGroupArn: CHECKOUT_CANARY_TG, since: SINCE };
  let clock: number;
  let restoreClock: () => void;

  beforeEach(() => {
    cloudwatchMock.reset();
    stubDeployerEnv();
    clock = SINCE;
    restoreClock = useClock({ now: () => clock });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  it('is not drained before a complete minute after the weight change has passed, and asks CloudWatch nothing', async () => {
    // Prepare
    clock = minute('12:11') + 50_000;

    // Act
    const state = await handler(event, lambdaContext());

    // Assess
    expect(state).toEqual({ drained: false, requests: 0, checkedAt: clock });
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('is not drained before a complete minute after the change has been published', async () => {
    // Prepare: 12:11 ended, but its metrics may not be published yet.
    fakeAlbMetrics(cloudwatchMock, {});
    clock = minute('12:12') + 30_000;

    // Act
    const state = await handler(event, lambdaContext());

    // Assess
    expect(state).toEqual({ drained: false, requests: 0, checkedAt: clock });
    expect(cloudwatchMock).not.toHaveReceivedCommand(GetMetricDataCommand);
  });

  it('is drained once the complete minutes after the change counted no request', async () => {
    // Prepare
    // The minute of the change itself (12:10) still had requests: it does not count. The minute
    // 12:11 is published by 12:13 (a minute of publication delay).
    fakeAlbMetrics(cloudwatchMock, { [CHECKOUT_CANARY_TG]: [{ at: minute('12:10'), requests: 40 }] });
    clock = minute('12:13') + 5_000;

    // Act
    const state = await handler(event, lambdaContext());

    // Assess
    expect(state).toEqual({ drained: true, requests: 0, checkedAt: clock });
    expect(cloudwatchMock).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date(minute('12:11')),
      EndTime: new Date(minute('12:12')),
    });
    const [call] = cloudwatchMock.commandCalls(GetMetricDataCommand);
    expect(call?.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'TargetGroup', Value: 'targetgroup/checkout-canary/2453ed029918f21f' },
      { Name: 'LoadBalancer', Value: LOAD_BALANCER_DIMENSION },
    ]);
  });

  it('is not drained while requests still arrive, and says how many', async () => {
    // Prepare
    fakeAlbMetrics(cloudwatchMock, { [CHECKOUT_CANARY_TG]: [{ at: minute('12:11'), requests: 7 }, { at: minute('12:12'), requests: 2 }] });
    clock = minute('12:14') + 1_000;

    // Act
    const state = await handler(event, lambdaContext());

    // Assess
    expect(state).toEqual({ drained: false, requests: 9, checkedAt: clock });
  });

  it('fails with TargetsNotReady when the group still receives requests past the deployment timeout', async () => {
    // Prepare
    const late = SINCE + deployment.deploymentTimeoutSeconds * 1000 + 60_000;
    fakeAlbMetrics(cloudwatchMock, { [CHECKOUT_CANARY_TG]: [{ at: late - 120_000, requests: 3 }] });
    clock = late;

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'TargetsNotReady',
      message: `target group checkout-canary still receives requests ${Math.round((late - SINCE) / 1000)}s after its weight went to 0 (3 in the last minutes): check listener stickiness and other rules that forward to it`,
    });
  });

  it('is drained past the timeout when no request arrived', async () => {
    // Prepare
    fakeAlbMetrics(cloudwatchMock, {});
    clock = SINCE + deployment.deploymentTimeoutSeconds * 1000 + 60_000;

    // Act
    const state = await handler(event, lambdaContext());

    // Assess
    expect(state.drained).toBe(true);
  });

  it('needs the load balancer listener of the deployment', async () => {
    // Prepare
    clock = minute('12:13');

    // Act
    const result = handler({ ...event, deployment: rollingDeployment() }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ListenerNotReady', message: 'draining needs the load balancer listener' });
  });
});
