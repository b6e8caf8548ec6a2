import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HealthCheckConfig } from '../../lambdas/shared/config.ts';
import { useClock } from '../../lambdas/shared/clock.ts';
import { handler } from '../../lambdas/verify.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { deploymentOf, stubDeployerEnv } from '../support/lambda-fixtures.ts';

const cloudwatchMock = mockClient(CloudWatchClient);

const BAKE_START = Date.parse('2026-01-31T12:05:00.000Z');

/** The example's web service: two alarms and a health check asserting `status == "UP"`. */
const deployment = deploymentOf('web');
const healthCheck = deployment.healthCheck as HealthCheckConfig;

function alarmsAre(states: Record<string, MetricAlarm['StateValue']>, reason = 'Threshold Crossed: 3 datapoints were greater than 5.0'): void {
  cloudwatchMock.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: Object.entries(states).map(([AlarmName, StateValue]) => ({
      AlarmName,
      StateValue,
      StateReason: StateValue === 'ALARM' ? reason : 'OK',
    })),
  });
}

function allAlarmsOk(): void {
  alarmsAre(Object.fromEntries(deployment.alarms.map((name) => [name, 'OK'])));
}

/** The health endpoint answers `body` with `status`. */
function healthAnswers(body: string, status = 200) {
  const fetch = vi.fn(async () => new Response(body, { status, headers: { 'content-type': 'application/json' } }));
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

const HEALTHY = JSON.stringify({ status: healthCheck.body?.equals });

describe('Verify', () => {
  let clock: number;
  let restoreClock: () => void;

  beforeEach(() => {
    cloudwatchMock.reset();
    stubDeployerEnv();
    clock = BAKE_START;
    restoreClock = useClock({ now: () => clock });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
  });

  it('starts the bake on the first good check and is not done until the bake time has passed', async () => {
    // Prepare
    allAlarmsOk();
    const fetch = healthAnswers(HEALTHY);

    // Act
    const state = await handler({ deployment, previous: { checks: 0, done: false } }, lambdaContext());

    // Assess
    expect(state).toMatchObject({
      checks: 1,
      done: false,
      bakeUntil: BAKE_START + deployment.bakeSeconds * 1000,
      consecutiveHealthFailures: 0,
    });
    expect(state.lastCheck).toContain(`${deployment.alarms.length} alarm(s) OK`);
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: deployment.alarms });
    expect(fetch).toHaveBeenCalledWith(healthCheck.url, expect.objectContaining({ redirect: 'manual' }));
  });

  it('is not done while the bake time runs, even when every check passes', async () => {
    // Prepare
    allAlarmsOk();
    healthAnswers(HEALTHY);
    const bakeUntil = BAKE_START + deployment.bakeSeconds * 1000;
    clock = bakeUntil - 1;

    // Act
    const state = await handler({ deployment, previous: { checks: 5, done: false, bakeUntil } }, lambdaContext());

    // Assess
    expect(state).toMatchObject({ checks: 6, done: false, bakeUntil });
  });

  it('is done once the bake time has passed with alarms and health check good', async () => {
    // Prepare
    allAlarmsOk();
    healthAnswers(HEALTHY);
    const bakeUntil = BAKE_START + deployment.bakeSeconds * 1000;
    clock = bakeUntil;

    // Act
    const state = await handler({ deployment, previous: { checks: 10, done: false, bakeUntil } }, lambdaContext());

    // Assess
    expect(state).toMatchObject({ checks: 11, done: true, bakeUntil, consecutiveHealthFailures: 0 });
  });

  it('fails at once when an alarm is in ALARM, naming the alarm and why', async () => {
    // Prepare
    const [firing, quiet] = deployment.alarms as [string, string];
    alarmsAre({ [firing]: 'ALARM', [quiet]: 'OK' }, 'Threshold Crossed: 5xx rate 12% > 5%');
    healthAnswers(HEALTHY);

    // Act
    const result = handler({ deployment, previous: { checks: 0, done: false } }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'VerificationFailed',
      message: `alarm ${firing} is in ALARM: Threshold Crossed: 5xx rate 12% > 5%`,
    });
  });

  it('fails when a configured alarm does not exist, so a typo cannot pass silently', async () => {
    // Prepare
    const [exists, missing] = deployment.alarms as [string, string];
    alarmsAre({ [exists]: 'OK' });
    healthAnswers(HEALTHY);

    // Act
    const result = handler({ deployment, previous: { checks: 0, done: false } }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'VerificationFailed',
      message: `alarm ${missing} does not exist in CloudWatch; fix 'alarms' in the config`,
    });
  });

  it('does not call CloudWatch for a service without alarms', async () => {
    // Prepare
    const noAlarms = { ...deployment, alarms: [] };
    healthAnswers(HEALTHY);

    // Act
    const state = await handler({ deployment: noAlarms, previous: { checks: 0, done: false } }, lambdaContext());

    // Assess
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
    expect(state.lastCheck).toContain('no alarms configured');
  });

  describe('health check failures', () => {
    const failures: [string, () => void, RegExp][] = [
      ['the wrong status', () => healthAnswers('Service Unavailable', 503), /returned 503, expected 200/],
      ['a body assertion that does not hold', () => healthAnswers(JSON.stringify({ status: 'DOWN' })), /status is "DOWN", expected "UP"/],
      ['a body that is not JSON', () => healthAnswers('<html>oops</html>'), /a body that is not JSON: <html>oops<\/html>/],
      [
        'a network error',
        () => vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('fetch failed')))),
        /failed: TypeError: fetch failed/,
      ],
    ];

    it.each(failures)('does not fail on %s below the failure threshold, but keeps the bake from ending', async (_what, answer, detail) => {
      // Prepare
      expect(healthCheck.failureThreshold).toBeGreaterThan(1);
      allAlarmsOk();
      answer();
      const bakeUntil = BAKE_START;
      clock = bakeUntil + 1;

      // Act
      const state = await handler(
        { deployment, previous: { checks: 3, done: false, bakeUntil, consecutiveHealthFailures: 0 } },
        lambdaContext(),
      );

      // Assess
      expect(state).toMatchObject({ checks: 4, done: false, consecutiveHealthFailures: 1 });
      expect(state.lastCheck).toMatch(detail);
    });

    it.each(failures)('fails on %s reaching the failure threshold, saying what was seen', async (_what, answer, detail) => {
      // Prepare
      allAlarmsOk();
      answer();
      const previous = { checks: 3, done: false, bakeUntil: BAKE_START, consecutiveHealthFailures: healthCheck.failureThreshold - 1 };

      // Act
      const result = handler({ deployment, previous }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'VerificationFailed',
        message: expect.stringMatching(
          new RegExp(`^health check failed ${healthCheck.failureThreshold} time\\(s\\) in a row: GET ${healthCheck.url.replace(/\./g, '\\.')}.*${detail.source}`),
        ),
      });
    });

    it('starts counting again after a good check', async () => {
      // Prepare
      allAlarmsOk();
      healthAnswers(HEALTHY);
      const previous = { checks: 3, done: false, bakeUntil: BAKE_START + 60_000, consecutiveHealthFailures: healthCheck.failureThreshold - 1 };

      // Act
      const state = await handler({ deployment, previous }, lambdaContext());

      // Assess
      expect(state.consecutiveHealthFailures).toBe(0);
    });
  });
});
