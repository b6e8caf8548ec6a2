/**
 * The ELBv2 client and the reads and writes of forward actions: a
 * listener's default actions, or a listener rule's actions.
 */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsCall } from '../shared/aws-call.ts';
import { lazyClient } from '../shared/clients.ts';
import { ListenerNotReady } from '../shared/errors.ts';

export const elb = lazyClient(() => new ElasticLoadBalancingV2Client({}));

/**
 * True for a listener rule ARN (else a listener ARN). The config has checked
 * the whole ARN already; its resource type is what tells them apart.
 */
export function isRule(arn: string): boolean {
  return arn.includes(':listener-rule/');
}

/** The actions that forward traffic for `arn`: a listener's default actions or a rule's actions. */
export async function readActions(arn: string): Promise<Action[]> {
  if (isRule(arn)) {
    const result = await awsCall('elasticloadbalancing:DescribeRules', () =>
      elb().send(new DescribeRulesCommand({ RuleArns: [arn] })),
    );
    const rule = result.Rules?.[0];
    if (rule === undefined) throw new ListenerNotReady(`listener rule ${arn} was not found; check loadBalancer.listener in the config`);
    return rule.Actions ?? [];
  }
  const result = await awsCall('elasticloadbalancing:DescribeListeners', () =>
    elb().send(new DescribeListenersCommand({ ListenerArns: [arn] })),
  );
  const listener = result.Listeners?.[0];
  if (listener === undefined) throw new ListenerNotReady(`listener ${arn} was not found; check loadBalancer.listener in the config`);
  return listener.DefaultActions ?? [];
}

/** Replace the actions of `arn` (a listener's default actions or a rule's actions). */
export async function writeActions(arn: string, actions: Action[]): Promise<void> {
  if (isRule(arn)) {
    await awsCall('elasticloadbalancing:ModifyRule', () => elb().send(new ModifyRuleCommand({ RuleArn: arn, Actions: actions })));
    return;
  }
  await awsCall('elasticloadbalancing:ModifyListener', () =>
    elb().send(new ModifyListenerCommand({ ListenerArn: arn, DefaultActions: actions })),
  );
}

/** The targets of a target group with their health. */
export async function targetHealth(targetGroupArn: string): Promise<TargetHealthDescription[]> {
  const result = await awsCall('elasticloadbalancing:DescribeTargetHealth', () =>
    elb().send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
  );
  return result.TargetHealthDescriptions ?? [];
}
