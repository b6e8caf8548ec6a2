import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readAlarms } from '../../../lambdas/verify/alarms.ts';

const cloudwatchMock = mockClient(CloudWatchClient);

const START = Date.parse('2026-01-31T12:00:00.000Z');

describe('watched alarms', () => {
  beforeEach(() => {
    cloudwatchMock.reset();
  });

  it('tells alarms that went into ALARM during the deployment from those already there, composite alarms included', async () => {
    // Prepare
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'web-5xx-rate', StateValue: 'ALARM', StateReason: '5xx 12% > 5%', StateTransitionedTimestamp: new Date(START + 1) },
        { AlarmName: 'web-p99-latency', StateValue: 'ALARM', StateTransitionedTimestamp: new Date(START - 1) },
        { AlarmName: 'web-cpu', StateValue: 'INSUFFICIENT_DATA', StateTransitionedTimestamp: new Date(START + 5) },
      ],
      CompositeAlarms: [{ AlarmName: 'web-health', StateValue: 'ALARM', StateReason: 'children in ALARM', StateTransitionedTimestamp: new Date(START) }],
    });

    // Act
    const reading = await readAlarms(['web-5xx-rate', 'web-p99-latency', 'web-cpu', 'web-health'], START);

    // Assess
    expect(reading).toEqual({
      firing: [
        { name: 'web-5xx-rate', reason: '5xx 12% > 5%' },
        { name: 'web-health', reason: 'children in ALARM' },
      ],
      preexisting: ['web-p99-latency'],
      watched: 4,
    });
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['web-5xx-rate', 'web-p99-latency', 'web-cpu', 'web-health'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      MaxRecords: 100,
    });
  });

  it('falls back on the last state update when CloudWatch gives no transition time', async () => {
    // Prepare
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'old', StateValue: 'ALARM', StateUpdatedTimestamp: new Date(START - 60_000) },
        { AlarmName: 'unknown-time', StateValue: 'ALARM' },
      ],
    });

    // Act
    const reading = await readAlarms(['old', 'unknown-time'], START);

    // Assess
    expect(reading.preexisting).toEqual(['old']);
    // Without any time it is blamed on the deployment: a firing alarm must not pass unnoticed.
    expect(reading.firing).toEqual([{ name: 'unknown-time', reason: 'no reason given' }]);
  });

  it('asks CloudWatch nothing when no alarm is watched', async () => {
    // Prepare
    const names: string[] = [];

    // Act
    const reading = await readAlarms(names, START);

    // Assess
    expect(reading).toEqual({ firing: [], preexisting: [], watched: 0 });
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('fails on an alarm that does not exist, naming every missing one', async () => {
    // Prepare
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'web-5xx-rate', StateValue: 'OK' }] });

    // Act
    const result = readAlarms(['web-5xx-rate', 'web-5xx-rte', 'web-p99'], START);

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'VerificationFailed',
      message: "alarm web-5xx-rte, web-p99 does not exist in CloudWatch; fix 'alarms' in the config",
    });
  });
});
