import { DescribeServicesCommand, ECSClient, type Deployment as EcsDeployment } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/check-rollout.ts';
import { useClock } from '../../lambdas/shared/clock.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import {
  CURRENT_TASK_DEFINITION,
  NEW_TASK_DEFINITION,
  deploymentOf,
  stubDeployerEnv,
} from '../support/lambda-fixtures.ts';

const ecsMock = mockClient(ECSClient);

const STARTED = Date.parse('2026-01-31T12:01:00.000Z');

function ecsDeployment(taskDefinition: string, overrides: Partial<EcsDeployment> = {}): EcsDeployment {
  return { status: 'PRIMARY', taskDefinition, desiredCount: 4, runningCount: 4, failedTasks: 0, rolloutState: 'COMPLETED', ...overrides };
}

function serviceHas(...deployments: EcsDeployment[]): void {
  ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'web', status: 'ACTIVE', deployments }] });
}

describe('CheckRollout', () => {
  const deployment = deploymentOf('web');
  const deadline = STARTED + deployment.deploymentTimeoutSeconds * 1000;
  const event = { deployment, taskDefinitionArn: NEW_TASK_DEFINITION, deadline };
  let clock: number;
  let restoreClock: () => void;

  beforeEach(() => {
    ecsMock.reset();
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
    serviceHas(
      ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS', runningCount: 2, failedTasks: 1 }),
      ecsDeployment(CURRENT_TASK_DEFINITION, { status: 'ACTIVE', runningCount: 3 }),
    );

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress).toEqual({
      state: 'IN_PROGRESS',
      taskDefinitionArn: NEW_TASK_DEFINITION,
      deadline,
      runningCount: 2,
      desiredCount: 4,
      failedTasks: 1,
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: deployment.cluster,
      services: [deployment.ecsService],
    });
  });

  it('reports COMPLETED once ECS says the rollout reached steady state', async () => {
    // Prepare
    serviceHas(ecsDeployment(NEW_TASK_DEFINITION));

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress).toMatchObject({ state: 'COMPLETED', runningCount: 4, desiredCount: 4 });
  });

  it('reports COMPLETED for a service without rollout state once only the new revision runs at full size', async () => {
    // Prepare
    serviceHas(ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: undefined }));

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress.state).toBe('COMPLETED');
  });

  it('fails with ECS’s own reason when the circuit breaker stopped the rollout', async () => {
    // Prepare
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    serviceHas(
      ecsDeployment(CURRENT_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS', runningCount: 2 }),
      ecsDeployment(NEW_TASK_DEFINITION, { status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: reason, failedTasks: 3 }),
    );

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'RolloutFailed',
      message: `ECS rollout of web:42 on ${deployment.cluster}/${deployment.ecsService} failed: ${reason} (3 tasks failed)`,
    });
  });

  it('fails when another deployment replaced this one, naming what the service deploys now', async () => {
    // Prepare
    const someoneElses = NEW_TASK_DEFINITION.replace(/:42$/, ':43');
    serviceHas(
      ecsDeployment(someoneElses, { rolloutState: 'IN_PROGRESS' }),
      ecsDeployment(NEW_TASK_DEFINITION, { status: 'ACTIVE', rolloutState: 'IN_PROGRESS' }),
    );

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'RolloutFailed',
      message: expect.stringContaining('was replaced: the service now deploys web:43'),
    });
  });

  it('times out a rollout still in progress after its deadline, with the task counts', async () => {
    // Prepare
    serviceHas(
      ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS', runningCount: 1, failedTasks: 2 }),
      ecsDeployment(CURRENT_TASK_DEFINITION, { status: 'ACTIVE' }),
    );
    clock = deadline + 1;

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'RolloutTimedOut',
      message: `ECS rollout of web:42 on ${deployment.cluster}/${deployment.ecsService} did not finish within ${deployment.deploymentTimeoutSeconds}s (1/4 tasks running, 2 failed)`,
    });
  });

  it('does not time out a rollout that completed, even when checked after the deadline', async () => {
    // Prepare
    serviceHas(ecsDeployment(NEW_TASK_DEFINITION));
    clock = deadline + 60_000;

    // Act
    const progress = await handler(event, lambdaContext());

    // Assess
    expect(progress.state).toBe('COMPLETED');
  });
});
