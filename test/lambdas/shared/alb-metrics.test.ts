import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  loadBalancerDimension,
  minuteCeil,
  minuteFloor,
  targetGroupDimension,
  targetGroupFigures,
} from '../../../lambdas/shared/alb-metrics.ts';
import { CHECKOUT_TG, LISTENER_ARN, LISTENER_RULE_ARN, LOAD_BALANCER_DIMENSION } from '../../support/lambda-fixtures.ts';
import { fakeAlbMetrics } from '../fake-aws.ts';

const cloudwatchMock = mockClient(CloudWatchClient);

const T = (hhmmss: string) => Date.parse(`2026-01-31T${hhmmss}.000Z`);

describe('ALB metrics of a target group', () => {
  beforeEach(() => {
    cloudwatchMock.reset();
  });

  it('names the load balancer of a listener or a listener rule as CloudWatch does', () => {
    // Prepare
    const arns = [LISTENER_ARN, LISTENER_RULE_ARN];

    // Act
    const dimensions = arns.map(loadBalancerDimension);

    // Assess
    expect(dimensions).toEqual([LOAD_BALANCER_DIMENSION, LOAD_BALANCER_DIMENSION]);
    expect(targetGroupDimension(CHECKOUT_TG)).toBe('targetgroup/checkout/73e2d6bc24d8a067');
  });

  it('refuses what is not an ALB listener or a target group', () => {
    // Prepare
    const nlb = LISTENER_ARN.replace('/app/', '/net/');

    // Act
    const read = [() => loadBalancerDimension(nlb), () => targetGroupDimension(LISTENER_ARN)];

    // Assess
    expect(read[0]).toThrow('is not an ALB listener or rule ARN');
    expect(read[1]).toThrow('is not a target group ARN');
  });

  it('rounds to whole minutes', () => {
    // Prepare
    const at = T('12:10:20');

    // Act
    const [floor, ceil] = [minuteFloor(at), minuteCeil(at)];

    // Assess
    expect([floor, ceil]).toEqual([T('12:10:00'), T('12:11:00')]);
    expect(minuteCeil(T('12:10:00'))).toBe(T('12:10:00'));
  });

  it('sums requests and 5xx over the complete minutes only, and weighs p99 by requests', async () => {
    // Prepare
    fakeAlbMetrics(cloudwatchMock, {
      [CHECKOUT_TG]: [
        { at: T('12:09:00'), requests: 1000, errors: 1000, p99: 9 },
        { at: T('12:10:00'), requests: 100, errors: 1, p99: 0.1 },
        { at: T('12:11:00'), requests: 300, errors: 3, p99: 0.3 },
        // the minute in progress at 12:12:40
        { at: T('12:12:00'), requests: 50, errors: 50, p99: 5 },
      ],
    });

    // Act
    const figures = await targetGroupFigures(LOAD_BALANCER_DIMENSION, CHECKOUT_TG, T('12:10:20'), T('12:12:40'));

    // Assess
    expect(figures).toEqual({ requests: 400, errors: 4, errorRate: 0.01, p99: (100 * 0.1 + 300 * 0.3) / 400, from: T('12:10:00'), to: T('12:12:00') });
    expect(cloudwatchMock).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date(T('12:10:00')),
      EndTime: new Date(T('12:12:00')),
      ScanBy: 'TimestampAscending',
    });
  });

  it('reads every page CloudWatch returns', async () => {
    // Prepare
    const page = (token: string | undefined, at: string, requests: number) => ({
      MetricDataResults: [
        { Id: 'requests', Timestamps: [new Date(T(at))], Values: [requests] },
        { Id: 'errors', Timestamps: [new Date(T(at))], Values: [1] },
        { Id: 'p99', Timestamps: [new Date(T(at))], Values: [0.2] },
      ],
      ...(token !== undefined ? { NextToken: token } : {}),
    });
    cloudwatchMock.on(GetMetricDataCommand).resolvesOnce(page('page-2', '12:00:00', 10)).resolvesOnce(page(undefined, '12:01:00', 30));

    // Act
    const figures = await targetGroupFigures(LOAD_BALANCER_DIMENSION, CHECKOUT_TG, T('12:00:00'), T('12:05:00'));

    // Assess
    expect(figures).toMatchObject({ requests: 40, errors: 2, p99: 0.2 });
    expect(cloudwatchMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    expect(cloudwatchMock).toHaveReceivedNthCommandWith(GetMetricDataCommand, 2, { NextToken: 'page-2' });
  });

  it('has no p99 and a 0 error rate without requests (ALB publishes nothing for an idle minute)', async () => {
    // Prepare
    fakeAlbMetrics(cloudwatchMock, {});

    // Act
    const figures = await targetGroupFigures(LOAD_BALANCER_DIMENSION, CHECKOUT_TG, T('12:00:00'), T('12:05:00'));

    // Assess
    expect(figures).toEqual({ requests: 0, errors: 0, errorRate: 0, from: T('12:00:00'), to: T('12:05:00') });
  });

  it('asks CloudWatch nothing before a complete minute has passed', async () => {
    // Prepare
    const from = T('12:10:20');

    // Act
    const figures = await targetGroupFigures(LOAD_BALANCER_DIMENSION, CHECKOUT_TG, from, T('12:10:59'));

    // Assess
    expect(figures).toEqual({ requests: 0, errors: 0, errorRate: 0, from: T('12:10:00'), to: T('12:10:00') });
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });
});
