/**
 * Small stateful fakes over aws-sdk-client-mock for the handlers that read
 * back what they wrote (listener weights) or read time series (ALB metrics):
 * the mocks answer from one in-memory state, so a test describes the world,
 * not each call.
 */
import {
  GetMetricDataCommand,
  type CloudWatchClientResolvedConfig,
  type GetMetricDataCommandInput,
  type ServiceInputTypes as CloudWatchInput,
  type ServiceOutputTypes as CloudWatchOutput,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type ElasticLoadBalancingV2ClientResolvedConfig,
  type ServiceInputTypes as ElbInput,
  type ServiceOutputTypes as ElbOutput,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { Weights } from '../../lambdas/shared/deployment.ts';

type ElbMock = AwsStub<ElbInput, ElbOutput, ElasticLoadBalancingV2ClientResolvedConfig>;
type CloudWatchMock = AwsStub<CloudWatchInput, CloudWatchOutput, CloudWatchClientResolvedConfig>;

/** A forward action with these weights (as ELB describes one set by weights). */
export function forwardTo(weights: Weights, extra: Partial<Action> = {}): Action {
  return {
    Type: 'forward',
    ForwardConfig: { TargetGroups: Object.entries(weights).map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) },
    ...extra,
  };
}

/**
 * Listeners and rules by ARN with their actions. Describe* answers what
 * Modify* last wrote, unless `ignoreWrites` (a listener whose change does
 * not stick). Returns the live map.
 */
export function fakeListeners(
  elbMock: ElbMock,
  initial: Record<string, Action[]>,
  options: { ignoreWrites?: boolean } = {},
): Map<string, Action[]> {
  const actions = new Map(Object.entries(structuredClone(initial)));
  const current = (arn: string) => structuredClone(actions.get(arn));
  elbMock.on(DescribeListenersCommand).callsFake((input: { ListenerArns?: string[] }) => ({
    Listeners: (input.ListenerArns ?? []).filter((arn) => actions.has(arn)).map((arn) => ({ ListenerArn: arn, DefaultActions: current(arn) })),
  }));
  elbMock.on(DescribeRulesCommand).callsFake((input: { RuleArns?: string[] }) => ({
    Rules: (input.RuleArns ?? []).filter((arn) => actions.has(arn)).map((arn) => ({ RuleArn: arn, Actions: current(arn) })),
  }));
  elbMock.on(ModifyListenerCommand).callsFake((input: { ListenerArn: string; DefaultActions: Action[] }) => {
    if (options.ignoreWrites !== true) actions.set(input.ListenerArn, structuredClone(input.DefaultActions));
    return { Listeners: [{ ListenerArn: input.ListenerArn, DefaultActions: current(input.ListenerArn) }] };
  });
  elbMock.on(ModifyRuleCommand).callsFake((input: { RuleArn: string; Actions: Action[] }) => {
    if (options.ignoreWrites !== true) actions.set(input.RuleArn, structuredClone(input.Actions));
    return { Rules: [{ RuleArn: input.RuleArn, Actions: current(input.RuleArn) }] };
  });
  return actions;
}

/** Target health by target group; a group not listed has no target. */
export function targetsAre(elbMock: ElbMock, byGroup: Record<string, TargetHealthStateEnum[]>): void {
  elbMock.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => ({
    TargetHealthDescriptions: (byGroup[input.TargetGroupArn] ?? []).map((State, i) => ({
      Target: { Id: `10.0.${i}.1`, Port: 8080 },
      TargetHealth: { State },
    })),
  }));
}

/** One minute of a target group's ALB metrics. */
export interface Minute {
  /** Epoch ms of the start of the minute. */
  at: number;
  requests: number;
  errors?: number;
  /** TargetConnectionErrorCount: connections to the targets that failed (no datapoint when absent). */
  connectionErrors?: number;
  /** p99 of TargetResponseTime, seconds. */
  p99?: number;
}

/**
 * CloudWatch's GetMetricData over ALB per-minute datapoints, by target group
 * ARN: answers each query of the TargetGroup dimension with the minutes in
 * [StartTime, EndTime). A minute without requests has no datapoint, as ALB
 * publishes none.
 */
export function fakeAlbMetrics(cloudwatchMock: CloudWatchMock, byGroup: Record<string, Minute[]>): void {
  cloudwatchMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const start = input.StartTime?.getTime() ?? 0;
    const end = input.EndTime?.getTime() ?? 0;
    return {
      MetricDataResults: (input.MetricDataQueries ?? []).map((query) => {
        const dimensions = query.MetricStat?.Metric?.Dimensions ?? [];
        const dimension = dimensions.find((d) => d.Name === 'TargetGroup')?.Value ?? '';
        const arn = Object.keys(byGroup).find((a) => a.endsWith(`:${dimension}`));
        const minutes = (arn === undefined ? [] : (byGroup[arn] ?? [])).filter((m) => m.at >= start && m.at < end && m.requests > 0);
        const value = (m: Minute): number | undefined =>
          query.Id === 'requests'
            ? m.requests
            : query.Id === 'errors'
              ? (m.errors ?? 0)
              : query.Id === 'connectionErrors'
                ? m.connectionErrors
                : m.p99;
        const points = minutes.filter((m) => value(m) !== undefined);
        return {
          Id: query.Id,
          Label: query.MetricStat?.Metric?.MetricName,
          Timestamps: points.map((m) => new Date(m.at)),
          Values: points.map((m) => value(m)!),
          StatusCode: 'Complete',
        };
      }),
    };
  });
}

/** `count` minutes from `from`, each with `requests`, `errors` and `p99`. */
export function minutes(from: number, count: number, each: Omit<Minute, 'at'>): Minute[] {
  return Array.from({ length: count }, (_, i) => ({ at: from + i * 60_000, ...each }));
}
