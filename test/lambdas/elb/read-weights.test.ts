import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/elb/read-weights.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import {
  BLUE_TG,
  CHECKOUT_CANARY_TG,
  CHECKOUT_TG,
  GREEN_TG,
  LISTENER_ARN,
  LISTENER_RULE_ARN,
  TEST_LISTENER_ARN,
  blueGreenDeployment,
  canaryDeployment,
  rollingDeployment,
  stubDeployerEnv,
} from '../../support/lambda-fixtures.ts';
import { fakeListeners, forwardTo } from '../fake-aws.ts';

const elbMock = mockClient(ElasticLoadBalancingV2Client);

describe('ReadWeights', () => {
  beforeEach(() => {
    elbMock.reset();
    stubDeployerEnv();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  describe('canary (a listener)', () => {
    const deployment = canaryDeployment();

    it('reads the default action of the listener: all traffic on the primary', async () => {
      // Prepare
      fakeListeners(elbMock, { [LISTENER_ARN]: [{ Type: 'forward', TargetGroupArn: CHECKOUT_TG }] });

      // Act
      const result = await handler({ deployment }, lambdaContext());

      // Assess
      expect(result).toEqual({ listeners: { [LISTENER_ARN]: { [CHECKOUT_TG]: 1 } } });
      expect(elbMock).toHaveReceivedCommandWith(DescribeListenersCommand, { ListenerArns: [LISTENER_ARN] });
      expect(elbMock).not.toHaveReceivedCommand(DescribeRulesCommand);
    });

    it('accepts the canary target group left attached at weight 0', async () => {
      // Prepare
      fakeListeners(elbMock, { [LISTENER_ARN]: [forwardTo({ [CHECKOUT_TG]: 100, [CHECKOUT_CANARY_TG]: 0 })] });

      // Act
      const result = await handler({ deployment }, lambdaContext());

      // Assess
      expect(result.listeners[LISTENER_ARN]).toEqual({ [CHECKOUT_TG]: 100, [CHECKOUT_CANARY_TG]: 0 });
    });

    it('refuses to start while traffic is not all on the primary: an earlier deployment did not finish', async () => {
      // Prepare
      fakeListeners(elbMock, { [LISTENER_ARN]: [forwardTo({ [CHECKOUT_TG]: 90, [CHECKOUT_CANARY_TG]: 10 })] });

      // Act
      const result = handler({ deployment }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'ListenerNotReady',
        message:
          'the primary target group checkout has 90% of the traffic, not all of it: an earlier deployment did not finish; put all traffic on the primary, then deploy again',
      });
    });

    it('refuses a listener that does not forward', async () => {
      // Prepare
      fakeListeners(elbMock, { [LISTENER_ARN]: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }] });

      // Act
      const result = handler({ deployment }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'ListenerNotReady',
        message: `${LISTENER_ARN} has no forward action: the deployer shifts traffic by the weights of a forward action`,
      });
    });

    it('refuses a listener that does not exist, pointing at the config', async () => {
      // Prepare
      fakeListeners(elbMock, {});

      // Act
      const result = handler({ deployment }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'ListenerNotReady',
        message: `listener ${LISTENER_ARN} was not found; check loadBalancer.listener in the config`,
      });
    });
  });

  describe('blue-green (a listener rule and a test listener)', () => {
    const deployment = blueGreenDeployment();

    it.each([
      ['blue', { [BLUE_TG]: 100, [GREEN_TG]: 0 }, 'green'],
      ['green', { [BLUE_TG]: 0, [GREEN_TG]: 1 }, 'blue'],
      ['green', { [GREEN_TG]: 1 }, 'blue'],
    ] as const)('takes %s as live when it receives all the traffic (%j)', async (live, weights, idle) => {
      // Prepare
      fakeListeners(elbMock, {
        [LISTENER_RULE_ARN]: [forwardTo(weights)],
        [TEST_LISTENER_ARN]: [{ Type: 'forward', TargetGroupArn: idle === 'green' ? GREEN_TG : BLUE_TG }],
      });

      // Act
      const result = await handler({ deployment }, lambdaContext());

      // Assess
      expect(result).toEqual({
        listeners: { [LISTENER_RULE_ARN]: weights, [TEST_LISTENER_ARN]: { [idle === 'green' ? GREEN_TG : BLUE_TG]: 1 } },
        sides: { live, idle },
      });
      expect(elbMock).toHaveReceivedCommandWith(DescribeRulesCommand, { RuleArns: [LISTENER_RULE_ARN] });
      expect(elbMock).toHaveReceivedCommandWith(DescribeListenersCommand, { ListenerArns: [TEST_LISTENER_ARN] });
    });

    it('refuses traffic split between the colours: an earlier deployment did not finish', async () => {
      // Prepare
      fakeListeners(elbMock, {
        [LISTENER_RULE_ARN]: [forwardTo({ [BLUE_TG]: 90, [GREEN_TG]: 10 })],
        [TEST_LISTENER_ARN]: [forwardTo({ [GREEN_TG]: 1 })],
      });

      // Act
      const result = handler({ deployment }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'ListenerNotReady',
        message:
          'traffic is split between blue (90%) and green (10%): an earlier deployment did not finish; put all traffic on one colour, then deploy again',
      });
    });

    it('refuses a rule that also forwards to another target group', async () => {
      // Prepare
      const other = BLUE_TG.replace('/payments-blue/', '/payments-legacy/');
      fakeListeners(elbMock, {
        [LISTENER_RULE_ARN]: [forwardTo({ [BLUE_TG]: 50, [other]: 50 })],
        [TEST_LISTENER_ARN]: [forwardTo({ [GREEN_TG]: 1 })],
      });

      // Act
      const result = handler({ deployment }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({
        name: 'ListenerNotReady',
        message: 'the listener also forwards to payments-legacy: it must forward only to the blue and green target groups',
      });
    });

    it('refuses a rule that does not exist, pointing at the config', async () => {
      // Prepare
      fakeListeners(elbMock, { [TEST_LISTENER_ARN]: [forwardTo({ [GREEN_TG]: 1 })] });

      // Act
      const result = handler({ deployment }, lambdaContext());

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'ListenerNotReady', message: expect.stringMatching(/^listener rule .* was not found/) });
    });
  });

  it('refuses a deployment without a load balancer', async () => {
    // Prepare
    const deployment = rollingDeployment();

    // Act
    const result = handler({ deployment }, lambdaContext());

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ListenerNotReady', message: 'rolling deployments need a load balancer listener' });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });
});
