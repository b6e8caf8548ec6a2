import { DescribeServicesCommand, ECSClient, type Deployment as EcsDeployment, type Service } from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failureThreshold, handler } from '../../../lambdas/ecs/check-service.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  CHECKOUT_CANARY_TG,
  CURRENT_TASK_DEFINITION,
  NEW_TASK_DEFINITION,
  canaryDeployment,
  rollingDeployment,
  stubDeployerEnv,
  taskDefinitionArn,
} from '../../support/lambda-fixtures.ts';

const ecsMock = mockClient(ECSClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);

const STARTED = Date.parse('2026-01-31T12:01:00.000Z');

function ecsDeployment(taskDefinition: string, overrides: Partial<EcsDeployment> = {}): EcsDeployment {
  return { status: 'PRIMARY', taskDefinition, desiredCount: 4, runningCount: 4, failedTasks: 0, rolloutState: 'COMPLETED', ...overrides };
}

/** DescribeServices answers with these deployments; the service's runningCount counts every task of them unless given. */
function serviceHas(deployments: EcsDeployment[], service: Partial<Service> = {}): void {
  const running = deployments.reduce((sum, d) => sum + (d.runningCount ?? 0), 0);
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [{ serviceName: 'web', status: 'ACTIVE', runningCount: running, deployments, ...service }],
  });
}

function targetsAre(...states: TargetHealthStateEnum[]): void {
  elbMock.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: states.map((State, i) => ({ Target: { Id: `10.0.0.${i + 1}`, Port: 8080 }, TargetHealth: { State } })),
  });
}

describe('CheckService', () => {
  const deployment = rollingDeployment();
  const deadline = STARTED + deployment.deploymentTimeoutSeconds * 1000;
  const event = { deployment, service: 'web', taskDefinitionArn: NEW_TASK_DEFINITION, desiredCount: 4, deadline, startedAt: STARTED };
  let clock: number;
  let restoreClock: () => void;

  beforeEach(() => {
    ecsMock.reset();
    elbMock.reset();
    stubDeployerEnv();
    clock = STARTED + 60_000;
    restoreClock = useClock({ now: () => clock });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  it('reports a rollout still replacing tasks as IN_PROGRESS with its task counts', async () => {
    // Prepare
    serviceHas([
      ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS', runningCount: 2, failedTasks: 1 }),
      ecsDeployment(CURRENT_TASK_DEFINITION, { status: 'ACTIVE', runningCount: 3 }),
    ]);

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress).toEqual({
      state: 'IN_PROGRESS',
      service: 'web',
      taskDefinitionArn: NEW_TASK_DEFINITION,
      desiredCount: 4,
      deadline,
      startedAt: STARTED,
      runningCount: 5,
      failedTasks: 1,
      checkedAt: clock,
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: 'prod', services: ['web'] });
  });

  it('reports COMPLETED once ECS says the rollout reached steady state with the desired count running', async () => {
    // Prepare
    serviceHas([ecsDeployment(NEW_TASK_DEFINITION)]);

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress).toMatchObject({ state: 'COMPLETED', runningCount: 4, desiredCount: 4, checkedAt: clock });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('reports COMPLETED for a service without rollout state once only the new revision runs at full size', async () => {
    // Prepare
    serviceHas([ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: undefined })]);

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress.state).toBe('COMPLETED');
  });

  it.each([
    ['the old deployment is still listed', [ecsDeployment(NEW_TASK_DEFINITION), ecsDeployment(CURRENT_TASK_DEFINITION, { status: 'ACTIVE', runningCount: 0 })], {}],
    ['fewer tasks than desired run', [ecsDeployment(NEW_TASK_DEFINITION, { runningCount: 3 })], {}],
    ['tasks of the old revision still drain', [ecsDeployment(NEW_TASK_DEFINITION)], { runningCount: 6 }],
    ['ECS still calls the rollout IN_PROGRESS, even at full count', [ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS' })], {}],
    ['the new revision runs fewer tasks than desired, old tasks making up the count', [ecsDeployment(NEW_TASK_DEFINITION, { runningCount: 3 })], { runningCount: 4 }],
  ])('is not COMPLETED while %s', async (_what, deployments, service) => {
    // Prepare
    serviceHas(deployments, service);

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress.state).toBe('IN_PROGRESS');
  });

  it('uses startedAt of the change, or this check when the change did not say', async () => {
    // Prepare
    serviceHas([ecsDeployment(NEW_TASK_DEFINITION)]);
    const { startedAt: _dropped, ...withoutStart } = event;

    // Act
    const progress = await handler(withoutStart, lambdaContext());

    // Assess
    expect(progress.startedAt).toBe(clock);
  });

  describe('with a target group', () => {
    const canary = canaryDeployment();
    const canaryTaskDefinition = taskDefinitionArn('checkout', 8);
    const CANARY = { serviceName: 'checkout-canary' };
    const canaryEvent = {
      deployment: canary,
      service: 'checkout-canary',
      taskDefinitionArn: canaryTaskDefinition,
      desiredCount: 2,
      deadline,
      startedAt: STARTED,
      targetGroupArn: CHECKOUT_CANARY_TG,
    };

    it('is COMPLETED only once as many targets as desired tasks are healthy there', async () => {
      // Prepare
      serviceHas([ecsDeployment(canaryTaskDefinition, { desiredCount: 2, runningCount: 2 })], CANARY);
      targetsAre('healthy', 'initial');

      // Act
      const progress = await handler(canaryEvent, lambdaContext());

      // Assess
      expect(progress).toMatchObject({ state: 'IN_PROGRESS', runningCount: 2, healthyTargets: 1 });
      expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: CHECKOUT_CANARY_TG });
    });

    it('is COMPLETED when every task runs and is healthy in the target group', async () => {
      // Prepare
      serviceHas([ecsDeployment(canaryTaskDefinition, { desiredCount: 2, runningCount: 2 })], CANARY);
      targetsAre('healthy', 'healthy', 'draining');

      // Act
      const progress = await handler(canaryEvent, lambdaContext());

      // Assess
      expect(progress).toMatchObject({ state: 'COMPLETED', healthyTargets: 2 });
    });

    it('does not ask the target group while ECS is not done yet', async () => {
      // Prepare
      serviceHas([ecsDeployment(canaryTaskDefinition, { desiredCount: 2, runningCount: 1, rolloutState: 'IN_PROGRESS' })], CANARY);

      // Act
      const progress = await handler(canaryEvent, lambdaContext());

      // Assess
      expect(progress.state).toBe('IN_PROGRESS');
      expect(progress).not.toHaveProperty('healthyTargets');
      expect(elbMock).not.toHaveReceivedAnyCommand();
    });

    it('does not count a target whose health ELB does not report', async () => {
      // Prepare
      serviceHas([ecsDeployment(canaryTaskDefinition, { desiredCount: 2, runningCount: 2 })], CANARY);
      elbMock.on(DescribeTargetHealthCommand).resolves({
        TargetHealthDescriptions: [{ Target: { Id: '10.0.0.1', Port: 8080 }, TargetHealth: { State: 'healthy' } }, { Target: { Id: '10.0.0.2', Port: 8080 } }],
      });

      // Act
      const progress = await handler(canaryEvent, lambdaContext());

      // Assess
      expect(progress).toMatchObject({ state: 'IN_PROGRESS', healthyTargets: 1 });
    });

    it('times out naming how many targets were healthy', async () => {
      // Prepare
      serviceHas([ecsDeployment(canaryTaskDefinition, { desiredCount: 2, runningCount: 2 })], CANARY);
      targetsAre('unhealthy', 'unhealthy');
      clock = deadline + 1;

      // Act
      const result = handler(canaryEvent, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'RolloutTimedOut',
        message: `ECS rollout of checkout:8 on prod/checkout-canary did not finish within ${canary.deploymentTimeoutSeconds}s (2/2 tasks running, 0 healthy in checkout-canary, 0 failed)`,
      });
    });
  });

  it('fails with ECS’s own reason when the circuit breaker stopped the rollout', async () => {
    // Prepare
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    serviceHas([
      ecsDeployment(CURRENT_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS', runningCount: 2 }),
      ecsDeployment(NEW_TASK_DEFINITION, { status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: reason, failedTasks: 3 }),
    ]);

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'RolloutFailed',
      message: `ECS rollout of web:42 on prod/web failed: ${reason} (3 tasks failed)`,
    });
  });

  it('fails when another deployment replaced this one, naming what the service deploys now', async () => {
    // Prepare
    const someoneElses = taskDefinitionArn('web', 43);
    serviceHas([
      ecsDeployment(someoneElses, { rolloutState: 'IN_PROGRESS' }),
      ecsDeployment(NEW_TASK_DEFINITION, { status: 'ACTIVE', rolloutState: 'IN_PROGRESS' }),
    ]);

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'RolloutFailed',
      message: expect.stringContaining('was replaced: the service now deploys web:43'),
    });
  });

  it('fails when the service no longer lists any deployment, saying it deploys nothing', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'web', status: 'ACTIVE', runningCount: 0 }] });

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'RolloutFailed',
      message: 'ECS rollout of web:42 on prod/web was replaced: the service now deploys nothing',
    });
  });

  it('fails when another revision is primary and this one is no longer listed', async () => {
    // Prepare
    serviceHas([ecsDeployment(CURRENT_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS' })]);

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'RolloutFailed', message: expect.stringContaining('was replaced: the service now deploys web:41') });
  });

  it('fails a scale-up whose tasks keep failing to start, once as many failed as the circuit breaker allows', async () => {
    // Prepare
    serviceHas([ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: 'COMPLETED', runningCount: 1, failedTasks: 3 })]);

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'RolloutFailed',
      message: `tasks of web:42 on prod/web keep failing to start: 3 failed, 1/4 running (the circuit breaker's threshold is 3)`,
    });
  });

  it('keeps waiting while fewer tasks than the threshold failed', async () => {
    // Prepare
    serviceHas([ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS', runningCount: 1, failedTasks: 2 })]);

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress).toMatchObject({ state: 'IN_PROGRESS', failedTasks: 2 });
  });

  it('does not fail a rollout that reached its count despite earlier failed tasks', async () => {
    // Prepare
    serviceHas([ecsDeployment(NEW_TASK_DEFINITION, { failedTasks: 5 })]);

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress).toMatchObject({ state: 'COMPLETED', failedTasks: 5 });
  });

  it('times out a rollout still in progress after its deadline, with the task counts', async () => {
    // Prepare
    serviceHas([
      ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS', runningCount: 1, failedTasks: 2 }),
      ecsDeployment(CURRENT_TASK_DEFINITION, { status: 'ACTIVE', runningCount: 3 }),
    ], { runningCount: 1 });
    clock = deadline + 1;

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'RolloutTimedOut',
      message: `ECS rollout of web:42 on prod/web did not finish within ${deployment.deploymentTimeoutSeconds}s (1/4 tasks running, 2 failed)`,
    });
  });

  it('does not time out at the deadline itself', async () => {
    // Prepare
    serviceHas([ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS', runningCount: 1 })]);
    clock = deadline;

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress.state).toBe('IN_PROGRESS');
  });

  it('calls a scale-down past its deadline a scale-down', async () => {
    // Prepare
    serviceHas([ecsDeployment(CURRENT_TASK_DEFINITION, { desiredCount: 0, runningCount: 2 })]);
    clock = deadline + 1;

    // Act
    const result = handler({ ...event, taskDefinitionArn: CURRENT_TASK_DEFINITION, desiredCount: 0 }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'RolloutTimedOut', message: expect.stringMatching(/^ECS scale-down of web:41 on prod\/web did not finish/) });
  });

  it('reports a scale-down to zero as COMPLETED once no task runs', async () => {
    // Prepare
    serviceHas([ecsDeployment(CURRENT_TASK_DEFINITION, { desiredCount: 0, runningCount: 0 })]);

    // Act
    const progress = await handler(
      { ...event, taskDefinitionArn: CURRENT_TASK_DEFINITION, desiredCount: 0, targetGroupArn: CHECKOUT_CANARY_TG },
      lambdaContext(),
    );

    // Assess
    expect(progress).toMatchObject({ state: 'COMPLETED', runningCount: 0 });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('does not time out a rollout that completed, even when checked after the deadline', async () => {
    // Prepare
    serviceHas([ecsDeployment(NEW_TASK_DEFINITION)]);
    clock = deadline + 60_000;

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress.state).toBe('COMPLETED');
  });

  it('refuses a service that no longer exists', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ServiceNotReady', message: expect.stringContaining('prod/web was not found') });
  });
});

describe('circuit breaker failure threshold', () => {
  it.each([
    [1, 3],
    [4, 3],
    [10, 5],
    [11, 6],
    [1000, 200],
  ])('is %i desired tasks -> %i failed tasks', (desired, threshold) => {
    // Prepare
    const count = desired;

    // Act
    const result = failureThreshold(count);

    // Assess
    expect(result).toBe(threshold);
  });
});
