/**
 * The AWS/ApplicationELB metrics of the simulated traffic, one datapoint per
 * minute, published the way ALB publishes them
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
 * only for a minute in which there was something to count (no requests, no
 * RequestCount or TargetResponseTime datapoint; no 5xx, no
 * HTTPCode_Target_5XX_Count datapoint), for the dimension sets
 * `{LoadBalancer, TargetGroup}` and `{LoadBalancer}`.
 */
import type { Dimension } from '@aws-sdk/client-cloudwatch';
import { loadBalancerDimension, targetGroupDimension } from './arns.ts';
import type { Traffic } from './traffic.ts';

/** The namespace of ALB metrics. */
export const ALB_NAMESPACE = 'AWS/ApplicationELB';

/** The raw samples of one metric in one minute (statistics are computed over them), or undefined for no datapoint. */
export type MetricSamples = (namespace: string, metricName: string, dimensions: readonly Dimension[], minute: number) => number[] | undefined;

/** Which load balancers and target groups exist, for the dimension values. */
export interface AlbDirectory {
  loadBalancerArns(): string[];
  targetGroupArns(): string[];
}

function ones(count: number): number[] | undefined {
  return count > 0 ? new Array<number>(count).fill(1) : undefined;
}

/** The samples of the ALB metrics of `traffic`. */
export function albMetricSamples(traffic: Traffic, directory: AlbDirectory): MetricSamples {
  return (namespace, metricName, dimensions, minute) => {
    if (namespace !== ALB_NAMESPACE) return undefined;
    const names = dimensions.map((d) => d.Name ?? '').sort();
    const value = (name: string): string | undefined => dimensions.find((d) => d.Name === name)?.Value;
    const loadBalancer = directory.loadBalancerArns().find((arn) => loadBalancerDimension(arn) === value('LoadBalancer'));
    if (loadBalancer === undefined) return undefined;
    let groups: string[];
    if (names.join(',') === 'LoadBalancer,TargetGroup') {
      groups = directory.targetGroupArns().filter((arn) => targetGroupDimension(arn) === value('TargetGroup'));
    } else if (names.join(',') === 'LoadBalancer') groups = directory.targetGroupArns();
    else return undefined;
    const served = groups.map((group) => traffic.minute(group, loadBalancer, minute));
    const requests = served.reduce((sum, m) => sum + m.requests, 0);
    switch (metricName) {
      case 'RequestCount':
        return ones(requests);
      case 'HTTPCode_Target_5XX_Count':
        return ones(served.reduce((sum, m) => sum + m.errors, 0));
      case 'TargetResponseTime':
        return requests > 0 ? served.flatMap((m) => m.latencies) : undefined;
      default:
        return undefined;
    }
  };
}
