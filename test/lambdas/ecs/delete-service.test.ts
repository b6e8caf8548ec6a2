import { DeleteServiceCommand, DescribeServicesCommand, ECSClient, type Service } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/ecs/delete-service.ts';
import type { Deployment } from '../../../lambdas/shared/deployment.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { CHECKOUT_CANARY_TG, canaryDeployment, serviceState, stubDeployerEnv, taskDefinitionArn } from '../../support/lambda-fixtures.ts';

const ecsMock = mockClient(ECSClient);

/** The canary as the snapshot recorded it: absent, to be created by the deployer. */
const created = { service: 'checkout-canary', exists: false, desiredCount: 0, targetGroupArn: CHECKOUT_CANARY_TG };

function canaryIs(overrides: Partial<Service>): void {
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [{ serviceName: 'checkout-canary', status: 'ACTIVE', taskDefinition: taskDefinitionArn('checkout', 8), ...overrides }],
  });
}

describe('DeleteService', () => {
  beforeEach(() => {
    ecsMock.reset();
    stubDeployerEnv();
    ecsMock.on(DeleteServiceCommand).resolves({});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('deletes the canary service the deployer created once it runs no task', async () => {
    // Prepare
    canaryIs({ desiredCount: 0, runningCount: 0 });

    // Act
    const result = await handler({ deployment: canaryDeployment(), state: created }, lambdaContext());

    // Assess
    expect(result).toEqual({ deleted: true });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DeleteServiceCommand, { cluster: 'prod', service: 'checkout-canary' });
  });

  it('never deletes a service that existed before the deployment', async () => {
    // Prepare
    canaryIs({ desiredCount: 0, runningCount: 0 });
    const existed = serviceState({ service: 'checkout-canary', desiredCount: 0, targetGroupArn: CHECKOUT_CANARY_TG });

    // Act
    const result = await handler({ deployment: canaryDeployment(), state: existed }, lambdaContext());

    // Assess
    expect(result).toEqual({ deleted: false, reason: 'existed before the deployment' });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });

  it('never deletes a canary service the team owns, even if the snapshot found it absent', async () => {
    // Prepare
    const deployment = canaryDeployment();
    const owned: Deployment = {
      ...deployment,
      ecs: { ...deployment.ecs, canary: { service: 'checkout-canary', targetGroupArn: CHECKOUT_CANARY_TG, owned: true } },
    };
    canaryIs({ desiredCount: 0, runningCount: 0 });

    // Act
    const result = await handler({ deployment: owned, state: created }, lambdaContext());

    // Assess
    expect(result.deleted).toBe(false);
    expect(ecsMock).not.toHaveReceivedCommand(DeleteServiceCommand);
  });

  it.each([
    ['still wants tasks', { desiredCount: 1, runningCount: 0 }],
    ['still runs tasks', { desiredCount: 0, runningCount: 2 }],
  ])('refuses to delete a canary that %s, saying to scale it to zero first', async (_what, counts) => {
    // Prepare
    canaryIs(counts);

    // Act
    const result = handler({ deployment: canaryDeployment(), state: created }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ServiceNotReady',
      message: expect.stringMatching(/^ECS service prod\/checkout-canary still runs \d task\(s\): scale it to zero before deleting it$/),
    });
    expect(ecsMock).not.toHaveReceivedCommand(DeleteServiceCommand);
  });

  it('is done when the canary is already gone', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });

    // Act
    const result = await handler({ deployment: canaryDeployment(), state: created }, lambdaContext());

    // Assess
    expect(result).toEqual({ deleted: false, reason: 'already gone' });
    expect(ecsMock).not.toHaveReceivedCommand(DeleteServiceCommand);
  });
});
