import { ECSClient, ServiceNotFoundException, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useClock } from '../../lambdas/shared/clock.ts';
import { handler } from '../../lambdas/update-service.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import { NEW_TASK_DEFINITION, currentState, deploymentOf, stubDeployerEnv } from '../support/lambda-fixtures.ts';

const ecsMock = mockClient(ECSClient);

const NOW = Date.parse('2026-01-31T12:01:00.000Z');

describe('UpdateService', () => {
  let restoreClock: () => void;

  beforeEach(() => {
    ecsMock.reset();
    stubDeployerEnv();
    restoreClock = useClock({ now: () => NOW });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  it('points the service at the new revision with the circuit breaker on, keeping its rollout percentages', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    const current = currentState({ maximumPercent: 150, minimumHealthyPercent: 50 });
    ecsMock.on(UpdateServiceCommand).resolves({});

    // Act
    await handler({ deployment, current, taskDefinitionArn: NEW_TASK_DEFINITION }, lambdaContext());

    // Assess
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(UpdateServiceCommand, {
      cluster: deployment.cluster,
      service: deployment.ecsService,
      taskDefinition: NEW_TASK_DEFINITION,
      deploymentConfiguration: {
        maximumPercent: 150,
        minimumHealthyPercent: 50,
        deploymentCircuitBreaker: { enable: true, rollback: true },
      },
    });
  });

  it('does not change the desired count, so autoscaling keeps its say', async () => {
    // Prepare
    ecsMock.on(UpdateServiceCommand).resolves({});

    // Act
    await handler(
      { deployment: deploymentOf('web'), current: currentState({ desiredCount: 7 }), taskDefinitionArn: NEW_TASK_DEFINITION },
      lambdaContext(),
    );

    // Assess
    const [call] = ecsMock.commandCalls(UpdateServiceCommand);
    expect(call?.args[0].input).not.toHaveProperty('desiredCount');
  });

  it('returns the rollout deadline: now plus the deployment timeout of the service', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    ecsMock.on(UpdateServiceCommand).resolves({});

    // Act
    const result = await handler(
      { deployment, current: currentState(), taskDefinitionArn: NEW_TASK_DEFINITION },
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({
      state: 'IN_PROGRESS',
      taskDefinitionArn: NEW_TASK_DEFINITION,
      deadline: NOW + deployment.deploymentTimeoutSeconds * 1000,
    });
  });

  it('rolls back by pointing the service at the revision it ran before', async () => {
    // Prepare
    const current = currentState();
    ecsMock.on(UpdateServiceCommand).resolves({});

    // Act
    const result = await handler(
      { deployment: deploymentOf('web'), current, taskDefinitionArn: current.taskDefinitionArn },
      lambdaContext(),
    );

    // Assess
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { taskDefinition: current.taskDefinitionArn });
    expect(result.taskDefinitionArn).toBe(current.taskDefinitionArn);
  });

  it('reports a service that disappeared as AwsCallFailed naming the call', async () => {
    // Prepare
    const missing = new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } });
    ecsMock.on(UpdateServiceCommand).rejects(missing);

    // Act
    const result = handler(
      { deployment: deploymentOf('web'), current: currentState(), taskDefinitionArn: NEW_TASK_DEFINITION },
      lambdaContext(),
    );

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'AwsCallFailed',
      message: 'ecs:UpdateService failed: ServiceNotFoundException: Service not found.',
      cause: missing,
    });
  });

  it('rejects an event without the state to return to, before calling ECS', async () => {
    // Prepare
    const event = { deployment: deploymentOf('web'), taskDefinitionArn: NEW_TASK_DEFINITION };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('current: required') });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });
});
