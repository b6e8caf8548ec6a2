import {
  ClientException,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/ecs/register-task-definition.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  ACCOUNT,
  CURRENT_TASK_DEFINITION,
  NEW_TASK_DEFINITION,
  RUNNING_IMAGE,
  rollingDeployment,
  stubDeployerEnv,
} from '../../support/lambda-fixtures.ts';

const ecsMock = mockClient(ECSClient);

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not accept. */
const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
] as const;

/** A running task definition with everything a real service has: sidecars, roles, sizes, storage. */
function describedTaskDefinition(container: string, image: string): TaskDefinition {
  return {
    taskDefinitionArn: CURRENT_TASK_DEFINITION,
    family: 'web',
    revision: 41,
    status: 'ACTIVE',
    containerDefinitions: [
      {
        name: 'log-router',
        image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
        essential: true,
        firelensConfiguration: { type: 'fluentbit' },
        memoryReservation: 50,
      },
      {
        name: container,
        image,
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
        environment: [{ name: 'LOG_LEVEL', value: 'info' }],
        secrets: [{ name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:web-db` }],
        logConfiguration: { logDriver: 'awsfirelens', options: { Name: 'cloudwatch' } },
        dependsOn: [{ containerName: 'log-router', condition: 'START' }],
      },
      { name: 'xray-daemon', image: 'public.ecr.aws/xray/aws-xray-daemon:3.x', essential: false },
    ],
    taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/web-task`,
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/web-execution`,
    networkMode: 'awsvpc',
    volumes: [{ name: 'scratch' }],
    placementConstraints: [],
    requiresCompatibilities: ['FARGATE'],
    cpu: '512',
    memory: '1024',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    ephemeralStorage: { sizeInGiB: 30 },
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awsfirelens' }],
    compatibilities: ['EC2', 'FARGATE'],
    registeredAt: new Date('2026-01-02T03:04:05Z'),
    registeredBy: `arn:aws:iam::${ACCOUNT}:role/deployer`,
  };
}

const TAGS: Tag[] = [
  { key: 'team', value: 'storefront' },
  { key: 'cost-center', value: '42' },
];

/** What was sent to RegisterTaskDefinition. */
function registered(): RegisterTaskDefinitionCommandInput {
  const [call] = ecsMock.commandCalls(RegisterTaskDefinitionCommand);
  if (call === undefined) throw new Error('RegisterTaskDefinition was not called');
  return call.args[0].input;
}

describe('RegisterTaskDefinition', () => {
  beforeEach(() => {
    ecsMock.reset();
    stubDeployerEnv();
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({
      taskDefinition: { taskDefinitionArn: NEW_TASK_DEFINITION, family: 'web', revision: 42 },
    });
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('registers a revision that differs from the running one only in the image of the configured container', async () => {
    // Prepare
    const deployment = rollingDeployment();
    const described = describedTaskDefinition(deployment.ecs.container, RUNNING_IMAGE);
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described, tags: TAGS });

    // Act
    const result = await handler({ deployment, taskDefinitionArn: CURRENT_TASK_DEFINITION }, lambdaContext());

    // Assess
    expect(result).toEqual({ taskDefinitionArn: NEW_TASK_DEFINITION, taskDefinition: 'web:42' });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, {
      taskDefinition: CURRENT_TASK_DEFINITION,
      include: ['TAGS'],
    });
    const expected: Record<string, unknown> = { ...described, tags: TAGS };
    for (const field of READ_ONLY_FIELDS) delete expected[field];
    expected.containerDefinitions = described.containerDefinitions?.map((c) =>
      c.name === deployment.ecs.container ? { ...c, image: deployment.image } : c,
    );
    expect(registered()).toStrictEqual(expected);
  });

  it('leaves the sidecars exactly as they were', async () => {
    // Prepare
    const deployment = rollingDeployment();
    const described = describedTaskDefinition(deployment.ecs.container, RUNNING_IMAGE);
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described });

    // Act
    await handler({ deployment, taskDefinitionArn: CURRENT_TASK_DEFINITION }, lambdaContext());

    // Assess
    const sidecars = (defs: { name?: string }[] | undefined) => defs?.filter((c) => c.name !== deployment.ecs.container);
    expect(sidecars(registered().containerDefinitions)).toStrictEqual(sidecars(described.containerDefinitions));
    expect(registered().containerDefinitions?.find((c) => c.name === deployment.ecs.container)?.image).toBe(deployment.image);
  });

  it('sends no read-only fields and no empty tag list', async () => {
    // Prepare
    const deployment = rollingDeployment();
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: describedTaskDefinition(deployment.ecs.container, RUNNING_IMAGE),
      tags: [],
    });

    // Act
    await handler({ deployment, taskDefinitionArn: CURRENT_TASK_DEFINITION }, lambdaContext());

    // Assess
    const sent = Object.keys(registered());
    for (const field of READ_ONLY_FIELDS) expect(sent).not.toContain(field);
    expect(sent).not.toContain('tags');
  });

  it('does not send fields the running task definition does not have', async () => {
    // Prepare
    const deployment = rollingDeployment();
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        family: 'web',
        revision: 3,
        containerDefinitions: [{ name: deployment.ecs.container, image: RUNNING_IMAGE, memory: 256 }],
      },
    });

    // Act
    await handler({ deployment, taskDefinitionArn: CURRENT_TASK_DEFINITION }, lambdaContext());

    // Assess
    expect(registered()).toStrictEqual({
      family: 'web',
      containerDefinitions: [{ name: deployment.ecs.container, image: deployment.image, memory: 256 }],
    });
  });

  it('refuses a task definition without the configured container and registers nothing', async () => {
    // Prepare
    const deployment = rollingDeployment();
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: describedTaskDefinition('api', RUNNING_IMAGE),
    });

    // Act
    const result = handler({ deployment, taskDefinitionArn: CURRENT_TASK_DEFINITION }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ServiceNotReady',
      message: `container '${deployment.ecs.container}' is not in task definition web:41`,
    });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('registers a revision whose roles the service lists in taskRoles', async () => {
    // Prepare
    const deployment = { ...rollingDeployment(), taskRoles: ['web-task', 'web-execution'] };
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: describedTaskDefinition('app', RUNNING_IMAGE) });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: NEW_TASK_DEFINITION } });

    // Act
    await handler({ deployment, taskDefinitionArn: CURRENT_TASK_DEFINITION }, lambdaContext());

    // Assess
    expect(registered()).toMatchObject({ taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/web-task` });
  });

  it('refuses, before registering, a revision using a role the service does not list in taskRoles', async () => {
    // Prepare: the deployer may pass only the listed roles; the execution role is missing.
    const deployment = { ...rollingDeployment(), taskRoles: ['web-task'] };
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: describedTaskDefinition('app', RUNNING_IMAGE) });

    // Act
    const result = handler({ deployment, taskDefinitionArn: CURRENT_TASK_DEFINITION }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ServiceNotReady',
      message: expect.stringContaining("uses the role web-execution, which taskRoles does not list: add it to the service's taskRoles"),
    });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('reports a refused registration as AwsCallFailed naming the call', async () => {
    // Prepare
    const deployment = rollingDeployment();
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: describedTaskDefinition(deployment.ecs.container, RUNNING_IMAGE),
    });
    ecsMock.on(RegisterTaskDefinitionCommand).rejects(
      new ClientException({
        message: 'Fargate requires task definition to have execution role ARN to support ECR images.',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const result = handler({ deployment, taskDefinitionArn: CURRENT_TASK_DEFINITION }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'AwsCallFailed',
      message: expect.stringContaining('ecs:RegisterTaskDefinition failed: ClientException: Fargate requires'),
    });
  });

  it('rejects an event without the revision to base the new one on, before calling ECS', async () => {
    // Prepare
    const event = { deployment: rollingDeployment() };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('taskDefinitionArn: required') });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });
});
