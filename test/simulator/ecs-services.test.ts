import {
  CreateServiceCommand,
  DeleteServiceCommand,
  InvalidParameterException,
  ServiceNotActiveException,
  type CreateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { deploymentStates, describe as describeService, ecs, elb, targetStates, updateService } from './ecs-helpers.ts';
import { CANARY_TG, CHECKOUT_TG, GREEN_TG, installWorld, LISTENER, rejectionOf, testConfig, type InstalledWorld } from './world-fixture.ts';

const CANARY_ARN = 'arn:aws:ecs:us-east-1:123456789012:service/prod/checkout-canary';

/** CreateService of the canary the way the deployer creates it. */
function canary(overrides: Partial<CreateServiceCommandInput> = {}): CreateServiceCommand {
  return new CreateServiceCommand({
    cluster: 'prod',
    serviceName: 'checkout-canary',
    taskDefinition: 'checkout:7',
    desiredCount: 1,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60001'], securityGroups: ['sg-0a1b2c3d4e5f60003'] } },
    loadBalancers: [{ targetGroupArn: CANARY_TG, containerName: 'app', containerPort: 8080 }],
    healthCheckGracePeriodSeconds: 60,
    ...overrides,
  });
}

/** Forward to the canary target group with weight 0, so that it has a load balancer. */
async function attachCanaryGroup(): Promise<void> {
  await elb.send(
    new ModifyListenerCommand({
      ListenerArn: LISTENER,
      DefaultActions: [
        { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: CHECKOUT_TG, Weight: 100 }, { TargetGroupArn: CANARY_TG, Weight: 0 }] } },
      ],
    }),
  );
}

describe('simulated ECS services: create, scale, delete', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('describes the seeded services of each strategy with their load balancers, capacity and network', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const web = await describeService('web');
    const checkout = await describeService('checkout');
    const green = await describeService('payments-green');

    // Assess
    expect(web).toMatchObject({ loadBalancers: [], deploymentController: { type: 'ECS' }, launchType: 'FARGATE', platformVersion: 'LATEST' });
    expect(web?.healthCheckGracePeriodSeconds).toBeUndefined();
    expect(checkout).toMatchObject({
      desiredCount: 4,
      runningCount: 4,
      loadBalancers: [{ targetGroupArn: CHECKOUT_TG, containerName: 'app', containerPort: 8080 }],
      healthCheckGracePeriodSeconds: 60,
      networkConfiguration: { awsvpcConfiguration: { assignPublicIp: 'DISABLED' } },
    });
    expect(checkout?.deployments?.[0]).toMatchObject({ launchType: 'FARGATE', platformVersion: '1.4.0', rolloutState: 'COMPLETED' });
    expect(green).toMatchObject({ desiredCount: 0, runningCount: 0, taskDefinition: expect.stringMatching(/payments:6$/), loadBalancers: [{ targetGroupArn: GREEN_TG }] });
  });

  it('seeds services a deployer must refuse: CODE_DEPLOY or EXTERNAL controller, Classic Load Balancer', async () => {
    // Prepare
    installed = installWorld({
      services: {
        'prod/web': { deploymentController: 'CODE_DEPLOY' },
        'prod/orders-api': { deploymentController: 'EXTERNAL', classicLoadBalancer: 'legacy-elb' },
      },
    });

    // Act
    const web = await describeService('web');
    const orders = await describeService('orders-api');
    const refused = await rejectionOf(updateService('web', { taskDefinition: 'web:7', forceNewDeployment: true }));
    const scaled = await updateService('web', { desiredCount: 4 });

    // Assess
    expect(web?.deploymentController).toEqual({ type: 'CODE_DEPLOY' });
    expect(orders?.deploymentController).toEqual({ type: 'EXTERNAL' });
    expect(orders?.loadBalancers).toEqual([{ loadBalancerName: 'legacy-elb', containerName: 'api', containerPort: 8080 }]);
    expect(refused).toBeInstanceOf(InvalidParameterException);
    expect(refused.message).toContain('CODE_DEPLOY deployment controller');
    expect(scaled?.desiredCount).toBe(4);
  });

  it('scales a service up by starting tasks and down by draining targets for the deregistration delay', async () => {
    // Prepare
    installed = installWorld();
    const { clock } = installed;

    // Act
    const down = await updateService('checkout', { desiredCount: 2 });
    const draining = await targetStates(CHECKOUT_TG);
    clock.advance(29);
    const stillDraining = await targetStates(CHECKOUT_TG);
    clock.advance(1);
    const drained = await targetStates(CHECKOUT_TG);
    const stopping = await deploymentStates('checkout');
    clock.advance(10);
    const stopped = await deploymentStates('checkout');
    const up = await updateService('web', { desiredCount: 5 });
    clock.advance(40);
    const grown = await deploymentStates('web');

    // Assess
    expect(down?.deployments?.[0]).toMatchObject({ desiredCount: 2, runningCount: 4, rolloutState: 'COMPLETED' });
    expect(draining).toEqual({ healthy: 2, draining: 2 });
    expect(stillDraining).toEqual({ healthy: 2, draining: 2 });
    expect(drained).toEqual({ healthy: 2 });
    expect(stopping).toEqual([['PRIMARY', 'COMPLETED', 2, 0]]);
    expect(stopped).toEqual([['PRIMARY', 'COMPLETED', 2, 0]]);
    expect(up?.deployments?.[0]).toMatchObject({ pendingCount: 2, runningCount: 3 });
    expect(grown).toEqual([['PRIMARY', 'COMPLETED', 5, 0]]);
  });

  it('creates a service whose tasks register in its target group, and deletes it: DRAINING, then INACTIVE, then creatable again', async () => {
    // Prepare
    installed = installWorld();
    const { world, clock } = installed;
    await attachCanaryGroup();

    // Act
    const created = await ecs.send(canary());
    const registering = await targetStates(CANARY_TG);
    clock.advance(70);
    const ready = await deploymentStates('checkout-canary');
    const healthy = await targetStates(CANARY_TG);
    const scaledUp = await rejectionOf(ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'checkout-canary' })));
    const deleted = await ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'checkout-canary', force: true }));
    const whileDraining = await rejectionOf(ecs.send(canary()));
    const updateDraining = await rejectionOf(updateService('checkout-canary', { desiredCount: 1 }));
    clock.advance(40);
    const inactive = await describeService('checkout-canary');
    const recreated = await ecs.send(canary({ desiredCount: 0 }));

    // Assess
    expect(created.service).toMatchObject({ serviceArn: CANARY_ARN, status: 'ACTIVE', desiredCount: 1, pendingCount: 1, launchType: 'FARGATE' });
    expect(created.service?.deployments?.[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinition: expect.stringMatching(/checkout:7$/) });
    expect(registering).toEqual({});
    expect(ready).toEqual([['PRIMARY', 'COMPLETED', 1, 0]]);
    expect(healthy).toEqual({ healthy: 1 });
    expect(scaledUp).toBeInstanceOf(InvalidParameterException);
    expect(scaledUp.message).toBe('The service cannot be stopped while it is scaled above 0.');
    expect(deleted.service).toMatchObject({ status: 'DRAINING', desiredCount: 0 });
    expect(whileDraining.message).toBe('Unable to Start a service that is still Draining.');
    expect(updateDraining).toBeInstanceOf(ServiceNotActiveException);
    expect(inactive).toMatchObject({ status: 'INACTIVE', desiredCount: 0, runningCount: 0 });
    expect(recreated.service).toMatchObject({ status: 'ACTIVE', desiredCount: 0 });
    expect(world.calls.filter((c) => c.action === 'ecs:CreateService' || c.action === 'ecs:DeleteService').map((c) => c.resources)).toEqual(
      [[CANARY_ARN], [CANARY_ARN], [CANARY_ARN], [CANARY_ARN], [CANARY_ARN]],
    );
  });

  it('refuses CreateService as ECS does: duplicate name, target group without load balancer, bad capacity or container', async () => {
    // Prepare
    installed = installWorld({ config: testConfig({ canaryService: 'checkout-canary' }) });

    // Act
    const duplicate = await rejectionOf(ecs.send(canary()));
    const unattached = await rejectionOf(ecs.send(canary({ serviceName: 'other' })));
    await attachCanaryGroup();
    const both = await rejectionOf(ecs.send(canary({ serviceName: 'other', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] })));
    const ec2 = await rejectionOf(ecs.send(canary({ serviceName: 'other', launchType: undefined })));
    const container = await rejectionOf(
      ecs.send(canary({ serviceName: 'other', loadBalancers: [{ targetGroupArn: CANARY_TG, containerName: 'web', containerPort: 8080 }] })),
    );
    const port = await rejectionOf(
      ecs.send(canary({ serviceName: 'other', loadBalancers: [{ targetGroupArn: CANARY_TG, containerName: 'app', containerPort: 80 }] })),
    );
    const noGroup = await rejectionOf(
      ecs.send(canary({ serviceName: 'other', loadBalancers: [{ targetGroupArn: `${CANARY_TG}0`, containerName: 'app', containerPort: 8080 }] })),
    );
    const noNetwork = await rejectionOf(ecs.send(canary({ serviceName: 'other', networkConfiguration: undefined })));
    const noTaskDefinition = await rejectionOf(ecs.send(canary({ serviceName: 'other', taskDefinition: 'checkout:99' })));
    const spot = await ecs.send(canary({ serviceName: 'other', launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }));

    // Assess
    for (const error of [duplicate, unattached, both, ec2, container, port, noGroup, noNetwork, noTaskDefinition]) {
      expect(error).toBeInstanceOf(InvalidParameterException);
    }
    expect(duplicate.message).toBe('Creation of service was not idempotent.');
    expect(unattached.message).toBe(`The target group with targetGroupArn ${CANARY_TG} does not have an associated load balancer.`);
    expect(both.message).toContain('Specifying both a launch type and capacity provider strategy is not supported');
    expect(ec2.message).toBe('Task definition does not support launch_type EC2.');
    expect(container.message).toBe('The container web does not exist in the task definition.');
    expect(port.message).toBe('The container app did not have a container port 80 defined.');
    expect(noGroup.message).toContain('does not exist');
    expect(noNetwork.message).toBe("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    expect(noTaskDefinition.message).toBe('TaskDefinition not found.');
    expect(spot.service).toMatchObject({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] });
    expect(spot.service?.launchType).toBeUndefined();
  });
});
