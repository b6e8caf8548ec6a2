import {
  ClientException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  ServiceNotFoundException,
  UpdateServiceCommand,
  type Deployment,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { EPOCH, installWorld, rejectionOf, webImage, type InstalledWorld } from './world-fixture.ts';

const ecs = new ECSClient({ region: 'us-east-1' });

/** Register web:8, the current definition with the app image replaced. */
async function registerWebRevision(image: string): Promise<string> {
  const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:7' }));
  const containers = (taskDefinition?.containerDefinitions ?? []).map((c) => (c.name === 'app' ? { ...c, image } : c));
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'web',
      taskRoleArn: taskDefinition?.taskRoleArn,
      executionRoleArn: taskDefinition?.executionRoleArn,
      networkMode: taskDefinition?.networkMode,
      requiresCompatibilities: taskDefinition?.requiresCompatibilities,
      cpu: taskDefinition?.cpu,
      memory: taskDefinition?.memory,
      containerDefinitions: containers,
    }),
  );
  return registered.taskDefinition?.taskDefinitionArn ?? '';
}

async function deployments(): Promise<Deployment[]> {
  const { services } = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));
  return services?.[0]?.deployments ?? [];
}

describe('simulated ECS rollouts', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('completes a healthy rollout after rolloutSeconds of virtual time, and not before', async () => {
    // Prepare
    installed = installWorld({ rolloutSeconds: 90 });
    const { world, clock } = installed;
    const target = await registerWebRevision(world.ecr.pinnedUri('web', 'v1.1.0'));

    // Act
    const updated = await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: target }));
    clock.advance(45);
    const halfway = await deployments();
    clock.advance(44);
    const justBefore = await deployments();
    clock.advance(1);
    const done = await deployments();

    // Assess
    expect(updated.service?.taskDefinition).toBe(target);
    expect(updated.service?.deployments?.map((d) => [d.status, d.rolloutState])).toEqual([
      ['PRIMARY', 'IN_PROGRESS'],
      ['ACTIVE', 'COMPLETED'],
    ]);
    expect(halfway[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', runningCount: 1, desiredCount: 3 });
    expect(halfway[1]).toMatchObject({ status: 'ACTIVE', runningCount: 2 });
    expect(justBefore[0]?.rolloutState).toBe('IN_PROGRESS');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({
      status: 'PRIMARY',
      taskDefinition: target,
      rolloutState: 'COMPLETED',
      runningCount: 3,
      failedTasks: 0,
    });
    expect(done[0]?.updatedAt?.getTime()).toBe(EPOCH + 90_000);
    expect(world.snapshot().services['prod/web']).toEqual({
      taskDefinition: 'web:8',
      image: world.ecr.pinnedUri('web', 'v1.1.0'),
      desiredCount: 3,
    });
  });

  it('fails an unhealthy rollout by circuit breaker and rolls back to the previous task definition', async () => {
    // Prepare
    installed = installWorld({ rolloutSeconds: 90, circuitBreakerSeconds: 150 });
    const { world, clock } = installed;
    const before = world.snapshot();
    world.markImageUnhealthy(webImage('v6.6.6'));
    const target = await registerWebRevision(world.ecr.pinnedUri('web', 'v6.6.6'));

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: target }));
    clock.advance(149);
    const failing = await deployments();
    clock.advance(1);
    const failed = await deployments();
    clock.advance(90);
    const restored = await deployments();

    // Assess
    expect(failing[0]).toMatchObject({ taskDefinition: target, rolloutState: 'IN_PROGRESS', runningCount: 0 });
    expect(failing[0]?.failedTasks).toBeGreaterThan(0);
    expect(failed.map((d) => [d.status, d.rolloutState])).toEqual([
      ['PRIMARY', 'IN_PROGRESS'],
      ['ACTIVE', 'FAILED'],
      ['ACTIVE', 'COMPLETED'],
    ]);
    expect(failed[0]?.taskDefinition).toMatch(/task-definition\/web:7$/);
    expect(failed[1]).toMatchObject({
      taskDefinition: target,
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
      failedTasks: 3,
    });
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({ rolloutState: 'COMPLETED', runningCount: 3 });
    expect(world.snapshot()).toEqual(before);
  });

  it('leaves a FAILED deployment PRIMARY when the breaker does not roll back', async () => {
    // Prepare
    installed = installWorld();
    const { world, clock } = installed;
    world.markImageUnhealthy(webImage('v6.6.6'));
    const target = await registerWebRevision(webImage('v6.6.6'));

    // Act
    await ecs.send(
      new UpdateServiceCommand({
        cluster: 'prod',
        service: 'web',
        taskDefinition: target,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
      }),
    );
    clock.advance(3600);
    const after = await deployments();

    // Assess
    expect(after[0]).toMatchObject({ status: 'PRIMARY', taskDefinition: target, rolloutState: 'FAILED' });
    expect(after[1]).toMatchObject({ status: 'ACTIVE', rolloutState: 'COMPLETED', runningCount: 3 });
    expect(world.snapshot().services['prod/web']?.taskDefinition).toBe('web:8');
  });

  it('keeps an unhealthy rollout IN_PROGRESS forever without the circuit breaker, failing tasks', async () => {
    // Prepare
    installed = installWorld();
    const { world, clock } = installed;
    world.markImageUnhealthy(webImage('v6.6.6'));
    const target = await registerWebRevision(webImage('v6.6.6'));

    // Act
    const updated = await ecs.send(
      new UpdateServiceCommand({
        cluster: 'prod',
        service: 'web',
        taskDefinition: target,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false } },
      }),
    );
    clock.advance(86_400);
    const after = await deployments();

    // Assess
    expect(updated.service?.deploymentConfiguration).toMatchObject({
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    });
    expect(after[0]).toMatchObject({ rolloutState: 'IN_PROGRESS', runningCount: 0 });
    expect(after[0]?.failedTasks).toBeGreaterThan(100);
    expect(after[1]).toMatchObject({ runningCount: 3 });
  });

  it('treats a tag that ECR cannot resolve as an image whose tasks never start', async () => {
    // Prepare
    installed = installWorld({ circuitBreakerSeconds: 150 });
    const { clock } = installed;
    const target = await registerWebRevision(webImage('missing-tag'));

    // Act
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: target }));
    clock.advance(150);
    const after = await deployments();

    // Assess
    expect(after.find((d) => d.taskDefinition === target)?.rolloutState).toBe('FAILED');
  });

  it('starts no deployment when UpdateService names the current task definition, unless forced', async () => {
    // Prepare
    installed = installWorld();
    const current = (await deployments())[0];

    // Act
    const same = await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:7' }));
    const resized = await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 5 }));
    const forced = await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', forceNewDeployment: true }),
    );

    // Assess
    expect(same.service?.deployments?.map((d) => d.id)).toEqual([current?.id]);
    expect(resized.service?.desiredCount).toBe(5);
    expect(resized.service?.deployments).toHaveLength(1);
    expect(forced.service?.deployments).toHaveLength(2);
    expect(forced.service?.deployments?.[0]).toMatchObject({
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      taskDefinition: current?.taskDefinition,
      desiredCount: 5,
    });
    expect(installed.world.snapshot().services['prod/web']?.desiredCount).toBe(5);
  });

  it('describes services by name or ARN and reports unknown ones as MISSING failures', async () => {
    // Prepare
    installed = installWorld();
    const arn = 'arn:aws:ecs:us-east-1:123456789012:service/prod/orders-api';

    // Act
    const described = await ecs.send(
      new DescribeServicesCommand({
        cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
        services: ['web', arn, 'ghost'],
      }),
    );

    // Assess
    expect(described.services?.map((s) => s.serviceArn)).toEqual([
      'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
      arn,
    ]);
    expect(described.services?.[0]).toMatchObject({
      status: 'ACTIVE',
      desiredCount: 3,
      runningCount: 3,
      launchType: 'FARGATE',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    expect(described.failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/ghost', reason: 'MISSING' },
    ]);
  });

  it('refuses unknown clusters, services and task definitions with the SDK exception classes', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const noCluster = await rejectionOf(ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['web'] })));
    const noService = await rejectionOf(ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'ghost' })));
    const noTaskDefinition = await rejectionOf(
      ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:99' })),
    );

    // Assess
    expect(noCluster).toBeInstanceOf(ClusterNotFoundException);
    expect(noCluster).toMatchObject({ name: 'ClusterNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect(noService).toBeInstanceOf(ServiceNotFoundException);
    expect(noTaskDefinition).toBeInstanceOf(ClientException);
    expect(noTaskDefinition.message).toBe('TaskDefinition not found.');
    expect(installed.world.snapshot().services['prod/web']?.taskDefinition).toBe('web:7');
  });
});
