/**
 * How the service's traffic is split now: the forward weights of the
 * listener's default action, or of the listener rule, the deployment sets
 * (canary and blue-green), as percentages labelled with the config's roles.
 */
import { DescribeListenersCommand, DescribeRulesCommand, type Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { asPercentages, forwardWeights } from '../../../lambdas/elb/forward-weights.ts';
import { isVmService, LISTENER_RULE_ARN, type ServiceConfig } from '../../../lambdas/shared/config.ts';
import { AwsFailure, awsRequest } from '../aws/aws-failure.ts';
import type { OperatorContext } from './operator-context.ts';

/** One target group's share of the traffic. */
export interface TrafficShare {
  targetGroupArn: string;
  /** Its role for the service (`primary checkout`, `blue payments-blue`...) or its name. */
  label: string;
  percent: number;
}

/** The split on a listener or rule, or why it could not be read (status still shows the rest). */
export type ListenerTraffic = { listenerArn: string; shares: TrafficShare[] } | { listenerArn: string; error: string };

/** The listener or rule whose weights the deployments of `svc` set; none for rolling. */
export function listenerOf(svc: ServiceConfig): string | undefined {
  if (isVmService(svc)) return svc.strategy === 'blue-green' ? svc.loadBalancer.listener : undefined;
  return svc.strategy === 'rolling' ? undefined : svc.loadBalancer.listener;
}

/** `{targetGroupArn: label}` for the target groups the config names. */
export function targetGroupLabels(svc: ServiceConfig): Record<string, string> {
  if (isVmService(svc)) {
    return svc.strategy === 'blue-green' ? { [svc.blue.targetGroup]: 'blue hosts', [svc.green.targetGroup]: 'green hosts' } : {};
  }
  switch (svc.strategy) {
    case 'rolling':
      return {};
    case 'canary':
      return {
        [svc.loadBalancer.targetGroup]: `primary ${svc.service}`,
        [svc.loadBalancer.canaryTargetGroup]: `canary ${svc.canaryService ?? `${svc.service}-canary`}`,
      };
    case 'blue-green':
      return { [svc.blue.targetGroup]: `blue ${svc.blue.service}`, [svc.green.targetGroup]: `green ${svc.green.service}` };
  }
}

/** `…:targetgroup/NAME/ID` -> `NAME`. */
function targetGroupName(arn: string): string {
  return /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

async function actionsOf(ctx: OperatorContext, arn: string): Promise<readonly Action[]> {
  const elb = ctx.clients.loadBalancing;
  if (LISTENER_RULE_ARN.test(arn) || arn.includes(':listener-rule/')) {
    const out = await awsRequest('elasticloadbalancing:DescribeRules', () => elb.send(new DescribeRulesCommand({ RuleArns: [arn] })));
    return out.Rules?.[0]?.Actions ?? [];
  }
  const out = await awsRequest('elasticloadbalancing:DescribeListeners', () => elb.send(new DescribeListenersCommand({ ListenerArns: [arn] })));
  return out.Listeners?.[0]?.DefaultActions ?? [];
}

/** Read the split on `listenerArn`; an AWS failure is reported in the result, not thrown. */
export async function readListenerTraffic(
  ctx: OperatorContext,
  listenerArn: string,
  labels: Record<string, string>,
): Promise<ListenerTraffic> {
  try {
    const percentages = asPercentages(forwardWeights(await actionsOf(ctx, listenerArn)));
    const shares = Object.entries(percentages).map(([targetGroupArn, percent]) => ({
      targetGroupArn,
      label: labels[targetGroupArn] ?? targetGroupName(targetGroupArn),
      percent,
    }));
    if (shares.length === 0) return { listenerArn, error: 'it has no forward action' };
    return { listenerArn, shares };
  } catch (error) {
    if (error instanceof AwsFailure) return { listenerArn, error: error.message };
    throw error;
  }
}
