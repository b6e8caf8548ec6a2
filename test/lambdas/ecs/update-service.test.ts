import { ECSClient, ServiceNotFoundException, UpdateServiceCommand, type UpdateServiceCommandInput } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/ecs/update-service.ts';
import { shareOf } from '../../../lambdas/ecs/service-change.ts';
import { useClock } from '../../../lambdas/shared/clock.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  CURRENT_TASK_DEFINITION,
  NEW_TASK_DEFINITION,
  canaryDeployment,
  rollingDeployment,
  serviceState,
  stubDeployerEnv,
  taskDefinitionArn,
} from '../../support/lambda-fixtures.ts';

const ecsMock = mockClient(ECSClient);

const NOW = Date.parse('2026-01-31T12:01:00.000Z');
const CIRCUIT_BREAKER = { deploymentCircuitBreaker: { enable: true, rollback: true } };

/** What was sent to UpdateService. */
function sent(): UpdateServiceCommandInput {
  const [call] = ecsMock.commandCalls(UpdateServiceCommand);
  if (call === undefined) throw new Error('UpdateService was not called');
  return call.args[0].input;
}

describe('UpdateService', () => {
  let restoreClock: () => void;

  beforeEach(() => {
    ecsMock.reset();
    stubDeployerEnv();
    restoreClock = useClock({ now: () => NOW });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { taskDefinition: CURRENT_TASK_DEFINITION, desiredCount: 4 } });
  });

  afterEach(() => {
    restoreClock();
    vi.unstubAllEnvs();
  });

  it('points the service at the new revision with the circuit breaker on, keeping its rollout percentages', async () => {
    // Prepare
    const deployment = rollingDeployment();
    const basis = serviceState({ maximumPercent: 150, minimumHealthyPercent: 50 });

    // Act
    await handler({ deployment, service: 'web', taskDefinitionArn: NEW_TASK_DEFINITION, desiredCount: 4, basis }, lambdaContext());

    // Assess
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(UpdateServiceCommand, {
      cluster: 'prod',
      service: 'web',
      taskDefinition: NEW_TASK_DEFINITION,
      desiredCount: 4,
      deploymentConfiguration: { maximumPercent: 150, minimumHealthyPercent: 50, ...CIRCUIT_BREAKER },
    });
  });

  it('turns the circuit breaker on for a new revision even without a basis, leaving the percentages alone', async () => {
    // Prepare
    const deployment = canaryDeployment();

    // Act
    await handler({ deployment, service: 'checkout-canary', taskDefinitionArn: taskDefinitionArn('checkout', 8) }, lambdaContext());

    // Assess
    expect(sent().deploymentConfiguration).toEqual(CIRCUIT_BREAKER);
  });

  it('leaves the desired count alone when only a revision is asked for, so autoscaling keeps its say', async () => {
    // Prepare
    const deployment = rollingDeployment();

    // Act
    const result = await handler({ deployment, service: 'web', taskDefinitionArn: NEW_TASK_DEFINITION }, lambdaContext());

    // Assess
    expect(sent().desiredCount).toBeUndefined();
    // What to poll for: the count ECS has.
    expect(result.desiredCount).toBe(4);
  });

  it('scales without touching the rollout settings: a scale-only update sends no deploymentConfiguration', async () => {
    // Prepare
    const deployment = rollingDeployment();

    // Act
    const result = await handler({ deployment, service: 'web', desiredCount: 0 }, lambdaContext());

    // Assess
    expect(sent()).toMatchObject({ cluster: 'prod', service: 'web', desiredCount: 0 });
    expect(sent().deploymentConfiguration).toBeUndefined();
    expect(sent().taskDefinition).toBeUndefined();
    // The revision to poll is the one the service runs.
    expect(result).toMatchObject({ taskDefinitionArn: CURRENT_TASK_DEFINITION, desiredCount: 0 });
  });

  it.each([
    [4, 10, 1],
    [4, 25, 1],
    [4, 50, 2],
    [10, 25, 3],
    [3, 100, 3],
    [0, 10, 1],
  ])('sizes a canary step of %i tasks at %i percent to %i task(s) (ceil of the share, at least one)', async (of, percent, expected) => {
    // Prepare
    const deployment = canaryDeployment();
    const canaryRevision = taskDefinitionArn('checkout', 8);

    // Act
    const result = await handler(
      { deployment, service: 'checkout-canary', taskDefinitionArn: canaryRevision, share: { of, percent } },
      lambdaContext(),
    );

    // Assess
    expect(sent()).toMatchObject({ service: 'checkout-canary', taskDefinition: canaryRevision, desiredCount: expected });
    expect(result.desiredCount).toBe(expected);
    expect(shareOf(of, percent)).toBe(expected);
  });

  it('returns what to poll: service, revision, count, start and the deadline of the deployment timeout', async () => {
    // Prepare
    const deployment = rollingDeployment();

    // Act
    const result = await handler(
      { deployment, service: 'web', taskDefinitionArn: NEW_TASK_DEFINITION, desiredCount: 4, basis: serviceState() },
      lambdaContext(),
    );

    // Assess
    expect(result).toEqual({
      state: 'IN_PROGRESS',
      service: 'web',
      taskDefinitionArn: NEW_TASK_DEFINITION,
      desiredCount: 4,
      startedAt: NOW,
      deadline: NOW + deployment.deploymentTimeoutSeconds * 1000,
    });
  });

  it('rolls back by pointing the service at the revision it ran before', async () => {
    // Prepare
    const before = serviceState();

    // Act
    const result = await handler(
      { deployment: rollingDeployment(), service: 'web', taskDefinitionArn: before.taskDefinitionArn, basis: before },
      lambdaContext(),
    );

    // Assess
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { taskDefinition: before.taskDefinitionArn });
    expect(result.taskDefinitionArn).toBe(before.taskDefinitionArn);
  });

  it('reports a service that disappeared as AwsCallFailed naming the call', async () => {
    // Prepare
    const missing = new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } });
    ecsMock.on(UpdateServiceCommand).rejects(missing);

    // Act
    const result = handler(
      { deployment: rollingDeployment(), service: 'web', taskDefinitionArn: NEW_TASK_DEFINITION },
      lambdaContext(),
    );

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'AwsCallFailed',
      message: 'ecs:UpdateService failed: ServiceNotFoundException: Service not found.',
      cause: missing,
    });
  });

  it('rejects an event that asks for no revision, count or share, before calling ECS', async () => {
    // Prepare
    const event = { deployment: rollingDeployment(), service: 'web' };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('give a taskDefinitionArn, a desiredCount or a share'),
    });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects a share above 100 percent, naming the field', async () => {
    // Prepare
    const event = { deployment: canaryDeployment(), service: 'checkout-canary', share: { of: 4, percent: 150 } };

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('share.percent') });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });
});
