import {
  ClientException,
  DescribeTaskDefinitionCommand,
  ECSClient,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { installWorld, rejectionOf, webImage, type InstalledWorld } from './world-fixture.ts';

const ecs = new ECSClient({ region: 'us-east-1' });

/** The seeded definition of web as a registration input. */
async function currentWebInput(): Promise<RegisterTaskDefinitionCommandInput> {
  const { taskDefinition, tags } = await ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: 'web', include: ['TAGS'] }),
  );
  return {
    family: taskDefinition?.family,
    taskRoleArn: taskDefinition?.taskRoleArn,
    executionRoleArn: taskDefinition?.executionRoleArn,
    networkMode: taskDefinition?.networkMode,
    requiresCompatibilities: taskDefinition?.requiresCompatibilities,
    cpu: taskDefinition?.cpu,
    memory: taskDefinition?.memory,
    runtimePlatform: taskDefinition?.runtimePlatform,
    containerDefinitions: taskDefinition?.containerDefinitions,
    tags,
  };
}

describe('simulated ECS task definitions', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('seeds each service with revision 7: the configured container pinned by digest, a sidecar, roles, tags', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const { taskDefinition, tags } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'web:7', include: ['TAGS'] }),
    );
    const untagged = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'orders-api' }));

    // Assess
    expect(taskDefinition).toMatchObject({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
      family: 'web',
      revision: 7,
      status: 'ACTIVE',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
    });
    expect(taskDefinition?.containerDefinitions?.map((c) => [c.name, c.image])).toEqual([
      ['app', installed.world.ecr.pinnedUri('web', 'v1.0.0')],
      ['log-router', 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4'],
    ]);
    expect(taskDefinition?.containerDefinitions?.[0]?.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(tags).toEqual([{ key: 'team', value: 'platform' }]);
    expect(untagged.tags).toBeUndefined();
    expect(untagged.taskDefinition?.containerDefinitions?.[0]?.image).toContain('/team/orders-api@sha256:');
  });

  it('registers max+1 in the family and describes back exactly what was registered', async () => {
    // Prepare
    installed = installWorld();
    const input = await currentWebInput();
    const containers = (input.containerDefinitions ?? []).map((c) =>
      c.name === 'app' ? { ...c, image: webImage('v2.0.0') } : c,
    );

    // Act
    const first = await ecs.send(new RegisterTaskDefinitionCommand({ ...input, containerDefinitions: containers }));
    const second = await ecs.send(new RegisterTaskDefinitionCommand({ ...input, containerDefinitions: containers }));
    const described = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: first.taskDefinition?.taskDefinitionArn, include: ['TAGS'] }),
    );
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));

    // Assess
    expect(first.taskDefinition?.taskDefinitionArn).toBe('arn:aws:ecs:us-east-1:123456789012:task-definition/web:8');
    expect(second.taskDefinition?.revision).toBe(9);
    expect(first.tags).toEqual([{ key: 'team', value: 'platform' }]);
    expect(described.taskDefinition?.containerDefinitions).toEqual(containers);
    expect(described.taskDefinition).toMatchObject({ cpu: input.cpu, memory: input.memory, revision: 8 });
    expect(described.tags).toEqual(input.tags);
    expect(latest.taskDefinition?.revision).toBe(9);
  });

  it('drops members the SDK would not send, such as revision or status copied from a description', async () => {
    // Prepare
    installed = installWorld();
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:7' }));

    // Act
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({ ...(taskDefinition as RegisterTaskDefinitionCommandInput), family: 'web' }),
    );

    // Assess
    expect(registered.taskDefinition?.revision).toBe(8);
    expect(registered.taskDefinition?.taskDefinitionArn).toMatch(/web:8$/);
  });

  it('refuses Fargate definitions without cpu, memory or the execution role ECR images need', async () => {
    // Prepare
    installed = installWorld();
    const input = await currentWebInput();

    // Act
    const noCpu = await rejectionOf(ecs.send(new RegisterTaskDefinitionCommand({ ...input, cpu: undefined })));
    const noRole = await rejectionOf(ecs.send(new RegisterTaskDefinitionCommand({ ...input, executionRoleArn: undefined })));
    const noContainers = await rejectionOf(ecs.send(new RegisterTaskDefinitionCommand({ ...input, containerDefinitions: [] })));
    const awsTag = await rejectionOf(
      ecs.send(new RegisterTaskDefinitionCommand({ ...input, tags: [{ key: 'aws:cloudformation:stack-name', value: 's' }] })),
    );

    // Assess
    expect(noCpu).toBeInstanceOf(ClientException);
    expect(noCpu.message).toContain("'cpu'");
    expect(noRole.message).toBe('Fargate requires task definition to have execution role ARN to support ECR images.');
    expect(noContainers).toBeInstanceOf(ClientException);
    expect(awsTag).toBeInstanceOf(InvalidParameterException);
    expect((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }))).taskDefinition?.revision).toBe(7);
  });

  it('records RegisterTaskDefinition with the TagResource and PassRole authorizations it needs', async () => {
    // Prepare
    installed = installWorld();
    const input = await currentWebInput();

    // Act
    await installed.world.withCaller({ functionKey: 'RegisterTaskDefinition', stateName: 'RegisterTaskDefinition' }, () =>
      ecs.send(new RegisterTaskDefinitionCommand(input)),
    );

    // Assess
    const calls = installed.world.calls.filter((c) => c.caller.functionKey === 'RegisterTaskDefinition');
    expect(calls.map((c) => [c.action, c.resources])).toEqual([
      ['ecs:RegisterTaskDefinition', ['*']],
      ['ecs:TagResource', ['arn:aws:ecs:us-east-1:123456789012:task-definition/web:8']],
      ['iam:PassRole', ['arn:aws:iam::123456789012:role/web-task']],
      ['iam:PassRole', ['arn:aws:iam::123456789012:role/web-execution']],
    ]);
    expect(installed.world.calls.find((c) => c.action === 'ecs:DescribeTaskDefinition')?.resources).toEqual(['*']);
  });
});
