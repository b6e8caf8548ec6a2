import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Deployment as EcsDeployment,
  type Service,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../lambdas/describe-service.ts';
import { lambdaContext } from '../support/lambda-context.ts';
import {
  CURRENT_TASK_DEFINITION,
  NEW_TASK_DEFINITION,
  OTHER_DIGEST,
  REGISTRY,
  deploymentOf,
  stubDeployerEnv,
} from '../support/lambda-fixtures.ts';

const ecsMock = mockClient(ECSClient);

const RUNNING_IMAGE = `${REGISTRY}/web@${OTHER_DIGEST}`;

function steadyDeployment(overrides: Partial<EcsDeployment> = {}): EcsDeployment {
  return {
    id: 'ecs-svc/1111',
    status: 'PRIMARY',
    taskDefinition: CURRENT_TASK_DEFINITION,
    desiredCount: 4,
    runningCount: 4,
    rolloutState: 'COMPLETED',
    ...overrides,
  };
}

function service(overrides: Partial<Service> = {}): Service {
  return {
    serviceName: 'web',
    status: 'ACTIVE',
    taskDefinition: CURRENT_TASK_DEFINITION,
    desiredCount: 4,
    deploymentConfiguration: { maximumPercent: 150, minimumHealthyPercent: 50 },
    deployments: [steadyDeployment()],
    ...overrides,
  };
}

function taskDefinitionRuns(containers: { name: string; image: string }[]): void {
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: { taskDefinitionArn: CURRENT_TASK_DEFINITION, family: 'web', revision: 41, containerDefinitions: containers },
  });
}

describe('DescribeService', () => {
  beforeEach(() => {
    ecsMock.reset();
    stubDeployerEnv();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('returns what the service runs: task definition, image of the configured container, size and deployment settings', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    ecsMock.on(DescribeServicesCommand).resolves({ services: [service()] });
    taskDefinitionRuns([
      { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable' },
      { name: deployment.container, image: RUNNING_IMAGE },
    ]);

    // Act
    const current = await handler({ deployment }, lambdaContext());

    // Assess
    expect(current).toEqual({
      taskDefinitionArn: CURRENT_TASK_DEFINITION,
      image: RUNNING_IMAGE,
      desiredCount: 4,
      maximumPercent: 150,
      minimumHealthyPercent: 50,
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: deployment.cluster,
      services: [deployment.ecsService],
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: CURRENT_TASK_DEFINITION });
  });

  it('refuses a service ECS cannot find, pointing at cluster and service in the config', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [],
      failures: [{ arn: `arn:aws:ecs:eu-west-1:123456789012:service/${deployment.cluster}/${deployment.ecsService}`, reason: 'MISSING' }],
    });

    // Act
    const result = handler({ deployment }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ServiceNotReady',
      message: `ECS service ${deployment.cluster}/${deployment.ecsService} was not found (MISSING); check cluster and service in the config`,
    });
    expect(ecsMock).not.toHaveReceivedCommand(DescribeTaskDefinitionCommand);
  });

  it('refuses a service that is being deleted', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    ecsMock.on(DescribeServicesCommand).resolves({ services: [service({ status: 'DRAINING' })] });

    // Act
    const result = handler({ deployment }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ServiceNotReady', message: expect.stringContaining('is DRAINING, not ACTIVE') });
  });

  it.each([
    [
      'a rollout to another revision is under way',
      [
        steadyDeployment({ id: 'ecs-svc/2222', taskDefinition: NEW_TASK_DEFINITION, rolloutState: 'IN_PROGRESS', runningCount: 1 }),
        steadyDeployment({ status: 'ACTIVE' }),
      ],
    ],
    ['the only deployment has not reached steady state', [steadyDeployment({ rolloutState: 'IN_PROGRESS', runningCount: 2 })]],
  ])('refuses to start while %s, and says to wait', async (_what, deployments) => {
    // Prepare
    const deployment = deploymentOf('web');
    ecsMock.on(DescribeServicesCommand).resolves({ services: [service({ deployments })] });

    // Act
    const result = handler({ deployment }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ServiceNotReady',
      message: expect.stringMatching(/already has a rollout in progress .*wait for it to finish, then deploy again/),
    });
    expect(ecsMock).not.toHaveReceivedCommand(DescribeTaskDefinitionCommand);
  });

  it('refuses a task definition without the configured container, listing the containers it has', async () => {
    // Prepare
    const deployment = deploymentOf('web');
    ecsMock.on(DescribeServicesCommand).resolves({ services: [service()] });
    taskDefinitionRuns([
      { name: 'nginx', image: 'nginx:1.27' },
      { name: 'log-router', image: 'fluent-bit:stable' },
    ]);

    // Act
    const result = handler({ deployment }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ServiceNotReady',
      message: `container '${deployment.container}' is not in task definition web:41 (containers: nginx, log-router); fix 'container' in the config`,
    });
  });
});
