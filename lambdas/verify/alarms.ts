/**
 * The watched CloudWatch alarms: which are in ALARM, and which of those
 * were already in ALARM before the deployment started (their state last
 * changed before it). An alarm that went into ALARM during the deployment
 * fails the step; one already firing is reported and, unless the service
 * says `preexistingAlarms: block`, does not block the fix for it.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { awsCall } from '../shared/aws-call.ts';
import { lazyClient } from '../shared/clients.ts';
import { VerificationFailed } from '../shared/errors.ts';

const cloudwatch = lazyClient(() => new CloudWatchClient({}));

export interface AlarmReading {
  /** In ALARM now, and went there during the deployment. */
  firing: { name: string; reason: string }[];
  /** In ALARM now, and already before the deployment started. */
  preexisting: string[];
  /** How many alarms were read. */
  watched: number;
}

/** Read the alarms; a name that does not exist fails (a typo must not pass silently). */
export async function readAlarms(names: string[], deploymentStart: number): Promise<AlarmReading> {
  if (names.length === 0) return { firing: [], preexisting: [], watched: 0 };
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
  const reading: AlarmReading = { firing: [], preexisting: [], watched: alarms.length };
  for (const alarm of alarms) {
    if (alarm.StateValue !== 'ALARM') continue;
    const changed = (alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp)?.getTime() ?? deploymentStart;
    if (changed < deploymentStart) reading.preexisting.push(alarm.AlarmName ?? '?');
    else reading.firing.push({ name: alarm.AlarmName ?? '?', reason: alarm.StateReason ?? 'no reason given' });
  }
  return reading;
}
