import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { CreateServiceCommand } from '@aws-sdk/client-ecs';
import { ModifyListenerCommand, type Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedWorld } from '../../simulator/aws/world.ts';
import { ecs, elb, registerRevision, updateService } from './ecs-helpers.ts';
import {
  BLUE_TG,
  CANARY_TG,
  checkoutImage,
  CHECKOUT_TG,
  CHECKOUT_URL,
  EPOCH,
  installWorld,
  LISTENER,
  PAYMENTS_TEST_URL,
  PAYMENTS_URL,
  rejectionOf,
  testConfig,
  type InstalledWorld,
} from './world-fixture.ts';

const cloudwatch = new CloudWatchClient({ region: 'us-east-1' });
const LOAD_BALANCER = 'app/prod-alb/50dc6c495c0c9188';
const MINUTE = 60_000;

const forward = (primary: number, canary: number): Action[] => [
  {
    Type: 'forward',
    ForwardConfig: { TargetGroups: [{ TargetGroupArn: CHECKOUT_TG, Weight: primary }, { TargetGroupArn: CANARY_TG, Weight: canary }] },
  },
];

/** `targetgroup/NAME/ID` of a target group ARN. */
const dimension = (arn: string): string => arn.slice(arn.indexOf('targetgroup/'));

function query(id: string, metric: string, stat: string, group: string | undefined, period = 60): MetricDataQuery {
  const dimensions = [{ Name: 'LoadBalancer', Value: LOAD_BALANCER }];
  if (group !== undefined) dimensions.push({ Name: 'TargetGroup', Value: dimension(group) });
  return { Id: id, MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metric, Dimensions: dimensions }, Period: period, Stat: stat } };
}

async function metrics(queries: MetricDataQuery[], fromMinute: number, toMinute: number): Promise<Record<string, { at: number[]; values: number[] }>> {
  const { MetricDataResults } = await cloudwatch.send(
    new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(EPOCH + fromMinute * MINUTE), EndTime: new Date(EPOCH + toMinute * MINUTE) }),
  );
  return Object.fromEntries(
    (MetricDataResults ?? []).map((r) => [r.Id, { at: (r.Timestamps ?? []).map((t) => (t.getTime() - EPOCH) / MINUTE), values: r.Values ?? [] }]),
  );
}

/** Send 10% of checkout's traffic to a canary service running `image` (healthy 70 s after this). */
async function startCanary(image: string, weight = 10): Promise<void> {
  const taskDefinition = await registerRevision('checkout', image);
  await elb.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: forward(100 - weight, weight) }));
  await ecs.send(
    new CreateServiceCommand({
      cluster: 'prod',
      serviceName: 'checkout-canary',
      taskDefinition,
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60001'] } },
      loadBalancers: [{ targetGroupArn: CANARY_TG, containerName: 'app', containerPort: 8080 }],
    }),
  );
}

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type') === 'application/json' ? JSON.parse(text) : text };
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

describe('simulated load balancer traffic: metrics and health checks', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('splits requests by weight, and a bad image shows a higher 5xx rate and p99 than a good one', async () => {
    // Prepare: the canary serves from minute 2 (healthy at 70 s); minutes 2-6 are compared.
    installed = installWorld();
    const { world, clock } = installed;
    world.markImageBad(checkoutImage('v6.6.6'));
    await startCanary(checkoutImage('v6.6.6'));
    clock.advance(7 * 60);

    // Act
    const m = await metrics(
      [
        query('primaryRequests', 'RequestCount', 'Sum', CHECKOUT_TG),
        query('canaryRequests', 'RequestCount', 'Sum', CANARY_TG),
        query('primaryErrors', 'HTTPCode_Target_5XX_Count', 'Sum', CHECKOUT_TG, 300),
        query('canaryErrors', 'HTTPCode_Target_5XX_Count', 'Sum', CANARY_TG, 300),
        query('primaryAll', 'RequestCount', 'Sum', CHECKOUT_TG, 300),
        query('canaryAll', 'RequestCount', 'Sum', CANARY_TG, 300),
        query('primaryP99', 'TargetResponseTime', 'p99', CHECKOUT_TG, 300),
        query('canaryP99', 'TargetResponseTime', 'p99', CANARY_TG, 300),
        query('canaryAverage', 'TargetResponseTime', 'Average', CANARY_TG, 300),
      ],
      2,
      7,
    );

    // Assess
    const ratio = sum(m.primaryRequests?.values ?? []) / sum(m.canaryRequests?.values ?? []);
    expect(m.primaryRequests?.at).toEqual([6, 5, 4, 3, 2]);
    expect(ratio).toBeGreaterThan(8);
    expect(ratio).toBeLessThan(10);
    expect(sum(m.primaryRequests?.values ?? []) + sum(m.canaryRequests?.values ?? [])).toBeGreaterThan(5 * 60 * 50 * 0.9);
    expect(m.primaryAll?.values[0]).toBe(sum(m.primaryRequests?.values ?? []));
    const primaryRate = (m.primaryErrors?.values[0] ?? 0) / (m.primaryAll?.values[0] ?? 1);
    const canaryRate = (m.canaryErrors?.values[0] ?? 0) / (m.canaryAll?.values[0] ?? 1);
    expect(primaryRate).toBeLessThan(0.006);
    expect(canaryRate).toBeGreaterThan(0.05);
    expect(canaryRate).toBeLessThan(0.12);
    expect(m.primaryP99?.values[0]).toBeGreaterThan(0.09);
    expect(m.primaryP99?.values[0]).toBeLessThan(0.16);
    expect(m.canaryP99?.values[0]).toBeGreaterThan(0.7);
    expect(m.canaryP99?.values[0]).toBeLessThan(1.2);
    expect(m.canaryAverage?.values[0]).toBeLessThan(m.canaryP99?.values[0] ?? 0);
  });

  it('publishes a minute only once it is complete, and none for a minute without requests', async () => {
    // Prepare: the canary target group gets 10% from minute 0, but its first target is healthy at 70 s.
    installed = installWorld();
    const { clock } = installed;
    await startCanary(checkoutImage('v1.1.0'));
    clock.advance(4 * 60 + 30);

    // Act
    const m = await metrics(
      [
        query('canary', 'RequestCount', 'Sum', CANARY_TG),
        query('primary', 'RequestCount', 'Sum', CHECKOUT_TG),
        query('payments', 'RequestCount', 'Sum', BLUE_TG),
        query('balancer', 'RequestCount', 'Sum', undefined),
      ],
      0,
      10,
    );

    // Assess
    expect(m.primary?.at).toEqual([3, 2, 1, 0]);
    expect(m.canary?.at).toEqual([3, 2, 1]);
    expect(m.canary?.values[2]).toBeLessThan(m.canary?.values[1] ?? 0);
    expect(m.balancer?.values[0]).toBe((m.primary?.values[0] ?? 0) + (m.canary?.values[0] ?? 0) + (m.payments?.values[0] ?? 0));
  });

  it('refuses GetMetricData requests CloudWatch refuses, and records it on "*"', async () => {
    // Prepare
    installed = installWorld();
    const send = (queries: MetricDataQuery[], start = 0, end = 5) =>
      rejectionOf(cloudwatch.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(EPOCH + start * MINUTE), EndTime: new Date(EPOCH + end * MINUTE) })));
    const ok = query('ok', 'RequestCount', 'Sum', CHECKOUT_TG);

    // Act
    const badId = await send([{ ...ok, Id: 'Upper' }]);
    const duplicate = await send([ok, ok]);
    const reversed = await send([ok], 5, 5);
    const period = await send([query('q', 'RequestCount', 'Sum', CHECKOUT_TG, 90)]);
    const stat = await send([query('q', 'RequestCount', 'p101', CHECKOUT_TG)]);
    const tooMany = await send(Array.from({ length: 501 }, (_, i) => ({ ...ok, Id: `q${i}` })));

    // Assess
    for (const error of [badId, duplicate, reversed, period, stat, tooMany]) {
      expect(error).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    }
    expect(badId.message).toBe('The value Upper for parameter MetricDataQueries.member.1.Id is not valid.');
    expect(reversed.message).toBe('The parameter StartTime must be less than the parameter EndTime.');
    expect(period.message).toContain('must be a multiple of 60');
    expect(installed.world.calls.every((c) => c.action === 'cloudwatch:GetMetricData' && c.resources[0] === '*')).toBe(true);
  });

  it('answers the health check URLs through the load balancer: weighted target group, healthy target, revision tag', async () => {
    // Prepare
    installed = installWorld();
    const { clock } = installed;

    // Act
    const primary = await get(CHECKOUT_URL);
    const production = await get(PAYMENTS_URL);
    const idleGreen = await get(PAYMENTS_TEST_URL);
    await startCanary(checkoutImage('v1.1.0'), 50);
    const canaryStarting = await Promise.all(Array.from({ length: 10 }, () => get(CHECKOUT_URL)));
    clock.advance(70);
    const split = await Promise.all(Array.from({ length: 20 }, () => get(CHECKOUT_URL)));
    await updateService('payments-green', { desiredCount: 1 });
    clock.advance(70);
    const green = await get(PAYMENTS_TEST_URL);

    // Assess
    expect(primary).toEqual({ status: 200, body: { status: 'UP', version: 'v1.0.0' } });
    expect(production).toEqual({ status: 200, body: { status: 'UP', version: 'v1.0.0' } });
    expect(idleGreen.status).toBe(503);
    expect(idleGreen.body).toContain('503 Service Temporarily Unavailable');
    expect(canaryStarting.filter((r) => r.status === 503).length).toBe(5);
    const versions = split.map((r) => (r.body as { version?: string }).version);
    expect(versions.filter((v) => v === 'v1.1.0')).toHaveLength(10);
    expect(versions.filter((v) => v === 'v1.0.0')).toHaveLength(10);
    expect(green).toEqual({ status: 200, body: { status: 'UP', version: 'v0.9.0' } });
  });
});

describe('simulated load balancer traffic noise', () => {
  it('is deterministic for a seed: the same seed gives the same metrics, another seed others', async () => {
    // Prepare
    const read = async (seed: string): Promise<number[]> => {
      let now = EPOCH;
      const world = new SimulatedWorld({ config: testConfig({ only: ['checkout'] }), now: () => now, seed });
      const uninstall = world.install();
      try {
        now += 3 * MINUTE;
        return (await metrics([query('q', 'TargetResponseTime', 'p99', CHECKOUT_TG)], 0, 3)).q?.values ?? [];
      } finally {
        uninstall();
      }
    };

    // Act
    const first = await read('a');
    const again = await read('a');
    const other = await read('b');

    // Assess
    expect(first).toHaveLength(3);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });
});
