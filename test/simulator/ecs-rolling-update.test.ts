import { ClientException, ClusterNotFoundException, DescribeServicesCommand, ServiceNotFoundException } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKOUT_TG, EPOCH, installWorld, rejectionOf, webImage, type InstalledWorld } from './world-fixture.ts';
import { deployments, deploymentStates, ecs, registerRevision, targetStates, updateService } from './ecs-helpers.ts';

describe('simulated ECS rolling updates', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('completes a service without load balancer once new tasks run and pass their container check, old ones stopped', async () => {
    // Prepare: 40 s to RUNNING, HEALTHY one 10 s check later, old tasks stop in 10 s.
    installed = installWorld();
    const { world, clock } = installed;
    const target = await registerRevision('web', world.ecr.pinnedUri('web', 'v1.1.0'));

    // Act
    const updated = await updateService('web', { taskDefinition: target });
    clock.advance(20);
    const starting = await deploymentStates('web');
    clock.advance(25);
    const running = await deploymentStates('web');
    clock.advance(10);
    const stopping = await deploymentStates('web');
    clock.advance(4);
    const justBefore = await deploymentStates('web');
    clock.advance(1);
    const done = await deployments('web');

    // Assess
    expect(updated?.deployments?.map((d) => [d.status, d.rolloutState, d.pendingCount])).toEqual([
      ['PRIMARY', 'IN_PROGRESS', 3],
      ['ACTIVE', 'COMPLETED', 0],
    ]);
    expect(starting).toEqual([['PRIMARY', 'IN_PROGRESS', 0, 3], ['ACTIVE', 'COMPLETED', 3, 0]]);
    expect(running).toEqual([['PRIMARY', 'IN_PROGRESS', 3, 0], ['ACTIVE', 'COMPLETED', 3, 0]]);
    expect(stopping).toEqual([['PRIMARY', 'IN_PROGRESS', 3, 0], ['ACTIVE', 'COMPLETED', 0, 0]]);
    expect(justBefore[0]?.[1]).toBe('IN_PROGRESS');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ taskDefinition: target, rolloutState: 'COMPLETED', runningCount: 3, desiredCount: 3, failedTasks: 0 });
    expect(done[0]?.updatedAt?.getTime()).toBe(EPOCH + 60_000);
    expect(world.snapshot().services['prod/web']).toEqual({ taskDefinition: 'web:8', image: world.ecr.pinnedUri('web', 'v1.1.0'), desiredCount: 3 });
  });

  it('takes start time, target health checks, deregistration delay and stop time from the seeded settings', async () => {
    // Prepare: healthy after 2 checks 5 s apart, 45 s draining: 40 + 10 + 45 + 10 = 105 s.
    installed = installWorld({ timing: { targetGroup: { healthCheckIntervalSeconds: 5, healthyThresholdCount: 2, deregistrationDelaySeconds: 45 } } });
    const { world, clock } = installed;
    const target = await registerRevision('checkout', world.ecr.pinnedUri('checkout', 'v1.1.0'));

    // Act
    await updateService('checkout', { taskDefinition: target });
    clock.advance(50);
    const healthyNew = await targetStates(CHECKOUT_TG);
    const draining = await deploymentStates('checkout');
    clock.advance(54);
    const justBefore = await deploymentStates('checkout');
    clock.advance(1);
    const done = await deployments('checkout');
    const afterDrain = await targetStates(CHECKOUT_TG);

    // Assess
    expect(healthyNew).toEqual({ healthy: 4, draining: 4 });
    expect(draining).toEqual([['PRIMARY', 'IN_PROGRESS', 4, 0], ['ACTIVE', 'COMPLETED', 4, 0]]);
    expect(justBefore).toEqual([['PRIMARY', 'IN_PROGRESS', 4, 0], ['ACTIVE', 'COMPLETED', 0, 0]]);
    expect(done.map((d) => [d.status, d.rolloutState])).toEqual([['PRIMARY', 'COMPLETED']]);
    expect(done[0]?.updatedAt?.getTime()).toBe(EPOCH + 105_000);
    expect(afterDrain).toEqual({ healthy: 4 });
  });

  it('keeps minimumHealthyPercent healthy and at most maximumPercent tasks while it replaces them', async () => {
    // Prepare: 4 tasks, 50%/100%: 2 old drain at once, 2 new start; the other 2 old go once those are healthy.
    installed = installWorld();
    const { world, clock } = installed;
    const target = await registerRevision('checkout', world.ecr.pinnedUri('checkout', 'v1.1.0'));

    // Act
    const updated = await updateService('checkout', {
      taskDefinition: target,
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 },
    });
    const first = await targetStates(CHECKOUT_TG);
    clock.advance(70);
    const second = await targetStates(CHECKOUT_TG);
    const halfway = await deploymentStates('checkout');
    clock.advance(70);
    const done = await deployments('checkout');

    // Assess
    expect(updated?.deployments?.map((d) => [d.status, d.desiredCount, d.pendingCount, d.runningCount])).toEqual([
      ['PRIMARY', 4, 2, 0],
      ['ACTIVE', 2, 0, 4],
    ]);
    expect(first).toEqual({ healthy: 2, draining: 2 });
    expect(second).toEqual({ healthy: 2, draining: 2 });
    expect(halfway).toEqual([['PRIMARY', 'IN_PROGRESS', 2, 2], ['ACTIVE', 'COMPLETED', 2, 0]]);
    expect(done.map((d) => [d.rolloutState, d.runningCount])).toEqual([['COMPLETED', 4]]);
    expect(done[0]?.updatedAt?.getTime()).toBe(EPOCH + 140_000);
  });

  it('fails an unhealthy rollout by circuit breaker when enough tasks failed their checks, and rolls back', async () => {
    // Prepare: tasks RUNNING at 40 s, UNHEALTHY at 40 + 30 + 3 × 10 = 100 s; threshold 3.
    installed = installWorld();
    const { world, clock } = installed;
    const before = world.snapshot();
    world.markImageUnhealthy(webImage('v6.6.6'));
    const target = await registerRevision('web', world.ecr.pinnedUri('web', 'v6.6.6'));

    // Act
    await updateService('web', { taskDefinition: target });
    clock.advance(99);
    const failing = await deployments('web');
    clock.advance(1);
    const failed = await deployments('web');
    clock.advance(60);
    const restored = await deployments('web');

    // Assess
    expect(failing[0]).toMatchObject({ taskDefinition: target, rolloutState: 'IN_PROGRESS', runningCount: 3, failedTasks: 0 });
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
      runningCount: 0,
    });
    expect(restored.map((d) => [d.rolloutState, d.runningCount])).toEqual([['COMPLETED', 3]]);
    expect(world.snapshot()).toEqual(before);
  });

  it('leaves a FAILED deployment PRIMARY when the breaker does not roll back, the old tasks serving', async () => {
    // Prepare
    installed = installWorld();
    const { world, clock } = installed;
    world.markImageUnhealthy(webImage('v6.6.6'));
    const target = await registerRevision('web', webImage('v6.6.6'));

    // Act
    await updateService('web', {
      taskDefinition: target,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
    });
    clock.advance(3600);
    const after = await deployments('web');

    // Assess
    expect(after[0]).toMatchObject({ status: 'PRIMARY', taskDefinition: target, rolloutState: 'FAILED', failedTasks: 3, runningCount: 0 });
    expect(after[1]).toMatchObject({ status: 'ACTIVE', rolloutState: 'COMPLETED', runningCount: 3 });
    expect(world.snapshot().services['prod/web']?.taskDefinition).toBe('web:8');
  });

  it('keeps replacing failing tasks without the circuit breaker, counting each failure', async () => {
    // Prepare: 3 tasks fail every 100 s.
    installed = installWorld();
    const { world, clock } = installed;
    world.markImageUnhealthy(webImage('v6.6.6'));
    const target = await registerRevision('web', webImage('v6.6.6'));

    // Act
    const updated = await updateService('web', {
      taskDefinition: target,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false } },
    });
    clock.advance(3600);
    const after = await deployments('web');

    // Assess
    expect(updated?.deploymentConfiguration).toMatchObject({
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    });
    expect(after[0]).toMatchObject({ rolloutState: 'IN_PROGRESS', failedTasks: 108 });
    expect(after[1]).toMatchObject({ runningCount: 3 });
  });

  it('fails tasks whose image ECR cannot serve when they would have started', async () => {
    // Prepare
    installed = installWorld();
    const { clock } = installed;
    const target = await registerRevision('web', webImage('missing-tag'));

    // Act
    await updateService('web', { taskDefinition: target });
    clock.advance(39);
    const pending = await deployments('web');
    clock.advance(1);
    const after = await deployments('web');

    // Assess
    expect(pending[0]).toMatchObject({ pendingCount: 3, failedTasks: 0 });
    expect(after.find((d) => d.taskDefinition === target)).toMatchObject({ rolloutState: 'FAILED', failedTasks: 3 });
  });

  it('starts no deployment when UpdateService names the current task definition, unless forced', async () => {
    // Prepare
    installed = installWorld();
    const current = (await deployments('web'))[0];

    // Act
    const same = await updateService('web', { taskDefinition: 'web:7' });
    const resized = await updateService('web', { desiredCount: 5 });
    const forced = await updateService('web', { forceNewDeployment: true });

    // Assess
    expect(same?.deployments?.map((d) => d.id)).toEqual([current?.id]);
    expect(resized?.desiredCount).toBe(5);
    expect(resized?.deployments).toHaveLength(1);
    expect(forced?.deployments).toHaveLength(2);
    expect(forced?.deployments?.[0]).toMatchObject({
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
      new DescribeServicesCommand({ cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod', services: ['web', arn, 'ghost'] }),
    );

    // Assess
    expect(described.services?.map((s) => s.serviceArn)).toEqual(['arn:aws:ecs:us-east-1:123456789012:service/prod/web', arn]);
    expect(described.services?.[0]).toMatchObject({
      status: 'ACTIVE',
      desiredCount: 3,
      runningCount: 3,
      launchType: 'FARGATE',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    expect(described.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/ghost', reason: 'MISSING' }]);
  });

  it('refuses unknown clusters, services and task definitions with the SDK exception classes', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const noCluster = await rejectionOf(ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['web'] })));
    const noService = await rejectionOf(updateService('ghost', {}));
    const noTaskDefinition = await rejectionOf(updateService('web', { taskDefinition: 'web:99' }));

    // Assess
    expect(noCluster).toBeInstanceOf(ClusterNotFoundException);
    expect(noCluster).toMatchObject({ name: 'ClusterNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect(noService).toBeInstanceOf(ServiceNotFoundException);
    expect(noTaskDefinition).toBeInstanceOf(ClientException);
    expect(noTaskDefinition.message).toBe('TaskDefinition not found.');
    expect(installed.world.snapshot().services['prod/web']?.taskDefinition).toBe('web:7');
  });
});
