import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { installWorld, webImage, type InstalledWorld } from './world-fixture.ts';

const cloudwatch = new CloudWatchClient({ region: 'us-east-1' });
const ecs = new ECSClient({ region: 'us-east-1' });

async function states(): Promise<Record<string, string | undefined>> {
  const { MetricAlarms } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['web-5xx-rate', 'web-p99-latency', 'ghost'] }));
  return Object.fromEntries((MetricAlarms ?? []).map((a) => [a.AlarmName, a.StateValue]));
}

describe('simulated CloudWatch alarms', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('has every configured alarm in OK and leaves unknown names out, like AWS', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const result = await states();

    // Assess
    expect(result).toEqual({ 'web-5xx-rate': 'OK', 'web-p99-latency': 'OK' });
  });

  it('trips an alarm while tasks of a new revision run, and clears it once they are gone', async () => {
    // Prepare
    installed = installWorld({ rolloutSeconds: 90 });
    const { world, clock } = installed;
    world.tripAlarmWhenNewRevisionServes('web-p99-latency');
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:7' }));
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        ...taskDefinition,
        family: 'web',
        containerDefinitions: taskDefinition?.containerDefinitions?.map((c) => (c.name === 'app' ? { ...c, image: webImage('v2') } : c)),
      }),
    );

    // Act
    const before = await states();
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: registered.taskDefinition?.taskDefinitionArn }));
    clock.advance(30);
    const serving = await states();
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:7' }));
    clock.advance(90);
    const rolledBack = await states();

    // Assess
    expect(before['web-p99-latency']).toBe('OK');
    expect(serving).toEqual({ 'web-5xx-rate': 'OK', 'web-p99-latency': 'ALARM' });
    expect(rolledBack['web-p99-latency']).toBe('OK');
  });

  it('reports forced states with their reason and refuses to trip an alarm no service has', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;

    // Act
    world.cloudwatch.setAlarmState('web-5xx-rate', 'ALARM', 'forced by test');
    const { MetricAlarms } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['web-5xx-rate'] }));
    const refusal = (() => {
      try {
        world.tripAlarmWhenNewRevisionServes('ghost');
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();

    // Assess
    expect(MetricAlarms?.[0]).toMatchObject({
      AlarmName: 'web-5xx-rate',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx-rate',
      StateValue: 'ALARM',
      StateReason: 'forced by test',
    });
    expect(refusal).toContain("no configured service has the alarm 'ghost'");
  });
});
