import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateServiceCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { elb, registerRevision } from './ecs-helpers.ts';
import { CANARY_TG, checkoutImage, CHECKOUT_TG, installWorld, LISTENER, webImage, type InstalledWorld } from './world-fixture.ts';

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
    // Prepare: new tasks RUNNING 40 s after the update.
    installed = installWorld();
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
    clock.advance(39);
    const starting = await states();
    clock.advance(1);
    const serving = await states();
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:7' }));
    clock.advance(90);
    const rolledBack = await states();

    // Assess
    expect(before['web-p99-latency']).toBe('OK');
    expect(starting['web-p99-latency']).toBe('OK');
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

  it('trips a canary service alarm only while the new revision gets production traffic', async () => {
    // Prepare: a canary service on a new revision, in the listener with weight 0 first.
    installed = installWorld();
    const { world, clock } = installed;
    world.tripAlarmWhenNewRevisionServes('checkout-5xx-rate');
    const canaryWeight = (weight: number) =>
      elb.send(
        new ModifyListenerCommand({
          ListenerArn: LISTENER,
          DefaultActions: [
            { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: CHECKOUT_TG, Weight: 100 - weight }, { TargetGroupArn: CANARY_TG, Weight: weight }] } },
          ],
        }),
      );
    const state = async () =>
      (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['checkout-5xx-rate'] }))).MetricAlarms?.[0]?.StateValue;
    await canaryWeight(0);
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'prod',
        serviceName: 'checkout-canary',
        taskDefinition: await registerRevision('checkout', checkoutImage('v1.1.0')),
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60001'] } },
        loadBalancers: [{ targetGroupArn: CANARY_TG, containerName: 'app', containerPort: 8080 }],
      }),
    );

    // Act
    clock.advance(70);
    const idle = await state();
    await canaryWeight(10);
    const serving = await state();
    await canaryWeight(0);
    const withdrawn = await state();

    // Assess
    expect([idle, serving, withdrawn]).toEqual(['OK', 'ALARM', 'OK']);
  });
});
