import { CreateServiceCommand, DeleteServiceCommand } from '@aws-sdk/client-ecs';
import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { ecs, elb, updateService } from './ecs-helpers.ts';
import {
  BLUE_TG,
  CANARY_TG,
  CHECKOUT_TG,
  GREEN_TG,
  installWorld,
  LISTENER,
  REGISTRY,
  RULE,
  TEST_LISTENER,
  type InstalledWorld,
} from './world-fixture.ts';

describe('world snapshot', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('lists every configured ECS service and every configured listener, rule and test listener with its weights', () => {
    // Prepare
    installed = installWorld({ desiredCount: 2 });
    const { world } = installed;
    const pinned = (repository: string, tag: string): string => `${REGISTRY}/${repository}@${world.ecr.digestOf(repository, tag)}`;

    // Act
    const snapshot = world.snapshot();

    // Assess
    expect(snapshot).toEqual({
      services: {
        'prod/web': { taskDefinition: 'web:7', image: pinned('web', 'v1.0.0'), desiredCount: 2 },
        'prod/orders-api': { taskDefinition: 'orders-api:7', image: pinned('team/orders-api', 'v1.0.0'), desiredCount: 2 },
        'prod/checkout': { taskDefinition: 'checkout:7', image: pinned('checkout', 'v1.0.0'), desiredCount: 2 },
        'prod/payments-blue': { taskDefinition: 'payments:7', image: pinned('payments', 'v1.0.0'), desiredCount: 2 },
        'prod/payments-green': { taskDefinition: 'payments:6', image: pinned('payments', 'v0.9.0'), desiredCount: 0 },
      },
      listeners: {
        [LISTENER]: { [CHECKOUT_TG]: 1 },
        [RULE]: { [BLUE_TG]: 1 },
        [TEST_LISTENER]: { [GREEN_TG]: 1 },
      },
    });
    expect(world.calls).toEqual([]);
  });

  it('shows a canary service while it exists and comes back to the initial snapshot as soon as it is deleted', async () => {
    // Prepare
    installed = installWorld();
    const { world, clock } = installed;
    const initial = world.snapshot();
    const weights = (primary: number, canary: number) => [
      { Type: 'forward' as const, ForwardConfig: { TargetGroups: [{ TargetGroupArn: CHECKOUT_TG, Weight: primary }, { TargetGroupArn: CANARY_TG, Weight: canary }] } },
    ];

    // Act
    await elb.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: weights(90, 10) }));
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'prod',
        serviceName: 'checkout-canary',
        taskDefinition: 'checkout:7',
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60001'] } },
        loadBalancers: [{ targetGroupArn: CANARY_TG, containerName: 'app', containerPort: 8080 }],
      }),
    );
    const during = world.snapshot();
    await updateService('checkout-canary', { desiredCount: 0 });
    const deleted = await ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'checkout-canary' }));
    await elb.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: [{ Type: 'forward', TargetGroupArn: CHECKOUT_TG }] }));
    const draining = world.snapshot();
    clock.advance(120);
    const after = world.snapshot();

    // Assess
    expect(during.services['prod/checkout-canary']).toEqual({ taskDefinition: 'checkout:7', image: initial.services['prod/checkout']?.image, desiredCount: 1 });
    expect(during.listeners[LISTENER]).toEqual({ [CHECKOUT_TG]: 90, [CANARY_TG]: 10 });
    expect(deleted.service?.status).toBe('DRAINING');
    expect(draining).toEqual(initial);
    expect(after).toEqual(initial);
  });
});
