import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  InvalidLoadBalancerActionException,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  TargetGroupNotFoundException,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { elb, registerRevision, targetHealth, updateService } from './ecs-helpers.ts';
import {
  ALB_ARN,
  BLUE_TG,
  CANARY_TG,
  CHECKOUT_TG,
  GREEN_TG,
  installWorld,
  LISTENER,
  paymentsImage,
  rejectionOf,
  RULE,
  TEST_LISTENER,
  testConfig,
  type InstalledWorld,
} from './world-fixture.ts';

const forward = (...groups: Array<[string, number]>): Action[] => [
  { Type: 'forward', ForwardConfig: { TargetGroups: groups.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) } },
];

async function listenerActions(arn: string): Promise<Action[]> {
  return (await elb.send(new DescribeListenersCommand({ ListenerArns: [arn] }))).Listeners?.[0]?.DefaultActions ?? [];
}

describe('simulated ELBv2', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('seeds the listeners, rules and target groups the config names, forward actions described the way AWS returns them', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const { Listeners } = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: ALB_ARN }));
    const { Rules } = await elb.send(new DescribeRulesCommand({ ListenerArn: LISTENER }));
    const { TargetGroups } = await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [CHECKOUT_TG, CANARY_TG] }));
    const { Attributes } = await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: CHECKOUT_TG }));

    // Assess
    expect(Listeners?.map((l) => [l.ListenerArn, l.Port, l.Protocol])).toEqual([
      [LISTENER, 443, 'HTTPS'],
      [TEST_LISTENER, 8443, 'HTTPS'],
    ]);
    expect(Listeners?.[0]?.DefaultActions).toEqual([
      {
        Type: 'forward',
        TargetGroupArn: CHECKOUT_TG,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: CHECKOUT_TG, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
      },
    ]);
    expect(Rules?.map((r) => [r.RuleArn === RULE, r.Priority, r.IsDefault])).toEqual([
      [true, '10', false],
      [false, 'default', true],
    ]);
    expect(Rules?.[0]?.Conditions?.map((c) => [c.Field, c.Values])).toEqual([
      ['host-header', ['payments.example.com']],
      ['path-pattern', ['/payments/*']],
    ]);
    expect(Rules?.[0]?.Actions?.[0]).toMatchObject({ Type: 'forward', TargetGroupArn: BLUE_TG });
    expect(TargetGroups?.map((g) => [g.TargetGroupName, g.TargetType, g.Port, g.HealthCheckPath, g.LoadBalancerArns])).toEqual([
      ['checkout', 'ip', 8080, '/health', [ALB_ARN]],
      ['checkout-canary', 'ip', 8080, '/health', []],
    ]);
    expect(TargetGroups?.[0]).toMatchObject({ HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 3, UnhealthyThresholdCount: 2 });
    expect(Attributes).toEqual(
      expect.arrayContaining([
        { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
        { Key: 'stickiness.enabled', Value: 'false' },
      ]),
    );
  });

  it('answers fixed-response 404 by default on a listener that only hosts the configured rule', async () => {
    // Prepare
    installed = installWorld({ config: testConfig({ only: ['payments'] }) });

    // Act
    const actions = await listenerActions(LISTENER);

    // Assess
    expect(actions).toEqual([
      { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } },
    ]);
    expect(installed.world.snapshot().listeners).toEqual({ [RULE]: { [BLUE_TG]: 1 }, [TEST_LISTENER]: { [GREEN_TG]: 1 } });
  });

  it('reads weights back after ModifyListener and ModifyRule, and records them on the listener and rule ARNs', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;

    // Act
    const modified = await elb.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions: forward([CHECKOUT_TG, 90], [CANARY_TG, 10]) }));
    await elb.send(new ModifyRuleCommand({ RuleArn: RULE, Actions: forward([BLUE_TG, 0], [GREEN_TG, 100]) }));
    const rule = (await elb.send(new DescribeRulesCommand({ RuleArns: [RULE] }))).Rules?.[0];
    const { TargetGroups } = await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [CANARY_TG] }));

    // Assess
    expect(modified.Listeners?.[0]?.DefaultActions).toEqual([
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: CHECKOUT_TG, Weight: 90 },
            { TargetGroupArn: CANARY_TG, Weight: 10 },
          ],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ]);
    expect(rule?.Actions?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: BLUE_TG, Weight: 0 },
      { TargetGroupArn: GREEN_TG, Weight: 100 },
    ]);
    expect(TargetGroups?.[0]?.LoadBalancerArns).toEqual([ALB_ARN]);
    expect(world.snapshot().listeners).toEqual({
      [LISTENER]: { [CHECKOUT_TG]: 90, [CANARY_TG]: 10 },
      [RULE]: { [BLUE_TG]: 0, [GREEN_TG]: 100 },
      [TEST_LISTENER]: { [GREEN_TG]: 1 },
    });
    expect(world.calls.map((c) => [c.action, c.resources])).toEqual([
      ['elasticloadbalancing:ModifyListener', [LISTENER]],
      ['elasticloadbalancing:ModifyRule', [RULE]],
      ['elasticloadbalancing:DescribeRules', ['*']],
      ['elasticloadbalancing:DescribeTargetGroups', ['*']],
    ]);
  });

  it('refuses modifications AWS refuses, and leaves the weights as they were', async () => {
    // Prepare
    installed = installWorld();
    const before = installed.world.snapshot();
    const modify = (DefaultActions: Action[]) => rejectionOf(elb.send(new ModifyListenerCommand({ ListenerArn: LISTENER, DefaultActions })));

    // Act
    const tooHeavy = await modify(forward([CHECKOUT_TG, 1000], [CANARY_TG, 1]));
    const negative = await modify(forward([CHECKOUT_TG, -1], [CANARY_TG, 1]));
    const twice = await modify(forward([CHECKOUT_TG, 50], [CHECKOUT_TG, 50]));
    const unknown = await modify(forward([CHECKOUT_TG, 50], [`${CANARY_TG}0`, 50]));
    const allZero = await modify(forward([CHECKOUT_TG, 0], [CANARY_TG, 0]));
    const six = await modify(forward([CHECKOUT_TG, 1], [CANARY_TG, 1], [BLUE_TG, 1], [GREEN_TG, 1], [`${CHECKOUT_TG}`.replace('checkout/', 'x/'), 1], ['y', 1]));
    const mismatch = await modify([{ Type: 'forward', TargetGroupArn: CHECKOUT_TG, ForwardConfig: { TargetGroups: [{ TargetGroupArn: CANARY_TG, Weight: 1 }] } }]);
    const noRouting = await modify([{ Type: 'authenticate-oidc', Order: 1 }]);
    const noListener = await rejectionOf(elb.send(new ModifyListenerCommand({ ListenerArn: `${LISTENER}0`, DefaultActions: forward([CHECKOUT_TG, 1]) })));
    const listenerAsRule = await rejectionOf(elb.send(new ModifyRuleCommand({ RuleArn: LISTENER, Actions: forward([CHECKOUT_TG, 1]) })));

    // Assess
    expect(tooHeavy).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect(tooHeavy.message).toContain('Member must have value less than or equal to 999');
    expect(negative.message).toContain('greater than or equal to 0');
    expect(twice.name).toBe('ValidationError');
    expect(unknown).toBeInstanceOf(TargetGroupNotFoundException);
    expect(allZero.name).toBe('ValidationError');
    expect(six.message).toContain('more than 5 target groups');
    expect(mismatch.name).toBe('ValidationError');
    expect(noRouting).toBeInstanceOf(InvalidLoadBalancerActionException);
    expect(noListener).toBeInstanceOf(ListenerNotFoundException);
    expect(listenerAsRule.name).toBe('RuleNotFoundException');
    expect(installed.world.snapshot()).toEqual(before);
  });

  it('reports target health transitions: initial, healthy, draining; unhealthy for a bad image; unused out of a listener', async () => {
    // Prepare: payments-green scaled up on an image that fails its checks, then on a good one.
    installed = installWorld();
    const { world, clock } = installed;
    world.markImageUnhealthy(paymentsImage('v6.6.6'));
    const bad = await registerRevision('payments', paymentsImage('v6.6.6'));
    const states = async (group: string) => (await targetHealth(group)).map((t) => [t.TargetHealth?.State, t.TargetHealth?.Reason]);

    // Act
    await updateService('payments-green', { taskDefinition: bad, desiredCount: 1 });
    clock.advance(45);
    const registering = await states(GREEN_TG);
    clock.advance(10);
    const checking = await states(GREEN_TG);
    clock.advance(10);
    const unhealthy = await states(GREEN_TG);
    clock.advance(35);
    const stopped = await states(GREEN_TG);
    await updateService('payments-green', { taskDefinition: 'payments:6', desiredCount: 1 });
    clock.advance(200);
    const healthy = await states(GREEN_TG);
    await elb.send(new ModifyListenerCommand({ ListenerArn: TEST_LISTENER, DefaultActions: forward([BLUE_TG, 1]) }));
    const unused = await states(GREEN_TG);
    await updateService('payments-green', { desiredCount: 0 });
    const draining = await states(GREEN_TG);
    const asked = await elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: GREEN_TG, Targets: [{ Id: '10.9.9.9', Port: 8080 }] }),
    );

    // Assess
    expect(registering).toEqual([['initial', 'Elb.RegistrationInProgress']]);
    expect(checking).toEqual([['initial', 'Elb.InitialHealthChecking']]);
    expect(unhealthy).toEqual([['unhealthy', 'Target.ResponseCodeMismatch']]);
    expect(stopped[0]).toEqual(['draining', 'Target.DeregistrationInProgress']);
    expect(healthy).toEqual([['healthy', undefined]]);
    expect(unused).toEqual([['unused', 'Target.NotInUse']]);
    expect(draining).toEqual([['draining', 'Target.DeregistrationInProgress']]);
    expect(asked.TargetHealthDescriptions?.[0]?.TargetHealth).toEqual({
      State: 'unused',
      Reason: 'Target.NotRegistered',
      Description: 'Target is not registered to the target group',
    });
  });
});
