import {
  DescribeServicesCommand,
  ECSClient,
  UpdateServiceCommand,
  type Deployment as EcsDeployment,
  type Service,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as checkService } from '../../../lambdas/ecs/check-service.ts';
import { handler } from '../../../lambdas/ecs/restore-service.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  CHECKOUT_CANARY_TG,
  CURRENT_TASK_DEFINITION,
  NEW_TASK_DEFINITION,
  canaryDeployment,
  rollingDeployment,
  serviceState,
  stubDeployerEnv,
  taskDefinitionArn,
} from '../../support/lambda-fixtures.ts';

const ecsMock = mockClient(ECSClient);

const NOW = Date.parse('2026-01-31T12:30:00.000Z');
const CANARY_REVISION = taskDefinitionArn('checkout', 8);

function ecsDeployment(taskDefinition: string, overrides: Partial<EcsDeployment> = {}): EcsDeployment {
  return { status: 'PRIMARY', taskDefinition, desiredCount: 4, runningCount: 4, rolloutState: 'COMPLETED', ...overrides };
}

function serviceIs(overrides: Partial<Service>): void {
  ecsMock.on(DescribeServicesCommand).resolves({ services: [{ status: 'ACTIVE', ...overrides }] });
}

function serviceIsGone(): void {
  ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
}

/** The canary as the snapshot recorded it: the deployer was to create it. */
const canaryBefore = { service: 'checkout-canary', exists: false, desiredCount: 0, targetGroupArn: CHECKOUT_CANARY_TG };

describe('RestoreService', () => {
  let clock: number;
  let restoreClock: () => void;

  beforeEach(() => {
    ecsMock.reset();
    stubDeployerEnv();
    clock = NOW;
    restoreClock = useClock({ now: () => clock });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { taskDefinition: CANARY_REVISION, desiredCount: 0 } });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  it('does nothing for a service that did not exist before and does not exist now', async () => {
    // Prepare
    serviceIsGone();

    // Act
    const result = await handler({ deployment: canaryDeployment(), state: canaryBefore }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ state: 'COMPLETED', action: 'absent, as before', service: 'checkout-canary', desiredCount: 0 });
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('refuses to restore a service that existed before and has been deleted since', async () => {
    // Prepare
    serviceIsGone();

    // Act
    const result = handler({ deployment: rollingDeployment(), state: serviceState() }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ServiceNotReady',
      message: 'ECS service prod/web no longer exists: it cannot be put back on its previous revision',
    });
  });

  it('scales a service the deployer created down to zero tasks, without touching its settings, and lets it be polled', async () => {
    // Prepare
    const deployment = canaryDeployment();
    serviceIs({ serviceName: 'checkout-canary', desiredCount: 2, deployments: [ecsDeployment(CANARY_REVISION, { desiredCount: 2, runningCount: 2 })] });

    // Act
    const result = await handler({ deployment, state: canaryBefore }, lambdaContext());

    // Assess
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(UpdateServiceCommand, { cluster: 'prod', service: 'checkout-canary', desiredCount: 0 });
    const [call] = ecsMock.commandCalls(UpdateServiceCommand);
    expect(call?.args[0].input.deploymentConfiguration).toBeUndefined();
    expect(call?.args[0].input.taskDefinition).toBeUndefined();
    expect(result).toEqual({
      state: 'IN_PROGRESS',
      action: 'scaled to zero',
      service: 'checkout-canary',
      taskDefinitionArn: CANARY_REVISION,
      desiredCount: 0,
      startedAt: NOW,
      deadline: NOW + deployment.deploymentTimeoutSeconds * 1000,
    });
  });

  it('sends nothing for a created service already at zero, and waits for its tasks to stop', async () => {
    // Prepare
    serviceIs({ serviceName: 'checkout-canary', desiredCount: 0, deployments: [ecsDeployment(CANARY_REVISION, { desiredCount: 0, runningCount: 2 })] });

    // Act
    const result = await handler({ deployment: canaryDeployment(), state: canaryBefore }, lambdaContext());

    // Assess
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(result).toMatchObject({ state: 'IN_PROGRESS', action: 'scaled to zero', taskDefinitionArn: CANARY_REVISION, desiredCount: 0 });
  });

  // BUG (lambdas/ecs/restore-service.ts:40): a created service already at zero is returned IN_PROGRESS
  // with `deadline` = now (it reuses `unchanged`, whose deadline is its start). The state machine waits
  // one interval and polls CheckService with that deadline: while the tasks still stop (a rollback or a
  // restore run after a stop during the canary's scale-down), it throws RolloutTimedOut at once and the
  // rollback fails. It should get `now + deploymentTimeoutSeconds`, like every other change.
  it('gives a created service already at zero the deployment timeout to stop its tasks', async () => {
    // Prepare
    const deployment = canaryDeployment();
    const draining = { serviceName: 'checkout-canary', desiredCount: 0, runningCount: 2, deployments: [ecsDeployment(CANARY_REVISION, { desiredCount: 0, runningCount: 2 })] };
    serviceIs(draining);
    const change = await handler({ deployment, state: canaryBefore }, lambdaContext());
    clock = NOW + deployment.verification.intervalSeconds * 1000;

    // Act
    const progress = checkService({ deployment, ...change }, lambdaContext());

    // Assess
    await expect(progress).resolves.toMatchObject({ state: 'IN_PROGRESS' });
  });

  it('puts a changed service back on the revision and count of the snapshot, with its percentages and the circuit breaker', async () => {
    // Prepare
    const deployment = rollingDeployment();
    const before = serviceState({ maximumPercent: 150, minimumHealthyPercent: 50 });
    serviceIs({ serviceName: 'web', desiredCount: 4, deployments: [ecsDeployment(NEW_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS' })] });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { taskDefinition: CURRENT_TASK_DEFINITION, desiredCount: 4 } });

    // Act
    const result = await handler({ deployment, state: before }, lambdaContext());

    // Assess
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(UpdateServiceCommand, {
      cluster: 'prod',
      service: 'web',
      taskDefinition: CURRENT_TASK_DEFINITION,
      desiredCount: 4,
      deploymentConfiguration: { maximumPercent: 150, minimumHealthyPercent: 50, deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    expect(result).toMatchObject({
      state: 'IN_PROGRESS',
      action: 'restored',
      taskDefinitionArn: CURRENT_TASK_DEFINITION,
      desiredCount: 4,
      deadline: NOW + deployment.deploymentTimeoutSeconds * 1000,
    });
  });

  it("puts the service's own circuit breaker and deployment alarms back as the snapshot had them", async () => {
    // Prepare: the team runs without the breaker's rollback, and with ECS deployment alarms.
    const deployment = rollingDeployment();
    const alarms = { alarmNames: ['web-5xx-rate'], enable: true, rollback: false };
    const before = serviceState({ circuitBreaker: { enable: true, rollback: false }, deploymentAlarms: alarms });
    serviceIs({ serviceName: 'web', desiredCount: 4, deployments: [ecsDeployment(NEW_TASK_DEFINITION)] });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { taskDefinition: CURRENT_TASK_DEFINITION, desiredCount: 4 } });

    // Act
    await handler({ deployment, state: before }, lambdaContext());

    // Assess
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, {
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: false }, alarms },
    });
  });

  it('puts back the task count of a service that only changed size (an idle colour that was scaled up)', async () => {
    // Prepare
    serviceIs({ serviceName: 'web', desiredCount: 6, deployments: [ecsDeployment(CURRENT_TASK_DEFINITION, { desiredCount: 6, runningCount: 6 })] });

    // Act
    await handler({ deployment: rollingDeployment(), state: serviceState() }, lambdaContext());

    // Assess
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { taskDefinition: CURRENT_TASK_DEFINITION, desiredCount: 4 });
  });

  it('puts back a service that runs the old revision again while ECS still rolls it back', async () => {
    // Prepare
    serviceIs({
      serviceName: 'web',
      desiredCount: 4,
      deployments: [
        ecsDeployment(CURRENT_TASK_DEFINITION, { rolloutState: 'IN_PROGRESS', runningCount: 2 }),
        ecsDeployment(NEW_TASK_DEFINITION, { status: 'ACTIVE', rolloutState: 'FAILED' }),
      ],
    });

    // Act
    const result = await handler({ deployment: rollingDeployment(), state: serviceState() }, lambdaContext());

    // Assess
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(result.action).toBe('restored');
  });

  it('waits for a service already scaled back whose tasks still start, without calling UpdateService again', async () => {
    // Prepare: a restore run finds the live colour scaled back up by the run that was stopped.
    serviceIs({ serviceName: 'web', desiredCount: 4, deployments: [ecsDeployment(CURRENT_TASK_DEFINITION, { runningCount: 1, pendingCount: 3 })] });

    // Act
    const result = await handler({ deployment: rollingDeployment(), state: serviceState() }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ state: 'IN_PROGRESS', action: 'being restored', desiredCount: 4 });
    expect(result.deadline).toBeGreaterThan(NOW);
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('reports a service already as recorded as COMPLETED without calling UpdateService', async () => {
    // Prepare
    serviceIs({ serviceName: 'web', desiredCount: 4, deployments: [ecsDeployment(CURRENT_TASK_DEFINITION)] });

    // Act
    const result = await handler({ deployment: rollingDeployment(), state: serviceState() }, lambdaContext());

    // Assess
    expect(result).toEqual({
      state: 'COMPLETED',
      action: 'unchanged',
      service: 'web',
      taskDefinitionArn: CURRENT_TASK_DEFINITION,
      desiredCount: 4,
      startedAt: NOW,
      deadline: NOW,
    });
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
  });
});
