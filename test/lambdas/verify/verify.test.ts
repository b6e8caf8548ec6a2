import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Figures } from '../../../lambdas/shared/alb-metrics.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import type { HealthCheckConfig } from '../../../lambdas/shared/config.ts';
import { handler } from '../../../lambdas/verify/verify.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  BLUE_TG,
  CHECKOUT_CANARY_TG,
  CHECKOUT_TG,
  EXECUTION_START,
  GREEN_TG,
  TABLE,
  blueGreenDeployment,
  canaryDeployment,
  rollingDeployment,
  stubDeployerEnv,
} from '../../support/lambda-fixtures.ts';
import { fakeAlbMetrics, minutes } from '../fake-aws.ts';

const cloudwatchMock = mockClient(CloudWatchClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

/** The baseline was taken at 12:04:30; the window (rollout done, or traffic moved) starts at 12:05. */
const CAPTURED_AT = Date.parse('2026-01-31T12:04:30.000Z');
const BAKE_START = Date.parse('2026-01-31T12:05:00.000Z');
const baseline = { alarmsInAlarm: [], capturedAt: CAPTURED_AT };

/** The rolling `web` service: two alarms and a health check asserting `status == "UP"` (failureThreshold 2). */
const deployment = rollingDeployment();
const healthCheck = deployment.verification.healthCheck as HealthCheckConfig;
const bakeWindow = { phase: 'bake' as const, since: BAKE_START, bakeSeconds: deployment.bakeSeconds };
const bakeUntil = BAKE_START + deployment.bakeSeconds * 1000;

/** CloudWatch's alarms: state, and when it last changed (default: long before the deployment). */
function alarmsAre(
  states: Record<string, StateValue | { state: StateValue; since: number }>,
  reason = 'Threshold Crossed: 3 datapoints were greater than 5.0',
): void {
  cloudwatchMock.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: Object.entries(states).map(([AlarmName, value]) => {
      const { state, since } = typeof value === 'string' ? { state: value, since: Date.parse('2026-01-01T00:00:00Z') } : value;
      return { AlarmName, StateValue: state, StateReason: state === 'ALARM' ? reason : 'OK', StateTransitionedTimestamp: new Date(since) };
    }),
  });
}

function allAlarmsOk(alarms: string[] = deployment.verification.alarms): void {
  alarmsAre(Object.fromEntries(alarms.map((name) => [name, 'OK' as const])));
}

/** The health endpoint answers `body` with `status`. */
function healthAnswers(body: string, status = 200) {
  const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response(body, { status, headers: { 'content-type': 'application/json' } }));
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

const HEALTHY = JSON.stringify({ status: 'UP' });

/** The verdict appended to the history, if one was. */
function verdictsAppended(): unknown[] {
  return ddbMock
    .commandCalls(UpdateCommand)
    .filter((call) => call.args[0].input.UpdateExpression?.startsWith('SET verdicts'))
    .map((call) => call.args[0].input.ExpressionAttributeValues?.[':entry']);
}

/** DynamoDB throttling, as the SDK throws it once its own retries are spent. */
function throttling(): DynamoDBServiceException {
  return Object.assign(
    new DynamoDBServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
    { $retryable: { throttling: true } },
  );
}

function figures(requests: number, errors: number, p99?: number): Figures {
  return { requests, errors, errorRate: requests === 0 ? 0 : errors / requests, ...(p99 !== undefined ? { p99 } : {}), from: 0, to: 0 };
}

describe('Verify', () => {
  let clock: number;
  let restoreClock: () => void;

  beforeEach(() => {
    cloudwatchMock.reset();
    ddbMock.reset();
    stubDeployerEnv();
    clock = BAKE_START;
    restoreClock = useClock({ now: () => clock });
    ddbMock.on(GetCommand).resolves({});
    ddbMock.on(UpdateCommand).resolves({});
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
  });

  describe('rolling: alarms and the health check', () => {
    it('checks alarms and the health check and is not done until the bake time has passed', async () => {
      // Prepare
      allAlarmsOk();
      const fetch = healthAnswers(HEALTHY);

      // Act
      const state = await handler({ deployment, baseline, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(state).toMatchObject({ checks: 1, done: false, bakeUntil, consecutiveHealthFailures: 0 });
      expect(state.verdict).toMatch(/^bake check 1: alarms OK \(2\); GET https:\/\/web\.example\.com\/health: status == "UP"$/);
      expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
        AlarmNames: deployment.verification.alarms,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      });
      expect(fetch).toHaveBeenCalledWith(healthCheck.url, expect.objectContaining({ redirect: 'manual' }));
      expect(verdictsAppended()).toEqual([]);
    });

    it('is not done while the bake time runs, even when every check passes', async () => {
      // Prepare
      allAlarmsOk();
      healthAnswers(HEALTHY);
      clock = bakeUntil - 1;

      // Act
      const state = await handler({ deployment, baseline, window: bakeWindow, previous: { checks: 5, done: false } }, lambdaContext());

      // Assess
      expect(state).toMatchObject({ checks: 6, done: false, bakeUntil });
    });

    it('is done once the bake time has passed with alarms and health check good, and appends the verdict to the history', async () => {
      // Prepare
      allAlarmsOk();
      healthAnswers(HEALTHY);
      clock = bakeUntil;

      // Act
      const state = await handler({ deployment, baseline, window: bakeWindow, previous: { checks: 10, done: false } }, lambdaContext());

      // Assess
      expect(state).toMatchObject({ checks: 11, done: true, bakeUntil, consecutiveHealthFailures: 0 });
      expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
        TableName: TABLE,
        Key: { pk: 'SERVICE#web', sk: `DEPLOY#${EXECUTION_START}#${deployment.executionName}` },
        UpdateExpression: 'SET verdicts = list_append(if_not_exists(verdicts, :empty), :entry)',
        ExpressionAttributeValues: {
          ':empty': [],
          ':entry': [{ phase: 'bake', step: -1, weight: 100, verdict: state.verdict, at: new Date(clock).toISOString() }],
        },
      });
    });

    it('appends no verdict for a check during the rollout, even a finished one', async () => {
      // Prepare
      allAlarmsOk();
      healthAnswers(HEALTHY);

      // Act
      const state = await handler(
        { deployment, baseline, window: { phase: 'rollout', since: BAKE_START, bakeSeconds: 0 }, previous: { checks: 0, done: false } },
        lambdaContext(),
      );

      // Assess
      expect(state.done).toBe(true);
      expect(ddbMock).not.toHaveReceivedAnyCommand();
    });

    it('fails at once when an alarm went into ALARM after the baseline, naming the alarm and why', async () => {
      // Prepare
      const [firing, quiet] = deployment.verification.alarms as [string, string];
      alarmsAre({ [firing]: { state: 'ALARM', since: BAKE_START + 10_000 }, [quiet]: 'OK' }, 'Threshold Crossed: 5xx rate 12% > 5%');
      healthAnswers(HEALTHY);

      // Act
      const result = handler({ deployment, baseline, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'VerificationFailed',
        message: `alarm ${firing} went into ALARM: Threshold Crossed: 5xx rate 12% > 5%`,
      });
    });

    it('reports an alarm already in ALARM before the baseline, without failing (the deployment may be its fix)', async () => {
      // Prepare
      const [firing, quiet] = deployment.verification.alarms as [string, string];
      alarmsAre({ [firing]: { state: 'ALARM', since: CAPTURED_AT - 60_000 }, [quiet]: 'OK' });
      healthAnswers(HEALTHY);
      clock = bakeUntil;

      // Act
      const state = await handler({ deployment, baseline: { ...baseline, alarmsInAlarm: [firing] }, window: bakeWindow, previous: { checks: 9, done: false } }, lambdaContext());

      // Assess
      expect(state.done).toBe(true);
      expect(state.verdict).toContain(`already in ALARM before the deployment: ${firing}`);
    });

    it('fails when a configured alarm does not exist, so a typo cannot pass silently', async () => {
      // Prepare
      const [exists, missing] = deployment.verification.alarms as [string, string];
      alarmsAre({ [exists]: 'OK' });
      healthAnswers(HEALTHY);

      // Act
      const result = handler({ deployment, baseline, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'VerificationFailed',
        message: `alarm ${missing} does not exist in CloudWatch; fix 'alarms' in the config`,
      });
    });

    it('verifies a service without a health check by its alarms alone, making no HTTP request', async () => {
      // Prepare
      const { healthCheck: _none, ...withoutHealthCheck } = deployment.verification;
      const noHealthCheck = { ...deployment, verification: withoutHealthCheck };
      allAlarmsOk();
      const fetch = vi.fn(async () => Promise.reject(new TypeError('fetch failed')));
      vi.stubGlobal('fetch', fetch);
      clock = bakeUntil;

      // Act
      const state = await handler({ deployment: noHealthCheck, baseline, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(fetch).not.toHaveBeenCalled();
      expect(state).toMatchObject({ done: true, consecutiveHealthFailures: 0 });
      expect(state.verdict).toBe(`bake check 1: alarms OK (${deployment.verification.alarms.length})`);
    });

    it('does not call CloudWatch for a service without alarms', async () => {
      // Prepare
      const noAlarms = { ...deployment, verification: { ...deployment.verification, alarms: [] } };
      healthAnswers(HEALTHY);

      // Act
      const state = await handler({ deployment: noAlarms, baseline, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
      expect(state.verdict).toContain('no alarms');
    });

    it('fails naming every alarm that went into ALARM after the baseline', async () => {
      // Prepare
      const [first, second] = deployment.verification.alarms as [string, string];
      alarmsAre({ [first]: { state: 'ALARM', since: BAKE_START + 10_000 }, [second]: { state: 'ALARM', since: BAKE_START + 20_000 } }, 'Threshold Crossed');
      healthAnswers(HEALTHY);

      // Act
      const result = handler({ deployment, baseline, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'VerificationFailed',
        message: `alarm ${first} went into ALARM: Threshold Crossed; alarm ${second} went into ALARM: Threshold Crossed`,
      });
    });

    it('reports every alarm already in ALARM before the baseline', async () => {
      // Prepare
      const [first, second] = deployment.verification.alarms as [string, string];
      alarmsAre({ [first]: { state: 'ALARM', since: CAPTURED_AT - 60_000 }, [second]: { state: 'ALARM', since: CAPTURED_AT - 30_000 } });
      healthAnswers(HEALTHY);

      // Act
      const state = await handler({ deployment, baseline: { ...baseline, alarmsInAlarm: [first, second] }, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(state.verdict).toContain(`already in ALARM before the deployment: ${first}, ${second}`);
    });

    it('does not blame the deployment for an alarm that went into ALARM at the instant the baseline was taken (the baseline saw it)', async () => {
      // Prepare
      const [firing, quiet] = deployment.verification.alarms as [string, string];
      alarmsAre({ [firing]: { state: 'ALARM', since: CAPTURED_AT }, [quiet]: 'OK' });
      healthAnswers(HEALTHY);

      // Act
      const state = await handler({ deployment, baseline: { ...baseline, alarmsInAlarm: [firing] }, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(state.verdict).toContain(`already in ALARM before the deployment: ${firing}`);
    });

    it('remembers when the window’s checks started, from its first check on', async () => {
      // Prepare
      allAlarmsOk();
      healthAnswers(HEALTHY);
      clock = BAKE_START + 90_000;

      // Act
      const first = await handler({ deployment, baseline, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());
      clock = BAKE_START + 120_000;
      const second = await handler({ deployment, baseline, window: bakeWindow, previous: first }, lambdaContext());

      // Assess
      expect([first.startedAt, second.startedAt]).toEqual([BAKE_START + 90_000, BAKE_START + 90_000]);
    });

    it('reports a throttled history write as TransientAwsError naming the write, so the state machine retries', async () => {
      // Prepare
      allAlarmsOk();
      healthAnswers(HEALTHY);
      ddbMock.on(UpdateCommand).rejects(throttling());
      clock = bakeUntil;

      // Act
      const result = handler({ deployment, baseline, window: bakeWindow, previous: { checks: 10, done: false } }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining('dynamodb:UpdateItem (verdicts) failed') });
    });

    it('logs each check’s state with the service, for an operator following the bake', async () => {
      // Prepare
      allAlarmsOk();
      healthAnswers(HEALTHY);
      const info = vi.spyOn(logger, 'info');

      // Act
      const state = await handler({ deployment, baseline, window: bakeWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(info).toHaveBeenCalledWith('verification', { serviceName: 'web', ...state });
      info.mockRestore();
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
        clock = bakeUntil + 1;

        // Act
        const state = await handler(
          { deployment, baseline, window: bakeWindow, previous: { checks: 3, done: false, consecutiveHealthFailures: 0 } },
          lambdaContext(),
        );

        // Assess
        expect(state).toMatchObject({ checks: 4, done: false, consecutiveHealthFailures: 1 });
        expect(state.verdict).toMatch(detail);
      });

      it.each(failures)('fails on %s reaching the failure threshold, saying what was seen', async (_what, answer, detail) => {
        // Prepare
        allAlarmsOk();
        answer();
        const previous = { checks: 3, done: false, consecutiveHealthFailures: healthCheck.failureThreshold - 1 };

        // Act
        const result = handler({ deployment, baseline, window: bakeWindow, previous }, lambdaContext());

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
        const previous = { checks: 3, done: false, consecutiveHealthFailures: healthCheck.failureThreshold - 1 };

        // Act
        const state = await handler({ deployment, baseline, window: bakeWindow, previous }, lambdaContext());

        // Assess
        expect(state.consecutiveHealthFailures).toBe(0);
      });
    });
  });

  describe('canary: new side against old side', () => {
    const canary = canaryDeployment();
    const STEP_START = Date.parse('2026-01-31T12:10:00.000Z');
    const stepWindow = {
      phase: 'bake' as const,
      since: STEP_START,
      bakeSeconds: 300,
      newTargetGroupArn: CHECKOUT_CANARY_TG,
      oldTargetGroupArn: CHECKOUT_TG,
      weight: 10,
      step: 0,
    };
    const stepDone = STEP_START + 300_000;
    const run = (previous: Record<string, unknown> = {}, window: Record<string, unknown> = {}) =>
      handler({ deployment: canary, baseline, window: { ...stepWindow, ...window }, previous: { checks: 4, done: false, ...previous } }, lambdaContext());

    beforeEach(() => {
      allAlarmsOk(canary.verification.alarms);
      healthAnswers(HEALTHY);
      clock = stepDone + 5_000;
    });

    it('passes the step when the canary’s errors and latency are close to the primary’s, reading the complete minutes of the window', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, {
        [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 30, errors: 0, p99: 0.21 }),
        [CHECKOUT_TG]: minutes(STEP_START, 5, { requests: 270, errors: 1, p99: 0.2 }),
      });

      // Act
      const state = await run();

      // Assess
      expect(state).toMatchObject({ checks: 5, done: true });
      expect(state.figures).toMatchObject({ new: { requests: 150, errors: 0, p99: 0.21 }, old: { requests: 1350, errors: 5, p99: 0.2 } });
      expect(state.reference).toMatchObject({ requests: 1350, errors: 5 });
      expect(state.verdict).toMatch(/^10% bake check 5: alarms OK \(1\); canary 5xx 0\.00% vs 0\.37% \(limit \+1 pt\), p99 210 ms vs 200 ms \(x1\.05 <= 1\.5\) over 150 requests; GET /);
      expect(cloudwatchMock).toHaveReceivedCommandWith(GetMetricDataCommand, {
        StartTime: new Date(STEP_START),
        EndTime: new Date(Date.parse('2026-01-31T12:15:00.000Z')),
      });
      expect(verdictsAppended()).toEqual([[expect.objectContaining({ phase: 'bake', step: 0, weight: 10, verdict: state.verdict })]]);
    });

    it('fails the step when the canary’s 5xx rate is beyond the primary’s by more than the margin', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, {
        [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 30, errors: 3, p99: 0.2 }),
        [CHECKOUT_TG]: minutes(STEP_START, 5, { requests: 270, errors: 1, p99: 0.2 }),
      });

      // Act
      const result = run();

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'VerificationFailed',
        message: "canary side 5xx rate 10.0% (15/150) exceeds the old side's 0.37% (5/1350) by more than 1 point(s)",
      });
    });

    it('keeps baking past the bake while the canary has served fewer than minRequests', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, {
        [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 8, errors: 0 }),
        [CHECKOUT_TG]: minutes(STEP_START, 5, { requests: 72, errors: 0 }),
      });

      // Act
      const state = await run();

      // Assess
      expect(state.done).toBe(false);
      expect(state.verdict).toContain('canary served 40 request(s), fewer than minRequests 100');
      expect(verdictsAppended()).toEqual([]);
    });

    it('fails a step that still lacks requests after its bake and maxExtraBake', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, { [CHECKOUT_CANARY_TG]: minutes(STEP_START, 15, { requests: 5 }), [CHECKOUT_TG]: minutes(STEP_START, 15, { requests: 45 }) });
      clock = stepDone + canary.verification.comparison!.maxExtraBakeSeconds * 1000;

      // Act
      const result = run();

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'VerificationFailed',
        message:
          'too little traffic to judge the new revision: canary served 75 request(s), fewer than minRequests 100 after 15m (bake 5m + maxExtraBake 10m); lower verification.minRequests or send traffic',
      });
    });

    it('does not fail for lack of requests one moment before the extra bake ends', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, { [CHECKOUT_CANARY_TG]: minutes(STEP_START, 15, { requests: 5 }) });
      clock = stepDone + canary.verification.comparison!.maxExtraBakeSeconds * 1000 - 1;

      // Act
      const state = await run();

      // Assess
      expect(state.done).toBe(false);
    });

    it('compares with the reference when the old side gets no traffic any more (100% on the new side)', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, { [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 80, errors: 4 }) });
      const reference = figures(2000, 4);

      // Act
      const result = run({ reference }, { weight: 100, step: 4 });

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'VerificationFailed',
        message: "canary side 5xx rate 5.00% (20/400) exceeds the old side's 0.20% (4/2000) by more than 1 point(s)",
      });
    });

    it('passes at 100% against the reference and keeps it for the next check', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, { [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 80, errors: 0 }) });
      const reference = figures(2000, 4);

      // Act
      const state = await run({ reference }, { weight: 100, step: 4 });

      // Assess
      expect(state.done).toBe(true);
      expect(state.reference).toEqual(reference);
      expect(state.figures).toEqual({ new: expect.objectContaining({ requests: 400 }), old: expect.objectContaining({ requests: 0 }) });
      expect(state.verdict).toContain('canary 5xx 0.00% vs 0.20%');
    });

    it('passes on the new side alone when there is nothing to compare with', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, { [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 80, errors: 1 }) });

      // Act
      const state = await run({}, { weight: 100, step: 4 });

      // Assess
      expect(state.done).toBe(true);
      expect(state.verdict).toContain('(no old-side figures to compare with)');
    });

    it('compares with an old side that served exactly minRequests', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, {
        [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 30, errors: 0 }),
        [CHECKOUT_TG]: minutes(STEP_START, 5, { requests: 20, errors: 0 }),
      });

      // Act
      const state = await run();

      // Assess
      expect(state.verdict).toContain('canary 5xx 0.00% vs 0.00% (limit +1 pt) over 150 requests');
      expect(state.reference).toMatchObject({ requests: 100 });
    });

    it('does not compare with an old side that served fewer than minRequests, nor keep it as the reference', async () => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, {
        [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 30, errors: 0 }),
        [CHECKOUT_TG]: minutes(STEP_START, 5, { requests: 10, errors: 5 }),
      });

      // Act
      const state = await run();

      // Assess
      expect(state.verdict).toContain('canary 5xx 0.00% (no old-side figures to compare with) over 150 requests');
      expect(state.reference).toBeUndefined();
    });

    it.each([
      ['the deployment has no comparison thresholds', () => ({ deployment: { ...canary, verification: { ...canary.verification, comparison: undefined } } }), {}],
      ['the deployment has no load balancer', () => ({ deployment: { ...canary, loadBalancer: undefined } }), {}],
      ['the window names no new target group', () => ({}), { newTargetGroupArn: undefined }],
      ['the window is a rollout (tasks still starting)', () => ({}), { phase: 'rollout' }],
    ])('compares no metrics, keeping the reference, when %s', async (_what, change, windowChange) => {
      // Prepare
      fakeAlbMetrics(cloudwatchMock, { [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 30, errors: 30 }) });
      const reference = figures(2000, 4);
      const { deployment: changed = canary } = change() as { deployment?: typeof canary };

      // Act
      const state = await handler(
        { deployment: changed, baseline, window: { ...stepWindow, ...windowChange }, previous: { checks: 4, done: false, reference } },
        lambdaContext(),
      );

      // Assess
      expect(cloudwatchMock).not.toHaveReceivedCommand(GetMetricDataCommand);
      expect(state.done).toBe(true);
      expect(state.reference).toEqual(reference);
    });

    describe('deployer promote', () => {
      const promote = (executionArn: string, requestedAt: number) =>
        ddbMock.on(GetCommand).resolves({
          Item: { promote: { executionArn, requestedAt: new Date(requestedAt).toISOString(), requestedBy: 'alice' } },
        });

      beforeEach(() => {
        fakeAlbMetrics(cloudwatchMock, {
          [CHECKOUT_CANARY_TG]: minutes(STEP_START, 2, { requests: 5 }),
          [CHECKOUT_TG]: minutes(STEP_START, 2, { requests: 45 }),
        });
        clock = STEP_START + 150_000;
      });

      it('ends the bake now on a promote request of this execution made since the window started', async () => {
        // Prepare
        promote(canary.executionId, STEP_START + 60_000);

        // Act
        const state = await run();

        // Assess
        expect(state.done).toBe(true);
        expect(state.verdict).toContain('promoted by alice: bake ended early');
        expect(ddbMock).toHaveReceivedCommandWith(GetCommand, {
          TableName: TABLE,
          Key: { pk: 'SERVICE#checkout', sk: 'LOCK' },
          ProjectionExpression: '#p',
          ExpressionAttributeNames: { '#p': 'promote' },
        });
        expect(verdictsAppended()).toHaveLength(1);
      });

      it.each([
        ['of another execution', 'arn:aws:states:eu-west-1:123456789012:execution:EcsDeployer-ecs-canary:checkout-other', STEP_START + 60_000],
        ['made before the window started (an earlier step)', undefined, STEP_START - 1],
      ])('ignores a promote request %s', async (_what, executionArn, requestedAt) => {
        // Prepare
        promote(executionArn ?? canary.executionId, requestedAt);

        // Act
        const state = await run();

        // Assess
        expect(state.done).toBe(false);
      });

      it('ends the bake on a promote request made at the very instant the window started', async () => {
        // Prepare
        promote(canary.executionId, STEP_START);

        // Act
        const state = await run();

        // Assess
        expect(state.done).toBe(true);
      });

      it('does not say a bake that ended on time was promoted', async () => {
        // Prepare
        fakeAlbMetrics(cloudwatchMock, {
          [CHECKOUT_CANARY_TG]: minutes(STEP_START, 5, { requests: 30 }),
          [CHECKOUT_TG]: minutes(STEP_START, 5, { requests: 270 }),
        });
        promote(canary.executionId, STEP_START + 60_000);
        clock = stepDone + 5_000;

        // Act
        const state = await run();

        // Assess
        expect(state.done).toBe(true);
        expect(state.verdict).not.toContain('promoted');
      });

      it('reports a throttled read of promote requests as TransientAwsError naming the read', async () => {
        // Prepare
        ddbMock.on(GetCommand).rejects(throttling());

        // Act
        const result = run();

        // Assess
        await expect(result).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining('dynamodb:GetItem (lock) failed') });
      });
    });
  });

  describe('blue-green: the idle colour through the test listener', () => {
    const blueGreen = blueGreenDeployment();
    const testWindow = { phase: 'test' as const, since: BAKE_START, bakeSeconds: 0, newTargetGroupArn: GREEN_TG };

    it('checks the test URL, compares no metrics and never reads promote requests', async () => {
      // Prepare
      allAlarmsOk(blueGreen.verification.alarms);
      const fetch = healthAnswers(HEALTHY);
      clock = BAKE_START + 30_000;

      // Act
      const state = await handler({ deployment: blueGreen, baseline, window: testWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(fetch).toHaveBeenCalledWith('https://payments.example.com:8443/payments/health', expect.anything());
      expect(state.done).toBe(true);
      expect(cloudwatchMock).not.toHaveReceivedCommand(GetMetricDataCommand);
      expect(ddbMock).not.toHaveReceivedCommand(GetCommand);
    });

    it('counts consecutive failures of the test URL against the failure threshold', async () => {
      // Prepare
      allAlarmsOk(blueGreen.verification.alarms);
      healthAnswers('', 502);

      // Act
      const result = handler(
        { deployment: blueGreen, baseline, window: testWindow, previous: { checks: 1, done: false, consecutiveHealthFailures: 1 } },
        lambdaContext(),
      );

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'VerificationFailed',
        message: 'health check failed 2 time(s) in a row: GET https://payments.example.com:8443/payments/health returned 502, expected 200',
      });
    });

    // `deployer promote` ends the bake of the current step; keep-warm starts at the same instant as the
    // last step's bake (`$.weights.setAt`), so a promote counts only from the window's own start on:
    // otherwise the promote that ended the 100% step's bake would also end keep-warm at its first check.
    it('keeps the old colour warm after a promote that ended the last step’s bake', async () => {
      // Prepare
      const switchedAt = BAKE_START;
      allAlarmsOk(blueGreen.verification.alarms);
      healthAnswers(HEALTHY);
      fakeAlbMetrics(cloudwatchMock, { [GREEN_TG]: minutes(switchedAt, 3, { requests: 200 }) });
      ddbMock.on(GetCommand).resolves({
        Item: { promote: { executionArn: blueGreen.executionId, requestedAt: new Date(switchedAt + 60_000).toISOString(), requestedBy: 'alice' } },
      });
      clock = switchedAt + 3 * 60_000;
      const keepWarm = { phase: 'keep-warm' as const, since: switchedAt, bakeSeconds: blueGreen.keepWarmSeconds, newTargetGroupArn: GREEN_TG, weight: 100 };

      // Act
      const state = await handler({ deployment: blueGreen, baseline, window: keepWarm, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(state.done).toBe(false);
    });

    it('does not end the idle colour’s test on a promote request (promote ends bakes only)', async () => {
      // Prepare
      allAlarmsOk(blueGreen.verification.alarms);
      healthAnswers('', 502);
      ddbMock.on(GetCommand).resolves({
        Item: { promote: { executionArn: blueGreen.executionId, requestedAt: new Date(BAKE_START + 1_000).toISOString(), requestedBy: 'alice' } },
      });

      // Act
      const state = await handler({ deployment: blueGreen, baseline, window: testWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(state.done).toBe(false);
      expect(ddbMock).not.toHaveReceivedCommand(GetCommand);
    });

    it('ends keep-warm on a promote request made after keep-warm’s first check', async () => {
      // Prepare
      const switchedAt = BAKE_START;
      allAlarmsOk(blueGreen.verification.alarms);
      healthAnswers(HEALTHY);
      fakeAlbMetrics(cloudwatchMock, { [GREEN_TG]: minutes(switchedAt, 3, { requests: 200 }) });
      ddbMock.on(GetCommand).resolves({
        Item: { promote: { executionArn: blueGreen.executionId, requestedAt: new Date(switchedAt + 90_000).toISOString(), requestedBy: 'alice' } },
      });
      clock = switchedAt + 3 * 60_000;
      const keepWarm = { phase: 'keep-warm' as const, since: switchedAt, bakeSeconds: blueGreen.keepWarmSeconds, newTargetGroupArn: GREEN_TG, weight: 100 };

      // Act
      const state = await handler(
        { deployment: blueGreen, baseline, window: keepWarm, previous: { checks: 1, done: false, startedAt: switchedAt + 60_000 } },
        lambdaContext(),
      );

      // Assess
      expect(state.done).toBe(true);
      expect(state.verdict).toContain('promoted by alice: bake ended early');
    });

    it('compares the new colour with the old one, naming it the new colour', async () => {
      // Prepare
      allAlarmsOk(blueGreen.verification.alarms);
      healthAnswers(HEALTHY);
      fakeAlbMetrics(cloudwatchMock, { [GREEN_TG]: minutes(BAKE_START, 2, { requests: 100 }), [BLUE_TG]: minutes(BAKE_START, 2, { requests: 900 }) });
      clock = BAKE_START + 2 * 60_000;
      const bake = { phase: 'bake' as const, since: BAKE_START, bakeSeconds: 600, newTargetGroupArn: GREEN_TG, oldTargetGroupArn: BLUE_TG, weight: 10, step: 0 };

      // Act
      const state = await handler({ deployment: blueGreen, baseline, window: bake, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(state.verdict).toContain('new colour 5xx 0.00% vs 0.00%');
    });

    it('makes no HTTP request on the idle colour when the service has a test URL but no health check settings', async () => {
      // Prepare
      const { healthCheck: _none, ...withoutHealthCheck } = blueGreen.verification;
      const testUrlOnly = { ...blueGreen, verification: withoutHealthCheck };
      allAlarmsOk(blueGreen.verification.alarms);
      const fetch = vi.fn(async () => Promise.reject(new TypeError('fetch failed')));
      vi.stubGlobal('fetch', fetch);

      // Act
      const state = await handler({ deployment: testUrlOnly, baseline, window: testWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(fetch).not.toHaveBeenCalled();
      expect(state.done).toBe(true);
    });

    it('makes no HTTP request on the idle colour when no test URL is configured', async () => {
      // Prepare
      const { testUrl: _none, ...withoutTestUrl } = blueGreen.verification;
      const noTestUrl = { ...blueGreen, verification: withoutTestUrl };
      allAlarmsOk(blueGreen.verification.alarms);
      const fetch = vi.fn(async () => Promise.reject(new TypeError('fetch failed')));
      vi.stubGlobal('fetch', fetch);

      // Act
      const state = await handler({ deployment: noTestUrl, baseline, window: testWindow, previous: { checks: 0, done: false } }, lambdaContext());

      // Assess
      expect(fetch).not.toHaveBeenCalled();
      expect(state.done).toBe(true);
    });

    it('uses the production URL once traffic moves', async () => {
      // Prepare
      allAlarmsOk(blueGreen.verification.alarms);
      const fetch = healthAnswers(HEALTHY);
      fakeAlbMetrics(cloudwatchMock, {});

      // Act
      await handler(
        { deployment: blueGreen, baseline, window: { ...testWindow, phase: 'bake', bakeSeconds: 120 }, previous: { checks: 0, done: false } },
        lambdaContext(),
      );

      // Assess
      expect(fetch).toHaveBeenCalledWith('https://payments.example.com/payments/health', expect.anything());
    });
  });
});
