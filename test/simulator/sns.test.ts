import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvalidParameterException, NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import { installWorld, rejectionOf, type InstalledWorld } from './world-fixture.ts';

const events = new EventBridgeClient({ region: 'us-east-1' });
const sns = new SNSClient({ region: 'us-east-1' });
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:EcsDeployer-Notifications';

function lifecycle(detailType: string, detail: object, source = 'ecs-deployer') {
  return { Source: source, DetailType: detailType, Detail: JSON.stringify(detail) };
}

describe('simulated SNS notifications', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('publishes the deployer lifecycle events on the default bus to the topic as one line, like the stack rule', async () => {
    // Prepare
    installed = installWorld();
    const { world, clock } = installed;
    const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:abc';

    // Act
    await world.withCaller({ functionKey: 'RecordEvent' }, () =>
      events.send(
        new PutEventsCommand({
          Entries: [
            lifecycle('Deployment Rolled Back', { service: 'web', image, reason: 'alarm web-5xx-rate in ALARM' }),
            lifecycle('Deployment Started', { service: 'web', image }),
            lifecycle('Something Else', { service: 'web' }),
            lifecycle('Deployment Started', { service: 'web' }, 'other-app'),
          ],
        }),
      ),
    );
    clock.advance(5);
    await events.send(new PutEventsCommand({ Entries: [{ ...lifecycle('Deployment Succeeded', { service: 'web', image, reason: 'ok' }), EventBusName: 'default' }] }));

    // Assess
    expect(world.sns.messages().map((m) => [m.message, m.subject, m.time, m.via])).toEqual([
      [`Deployment Rolled Back: web ${image} - alarm web-5xx-rate in ALARM`, undefined, installed.clock.now() - 5000, 'eventbridge'],
      [`Deployment Started: web ${image} - `, undefined, installed.clock.now() - 5000, 'eventbridge'],
      [`Deployment Succeeded: web ${image} - ok`, undefined, installed.clock.now(), 'eventbridge'],
    ]);
    expect(world.calls.map((c) => c.action)).toEqual(['events:PutEvents', 'events:PutEvents']);
  });

  it('answers Publish to the topic, validated as SNS does, recorded as sns:Publish on the topic', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;

    // Act
    const published = await world.withCaller({ functionKey: 'RecordEvent' }, () =>
      sns.send(new PublishCommand({ TopicArn: TOPIC, Subject: 'Deployment Succeeded', Message: 'web v1.1.0 is live' })),
    );
    const unknown = await rejectionOf(sns.send(new PublishCommand({ TopicArn: `${TOPIC}-other`, Message: 'x' })));
    const empty = await rejectionOf(sns.send(new PublishCommand({ TopicArn: TOPIC, Message: '' })));
    const longSubject = await rejectionOf(sns.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x', Subject: 's'.repeat(101) })));

    // Assess
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(world.sns.messages()).toEqual([
      expect.objectContaining({ topicArn: TOPIC, subject: 'Deployment Succeeded', message: 'web v1.1.0 is live', via: 'publish', caller: { functionKey: 'RecordEvent' } }),
    ]);
    expect(unknown).toBeInstanceOf(NotFoundException);
    expect(empty).toBeInstanceOf(InvalidParameterException);
    expect(longSubject).toBeInstanceOf(InvalidParameterException);
    expect(world.calls.map((c) => [c.action, c.resources, c.error])).toEqual([
      ['sns:Publish', [TOPIC], undefined],
      ['sns:Publish', [`${TOPIC}-other`], 'NotFoundException'],
      ['sns:Publish', [TOPIC], 'InvalidParameterException'],
      ['sns:Publish', [TOPIC], 'InvalidParameterException'],
    ]);
  });
});
