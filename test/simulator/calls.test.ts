import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { installWorld, type InstalledWorld } from './world-fixture.ts';

const ecs = new ECSClient({ region: 'us-east-1' });
const ecr = new ECRClient({ region: 'us-east-1' });
const cloudwatch = new CloudWatchClient({ region: 'us-east-1' });
const events = new EventBridgeClient({ region: 'us-east-1' });
const sfn = new SFNClient({ region: 'us-east-1' });

describe('recorded calls', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('records the IAM action and the resources IAM authorizes each call against', async () => {
    // Prepare
    installed = installWorld();
    const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:EcsDeployerRolling';

    // Act
    await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web', 'orders-api'] }));
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 3 }));
    await ecr.send(new DescribeImagesCommand({ repositoryName: 'team/orders-api', imageIds: [{ imageTag: 'release-1' }] }));
    await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['web-5xx-rate', 'unknown-alarm'] }));
    await events.send(
      new PutEventsCommand({ Entries: [{ Source: 'ecs-deployer', DetailType: 'Deployment Started', Detail: '{}', EventBusName: 'default' }] }),
    );
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'web-v1', input: '{}' }));

    // Assess
    const arn = (service: string, resource: string): string => `arn:aws:${service}:us-east-1:123456789012:${resource}`;
    expect(installed.world.calls.map((c) => [c.action, c.resources])).toEqual([
      ['ecs:DescribeServices', [arn('ecs', 'service/prod/web'), arn('ecs', 'service/prod/orders-api')]],
      ['ecs:UpdateService', [arn('ecs', 'service/prod/web')]],
      ['ecr:DescribeImages', [arn('ecr', 'repository/team/orders-api')]],
      ['cloudwatch:DescribeAlarms', [arn('cloudwatch', 'alarm:web-5xx-rate'), arn('cloudwatch', 'alarm:unknown-alarm')]],
      ['events:PutEvents', [arn('events', 'event-bus/default')]],
      ['states:StartExecution', [stateMachineArn]],
    ]);
    expect(installed.world.calls.every((c) => c.caller.functionKey === 'unknown' && c.at === installed.clock.now())).toBe(true);
  });

  it('attributes calls to the caller whose async work made them, even when callers interleave', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    const describeTwice = async (service: string): Promise<void> => {
      await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }));
      await sleep(5);
      await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: [service] }));
    };

    // Act
    await Promise.all([
      world.withCaller({ functionKey: 'CheckRollout', stateName: 'CheckRollout', executionName: 'a' }, () => describeTwice('web')),
      world.withCaller({ functionKey: 'DescribeService', stateName: 'DescribeService', executionName: 'b' }, () =>
        describeTwice('orders-api'),
      ),
    ]);
    await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

    // Assess
    const byExecution = (name: string): string[] =>
      world.calls.filter((c) => c.caller.executionName === name).flatMap((c) => c.resources);
    expect(byExecution('a')).toEqual([
      'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
      'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
    ]);
    expect(byExecution('b')).toEqual([
      'arn:aws:ecs:us-east-1:123456789012:service/prod/orders-api',
      'arn:aws:ecs:us-east-1:123456789012:service/prod/orders-api',
    ]);
    expect(world.calls.map((c) => c.caller.executionName)).toEqual(['a', 'b', 'a', 'b', undefined]);
    expect(world.calls.at(-1)?.caller).toEqual({ functionKey: 'unknown' });
  });

  it('records failed calls with the name of their error', async () => {
    // Prepare
    installed = installWorld();

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'ghost' })).catch(() => undefined);

    // Assess
    expect(installed.world.calls).toEqual([
      expect.objectContaining({ action: 'ecs:UpdateService', error: 'ServiceNotFoundException' }),
    ]);
  });
});
