import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ECSServiceException,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { isTransient } from '../../lambdas/shared/aws-call.ts';
import { THROTTLING } from '../../simulator/aws/world.ts';
import { installWorld, rejectionOf, type InstalledWorld } from './world-fixture.ts';

const ecs = new ECSClient({ region: 'us-east-1' });
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const update = new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 5 });

describe('fault injection', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('fails a matching call with a non-retryable AccessDeniedException before it changes anything', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    world.failCalls({ stateName: 'UpdateService' });

    // Act
    const denied = await rejectionOf(world.withCaller({ functionKey: 'UpdateService', stateName: 'UpdateService' }, () => ecs.send(update)));

    // Assess
    expect(denied).toBeInstanceOf(ECSServiceException);
    expect(denied).toMatchObject({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect(denied.message).toContain('is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:us-east-1:123456789012:service/prod/web');
    expect(isTransient(denied)).toBe(false);
    expect(world.snapshot().services['prod/web']?.desiredCount).toBe(3);
    expect(world.calls).toEqual([
      expect.objectContaining({ action: 'ecs:UpdateService', error: 'AccessDeniedException', caller: { functionKey: 'UpdateService', stateName: 'UpdateService' } }),
    ]);
  });

  it('throws transient faults shaped like SDK throttling, only the given number of times', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    world.failCalls({ action: 'ecs:UpdateService' }, THROTTLING, 2);

    // Act
    const first = await rejectionOf(ecs.send(update));
    const second = await rejectionOf(ecs.send(update));
    const third = await ecs.send(update);

    // Assess
    for (const error of [first, second]) {
      expect(error).toMatchObject({
        name: 'ThrottlingException',
        message: 'Rate exceeded',
        $retryable: { throttling: true },
        $metadata: { httpStatusCode: 400 },
      });
      expect(isTransient(error)).toBe(true);
    }
    expect(third.service?.desiredCount).toBe(5);
    expect(world.calls.map((c) => c.error)).toEqual(['ThrottlingException', 'ThrottlingException', undefined]);
  });

  it('matches on function, state and action together, and on a whole service with "prefix:*"', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    world.failCalls({ functionKey: 'CheckRollout', action: 'ecs:DescribeServices' }, { name: 'ServerException', message: 'boom' });
    world.failCalls({ stateName: 'RecordStart', action: 'dynamodb:*' });
    const describe = new DescribeServicesCommand({ cluster: 'prod', services: ['web'] });
    const put = new PutCommand({ TableName: 'deployer', Item: { pk: 'a', sk: 'b' } });

    // Act
    const checkRollout = await rejectionOf(world.withCaller({ functionKey: 'CheckRollout' }, () => ecs.send(describe)));
    const otherFunction = await world.withCaller({ functionKey: 'DescribeService' }, () => ecs.send(describe));
    const otherAction = await world.withCaller({ functionKey: 'CheckRollout' }, () => ecs.send(update));
    const record = await rejectionOf(world.withCaller({ functionKey: 'RecordEvent', stateName: 'RecordStart' }, () => doc.send(put)));
    const otherState = await world.withCaller({ functionKey: 'RecordEvent', stateName: 'RecordSuccess' }, () => doc.send(put));

    // Assess
    expect(checkRollout).toMatchObject({ name: 'ServerException', message: 'boom' });
    expect(otherFunction.services).toHaveLength(1);
    expect(otherAction.service?.desiredCount).toBe(5);
    expect(record).toMatchObject({ name: 'AccessDeniedException' });
    expect(record.message).toContain('dynamodb:PutItem');
    expect(otherState.$metadata.httpStatusCode).toBe(200);
  });

  it('fails a call when one of the extra authorizations it needs is denied (iam:PassRole)', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    world.failCalls({ action: 'iam:PassRole' });
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));

    // Act
    const denied = await rejectionOf(ecs.send(
        new RegisterTaskDefinitionCommand({ ...taskDefinition, family: 'web', containerDefinitions: taskDefinition?.containerDefinitions }),
      ));

    // Assess
    expect(denied.message).toContain('iam:PassRole on resource: arn:aws:iam::123456789012:role/web-task');
    expect((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }))).taskDefinition?.revision).toBe(7);
  });
});
