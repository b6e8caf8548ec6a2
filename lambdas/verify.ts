/**
 * Verify: one step of the bake. Any watched CloudWatch alarm in ALARM fails
 * the deployment at once; the HTTP health check fails it after
 * `failureThreshold` consecutive failures. `done` is true once the bake time
 * has passed with the last check good.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod';
import { awsCall } from './shared/aws-call.ts';
import { lazyClient } from './shared/clients.ts';
import { now } from './shared/clock.ts';
import { DeploymentSchema } from './shared/deployment.ts';
import { VerificationFailed } from './shared/errors.ts';
import { createHandler } from './shared/handler.ts';
import { runHealthCheck } from './shared/health-check.ts';
import { logger } from './shared/logger.ts';

const cloudwatch = lazyClient(() => new CloudWatchClient({}));

const VerificationStateSchema = z.object({
  checks: z.number().int().min(0),
  done: z.boolean(),
  bakeUntil: z.number().optional(),
  consecutiveHealthFailures: z.number().int().min(0).optional(),
});
export type VerificationState = z.output<typeof VerificationStateSchema> & { lastCheck?: string };

const EventSchema = z.object({ deployment: DeploymentSchema, previous: VerificationStateSchema });

/** Fail when any alarm is in ALARM or does not exist (a typo must not pass silently). */
async function checkAlarms(names: string[]): Promise<string> {
  if (names.length === 0) return 'no alarms configured';
  const result = await awsCall('cloudwatch:DescribeAlarms', () =>
    cloudwatch().send(
      new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 }),
    ),
  );
  const alarms = [...(result.MetricAlarms ?? []), ...(result.CompositeAlarms ?? [])];
  const missing = names.filter((name) => !alarms.some((a) => a.AlarmName === name));
  if (missing.length > 0) {
    throw new VerificationFailed(`alarm ${missing.join(', ')} does not exist in CloudWatch; fix 'alarms' in the config`);
  }
  const firing = alarms.filter((a) => a.StateValue === 'ALARM');
  if (firing.length > 0) {
    throw new VerificationFailed(
      firing.map((a) => `alarm ${a.AlarmName ?? '?'} is in ALARM: ${a.StateReason ?? 'no reason given'}`).join('; '),
    );
  }
  return `${names.length} alarm(s) OK`;
}

export const handler = createHandler(EventSchema, async function verify({ deployment, previous }) {
  const time = now();
  const bakeUntil = previous.bakeUntil ?? time + deployment.bakeSeconds * 1000;
  const notes = [await checkAlarms(deployment.alarms)];
  let consecutiveHealthFailures = 0;
  if (deployment.healthCheck !== undefined) {
    const health = await runHealthCheck(deployment.healthCheck);
    consecutiveHealthFailures = health.ok ? 0 : (previous.consecutiveHealthFailures ?? 0) + 1;
    if (consecutiveHealthFailures >= deployment.healthCheck.failureThreshold) {
      throw new VerificationFailed(
        `health check failed ${consecutiveHealthFailures} time(s) in a row: ${health.detail}`,
      );
    }
    notes.push(health.detail);
  }
  const state: VerificationState = {
    checks: previous.checks + 1,
    done: time >= bakeUntil && consecutiveHealthFailures === 0,
    bakeUntil,
    consecutiveHealthFailures,
    lastCheck: notes.join('; '),
  };
  logger.info('verification step', { serviceName: deployment.service, ...state });
  return state;
});
