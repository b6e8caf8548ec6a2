import {
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/ecs/prepare-canary-service.ts';
import type { Deployment } from '../../../lambdas/shared/deployment.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  CHECKOUT_CANARY_TG,
  CHECKOUT_TG,
  canaryDeployment,
  canarySnapshot,
  rollingDeployment,
  rollingSnapshot,
  stubDeployerEnv,
  taskDefinitionArn,
} from '../../support/lambda-fixtures.ts';

const ecsMock = mockClient(ECSClient);

const NEW_REVISION = taskDefinitionArn('checkout', 8);
const CIRCUIT_BREAKER = { deploymentCircuitBreaker: { enable: true, rollback: true } };
const NETWORK = {
  awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'], securityGroups: ['sg-0123456789abcdef0'], assignPublicIp: 'DISABLED' as const },
};

/** The primary `checkout` service as ECS describes it. */
function primaryService(overrides: Partial<Service> = {}): Service {
  return {
    serviceName: 'checkout',
    status: 'ACTIVE',
    desiredCount: 4,
    runningCount: 4,
    taskDefinition: taskDefinitionArn('checkout', 7),
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    networkConfiguration: NETWORK,
    healthCheckGracePeriodSeconds: 60,
    loadBalancers: [{ targetGroupArn: CHECKOUT_TG, containerName: 'app', containerPort: 8080 }],
    enableECSManagedTags: true,
    ...overrides,
  };
}

function servicesAre(primary: Service | undefined, canary?: Service): void {
  ecsMock.on(DescribeServicesCommand, { services: ['checkout'] }).resolves({ services: primary === undefined ? [] : [primary] });
  ecsMock.on(DescribeServicesCommand, { services: ['checkout-canary'] }).resolves({ services: canary === undefined ? [] : [canary] });
}

describe('PrepareCanaryService', () => {
  const deployment = canaryDeployment();
  const event = { deployment, snapshot: canarySnapshot(), taskDefinitionArn: NEW_REVISION };

  beforeEach(() => {
    ecsMock.reset();
    stubDeployerEnv();
    ecsMock.on(CreateServiceCommand).resolves({ service: { serviceName: 'checkout-canary' } });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { taskDefinition: NEW_REVISION, desiredCount: 0 } });
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('creates the canary next to the primary: same network, launch type, platform and grace period, in the canary target group, with no task', async () => {
    // Prepare
    servicesAre(primaryService());

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ service: 'checkout-canary', created: true });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(CreateServiceCommand, {
      cluster: 'prod',
      serviceName: 'checkout-canary',
      taskDefinition: NEW_REVISION,
      desiredCount: 0,
      loadBalancers: [{ targetGroupArn: CHECKOUT_CANARY_TG, containerName: 'app', containerPort: 8080 }],
      deploymentConfiguration: CIRCUIT_BREAKER,
      networkConfiguration: NETWORK,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      healthCheckGracePeriodSeconds: 60,
      tags: [
        { key: 'ecs-deployer:service', value: 'checkout' },
        { key: 'ecs-deployer:execution', value: deployment.executionName },
      ],
      propagateTags: 'SERVICE',
      enableECSManagedTags: true,
    });
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('copies the capacity provider strategy instead of the launch type when the primary uses one', async () => {
    // Prepare
    const capacityProviderStrategy = [
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    ];
    servicesAre(primaryService({ launchType: undefined, capacityProviderStrategy }));

    // Act
    await handler(event, lambdaContext());

    // Assess
    const [call] = ecsMock.commandCalls(CreateServiceCommand);
    expect(call?.args[0].input.capacityProviderStrategy).toEqual(capacityProviderStrategy);
    expect(call?.args[0].input).not.toHaveProperty('launchType');
  });

  it('registers the canary with the container and port the primary uses in its own target group', async () => {
    // Prepare
    servicesAre(
      primaryService({
        loadBalancers: [
          { targetGroupArn: CHECKOUT_TG.replace('/checkout/', '/checkout-admin/'), containerName: 'admin', containerPort: 9000 },
          { targetGroupArn: CHECKOUT_TG, containerName: 'app', containerPort: 8443 },
        ],
      }),
    );

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(ecsMock).toHaveReceivedCommandWith(CreateServiceCommand, {
      loadBalancers: [{ targetGroupArn: CHECKOUT_CANARY_TG, containerName: 'app', containerPort: 8443 }],
    });
  });

  it('leaves out what the primary does not set (EC2 without awsvpc, no grace period)', async () => {
    // Prepare
    servicesAre(
      primaryService({ launchType: 'EC2', platformVersion: undefined, networkConfiguration: undefined, healthCheckGracePeriodSeconds: undefined }),
    );

    // Act
    await handler(event, lambdaContext());

    // Assess
    const input = ecsMock.commandCalls(CreateServiceCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ launchType: 'EC2' });
    for (const field of ['platformVersion', 'networkConfiguration', 'healthCheckGracePeriodSeconds', 'capacityProviderStrategy']) {
      expect(input).not.toHaveProperty(field);
    }
  });

  it('refuses a primary that is not registered in its target group with a container and port, creating nothing', async () => {
    // Prepare
    servicesAre(primaryService({ loadBalancers: [] }));

    // Act
    const result = handler(event, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ServiceNotReady',
      message: `the primary service checkout is not registered in ${CHECKOUT_TG} with a container and port`,
    });
    expect(ecsMock).not.toHaveReceivedCommand(CreateServiceCommand);
  });

  it('points an existing canary service at the new revision with no task, instead of creating one', async () => {
    // Prepare
    servicesAre(
      primaryService(),
      primaryService({ serviceName: 'checkout-canary', desiredCount: 0, taskDefinition: taskDefinitionArn('checkout', 6) }),
    );

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ service: 'checkout-canary', created: false });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(UpdateServiceCommand, {
      cluster: 'prod',
      service: 'checkout-canary',
      taskDefinition: NEW_REVISION,
      desiredCount: 0,
      deploymentConfiguration: CIRCUIT_BREAKER,
    });
    expect(ecsMock).not.toHaveReceivedCommand(CreateServiceCommand);
  });

  it('updates the canary service the team owns', async () => {
    // Prepare
    const owned: Deployment = {
      ...deployment,
      ecs: { ...deployment.ecs, canary: { service: 'checkout-next', targetGroupArn: CHECKOUT_CANARY_TG, owned: true } },
    };
    ecsMock.on(DescribeServicesCommand, { services: ['checkout-next'] }).resolves({
      services: [primaryService({ serviceName: 'checkout-next', desiredCount: 0 })],
    });

    // Act
    const result = await handler({ ...event, deployment: owned }, lambdaContext());

    // Assess
    expect(result).toEqual({ service: 'checkout-next', created: false });
    expect(ecsMock).toHaveReceivedCommandWith(UpdateServiceCommand, { service: 'checkout-next', taskDefinition: NEW_REVISION, desiredCount: 0 });
    expect(ecsMock).not.toHaveReceivedCommand(CreateServiceCommand);
  });

  it('refuses a deployment without a canary target group', async () => {
    // Prepare
    const rolling = { deployment: rollingDeployment(), snapshot: rollingSnapshot(), taskDefinitionArn: NEW_REVISION };

    // Act
    const result = handler(rolling, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ServiceNotReady', message: expect.stringContaining('canary target group') });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });
});
