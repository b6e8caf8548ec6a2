import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useClock } from '../../../lambdas/shared/clock.ts';
import type { Deployment } from '../../../lambdas/shared/deployment.ts';
import { REFERENCE_MINUTES, handler } from '../../../lambdas/verify/capture-baseline.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  BLUE_TG,
  CHECKOUT_CANARY_TG,
  CHECKOUT_TG,
  LOAD_BALANCER_DIMENSION,
  blueGreenDeployment,
  blueGreenSnapshot,
  canaryDeployment,
  canarySnapshot,
  rollingDeployment,
  rollingSnapshot,
  stubDeployerEnv,
} from '../../support/lambda-fixtures.ts';
import { fakeAlbMetrics, minutes } from '../fake-aws.ts';

const cloudwatchMock = mockClient(CloudWatchClient);

const NOW = Date.parse('2026-01-31T12:02:30.000Z');

function alarmsAre(states: Record<string, StateValue>): void {
  cloudwatchMock.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: Object.entries(states).map(([AlarmName, StateValue]) => ({
      AlarmName,
      StateValue,
      StateReason: 'Threshold Crossed',
      StateTransitionedTimestamp: new Date(NOW - 3_600_000),
    })),
  });
}

describe('CaptureBaseline', () => {
  let restoreClock: () => void;

  beforeEach(() => {
    cloudwatchMock.reset();
    stubDeployerEnv();
    restoreClock = useClock({ now: () => NOW });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  it('takes the old side’s figures over the last 10 complete minutes, as the reference of the comparison', async () => {
    // Prepare
    alarmsAre({ 'checkout-5xx-rate': 'OK' });
    const tenMinutesAgo = Date.parse('2026-01-31T11:52:00.000Z');
    fakeAlbMetrics(cloudwatchMock, {
      [CHECKOUT_TG]: [{ at: tenMinutesAgo - 60_000, requests: 999, errors: 999 }, ...minutes(tenMinutesAgo, 10, { requests: 120, errors: 1, p99: 0.25 })],
      [CHECKOUT_CANARY_TG]: minutes(tenMinutesAgo, 10, { requests: 50, errors: 50 }),
    });

    // Act
    const baseline = await handler({ deployment: canaryDeployment(), snapshot: canarySnapshot() }, lambdaContext());

    // Assess
    expect(REFERENCE_MINUTES).toBe(10);
    expect(baseline).toEqual({
      alarmsInAlarm: [],
      reference: { requests: 1200, errors: 10, errorRate: 10 / 1200, p99: 0.25, from: tenMinutesAgo, to: Date.parse('2026-01-31T12:02:00.000Z') },
      capturedAt: NOW,
    });
    const [call] = cloudwatchMock.commandCalls(GetMetricDataCommand);
    expect(call?.args[0].input.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat])).toEqual([
      ['requests', 'RequestCount', 'Sum'],
      ['errors', 'HTTPCode_Target_5XX_Count', 'Sum'],
      ['connectionErrors', 'TargetConnectionErrorCount', 'Sum'],
      ['p99', 'TargetResponseTime', 'p99'],
    ]);
    expect(call?.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'TargetGroup', Value: 'targetgroup/checkout/73e2d6bc24d8a067' },
      { Name: 'LoadBalancer', Value: LOAD_BALANCER_DIMENSION },
    ]);
  });

  it('takes the reference of a blue-green deployment from the live colour', async () => {
    // Prepare
    alarmsAre({ 'payments-5xx-rate': 'OK' });
    fakeAlbMetrics(cloudwatchMock, { [BLUE_TG]: minutes(NOW - 600_000, 10, { requests: 10 }) });

    // Act
    const baseline = await handler({ deployment: blueGreenDeployment(), snapshot: blueGreenSnapshot() }, lambdaContext());

    // Assess
    expect(baseline.reference.requests).toBeGreaterThan(0);
    expect(cloudwatchMock).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: expect.arrayContaining([
        expect.objectContaining({ MetricStat: expect.objectContaining({ Metric: expect.objectContaining({ Dimensions: expect.arrayContaining([{ Name: 'TargetGroup', Value: 'targetgroup/payments-blue/a1b2c3d4e5f60718' }]) }) }) }),
      ]),
    });
  });

  it('reports the alarms already in ALARM, and lets the deployment go on by default (it may be the fix)', async () => {
    // Prepare
    alarmsAre({ 'web-5xx-rate': 'ALARM', 'web-p99-latency': 'OK' });

    // Act
    const baseline = await handler({ deployment: rollingDeployment(), snapshot: rollingSnapshot() }, lambdaContext());

    // Assess
    expect(baseline.alarmsInAlarm).toEqual(['web-5xx-rate']);
  });

  it('refuses to start, changing nothing, when an alarm is in ALARM and preexistingAlarms is "block"', async () => {
    // Prepare
    alarmsAre({ 'web-5xx-rate': 'ALARM', 'web-p99-latency': 'ALARM' });
    const base = rollingDeployment();
    const blocking: Deployment = { ...base, verification: { ...base.verification, preexistingAlarms: 'block' } };

    // Act
    const result = handler({ deployment: blocking, snapshot: rollingSnapshot() }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'VerificationFailed',
      message: 'alarm web-5xx-rate, web-p99-latency is already in ALARM and preexistingAlarms is "block": nothing was changed',
    });
  });

  it('lets a "block" deployment start when no alarm fires', async () => {
    // Prepare
    alarmsAre({ 'web-5xx-rate': 'OK', 'web-p99-latency': 'INSUFFICIENT_DATA' });
    const base = rollingDeployment();
    const blocking: Deployment = { ...base, verification: { ...base.verification, preexistingAlarms: 'block' } };

    // Act
    const baseline = await handler({ deployment: blocking, snapshot: rollingSnapshot() }, lambdaContext());

    // Assess
    expect(baseline.alarmsInAlarm).toEqual([]);
  });

  it('reads no metrics for a rolling deployment (no comparison): the reference is empty', async () => {
    // Prepare
    alarmsAre({ 'web-5xx-rate': 'OK', 'web-p99-latency': 'OK' });

    // Act
    const baseline = await handler({ deployment: rollingDeployment(), snapshot: rollingSnapshot() }, lambdaContext());

    // Assess
    expect(baseline).toEqual({ alarmsInAlarm: [], reference: { requests: 0, errors: 0, errorRate: 0, from: NOW, to: NOW }, capturedAt: NOW });
    expect(cloudwatchMock).not.toHaveReceivedCommand(GetMetricDataCommand);
  });

  it('fails when a configured alarm does not exist, before anything changes', async () => {
    // Prepare
    alarmsAre({ 'web-5xx-rate': 'OK' });

    // Act
    const result = handler({ deployment: rollingDeployment(), snapshot: rollingSnapshot() }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'VerificationFailed', message: expect.stringContaining('alarm web-p99-latency does not exist') });
  });
});
