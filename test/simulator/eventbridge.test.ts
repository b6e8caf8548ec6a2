import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { installWorld, type InstalledWorld } from './world-fixture.ts';

const events = new EventBridgeClient({ region: 'us-east-1' });

describe('simulated EventBridge', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('stores accepted entries with their parsed detail and fails bad entries one by one', async () => {
    // Prepare
    installed = installWorld({ eventBusName: 'deployer' });

    // Act
    const result = await installed.world.withCaller({ functionKey: 'RecordEvent' }, () =>
      events.send(
        new PutEventsCommand({
          Entries: [
            { Source: 'ecs-deployer', DetailType: 'Deployment Started', Detail: '{"service":"web"}', EventBusName: 'deployer' },
            { Source: 'ecs-deployer', DetailType: 'Deployment Started', Detail: 'not json', EventBusName: 'deployer' },
            { Source: 'ecs-deployer', DetailType: 'Deployment Started', Detail: '{}', EventBusName: 'nope' },
            { Source: 'aws.ecr', DetailType: 'ECR Image Action', Detail: '{}' },
          ],
        }),
      ),
    );

    // Assess
    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries?.map((e) => e.ErrorCode)).toEqual([
      undefined,
      'MalformedDetail',
      'ResourceNotFoundException',
      'NotAuthorizedForSourceException',
    ]);
    expect(result.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(installed.world.events.entries({ detailType: 'Deployment Started' })).toEqual([
      expect.objectContaining({
        Source: 'ecs-deployer',
        DetailType: 'Deployment Started',
        Detail: { service: 'web' },
        EventBusName: 'deployer',
        time: installed.clock.now(),
        caller: { functionKey: 'RecordEvent' },
      }),
    ]);
    expect(installed.world.calls[0]?.resources).toEqual([
      'arn:aws:events:us-east-1:123456789012:event-bus/deployer',
      'arn:aws:events:us-east-1:123456789012:event-bus/nope',
      'arn:aws:events:us-east-1:123456789012:event-bus/default',
    ]);
  });
});
