/**
 * What a target group served, from the ALB's CloudWatch metrics
 * (`AWS/ApplicationELB`, per TargetGroup and LoadBalancer): requests, 5xx
 * answers of its targets and connections to them that failed (the load
 * balancer answers those 502/504 itself, and RequestCount leaves them out),
 * and p99 response time. ALB publishes one datapoint a minute, and none for
 * a minute without requests. Only complete minutes are read; the last one
 * may still be partly published, which only lowers the counts (a rate stays
 * a rate).
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { awsCall } from './aws-call.ts';
import { lazyClient } from './clients.ts';

const cloudwatch = lazyClient(() => new CloudWatchClient({}));

const MINUTE = 60_000;

/** Figures of one target group over a window of complete minutes. */
export interface Figures {
  /** Requests answered by the targets, plus connections to them that failed. */
  requests: number;
  /** 5xx answers of the targets, plus failed connections. */
  errors: number;
  /** errors / requests (0 without requests). */
  errorRate: number;
  /** p99 of TargetResponseTime in seconds, request-weighted over the minutes; absent without requests. */
  p99?: number;
  /** Epoch ms of the window (whole minutes). */
  from: number;
  to: number;
}

/** `arn:...:listener/app/prod-alb/50dc.../f2f7...` (or a rule ARN) -> `app/prod-alb/50dc...`. */
export function loadBalancerDimension(listenerArn: string): string {
  const match = /:listener(?:-rule)?\/(app\/[^/]+\/[^/]+)\//.exec(listenerArn);
  if (match?.[1] === undefined) throw new Error(`${listenerArn} is not an ALB listener or rule ARN`);
  return match[1];
}

/** `arn:...:targetgroup/checkout/73e2...` -> `targetgroup/checkout/73e2...`. */
export function targetGroupDimension(targetGroupArn: string): string {
  const index = targetGroupArn.indexOf(':targetgroup/');
  if (index < 0) throw new Error(`${targetGroupArn} is not a target group ARN`);
  return targetGroupArn.slice(index + 1);
}

/** Start of the minute containing `ms`. */
export function minuteFloor(ms: number): number {
  return Math.floor(ms / MINUTE) * MINUTE;
}

/** Start of the first minute that begins at or after `ms`. */
export function minuteCeil(ms: number): number {
  return Math.ceil(ms / MINUTE) * MINUTE;
}

function query(id: string, metric: string, stat: string, dimensions: { Name: string; Value: string }[]): MetricDataQuery {
  return {
    Id: id,
    MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metric, Dimensions: dimensions }, Period: 60, Stat: stat },
    ReturnData: true,
  };
}

/**
 * Figures of `targetGroupArn` from `from` to `to` (epoch ms, rounded to whole
 * minutes: `from` down, `to` down to the last complete minute).
 */
export async function targetGroupFigures(
  loadBalancer: string,
  targetGroupArn: string,
  from: number,
  to: number,
): Promise<Figures> {
  const start = minuteFloor(from);
  const end = minuteFloor(to);
  const empty: Figures = { requests: 0, errors: 0, errorRate: 0, from: start, to: Math.max(start, end) };
  if (end <= start) return empty;
  const dimensions = [
    { Name: 'TargetGroup', Value: targetGroupDimension(targetGroupArn) },
    { Name: 'LoadBalancer', Value: loadBalancer },
  ];
  const series = new Map<string, Map<number, number>>();
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await awsCall('cloudwatch:GetMetricData', () =>
      cloudwatch().send(
        new GetMetricDataCommand({
          MetricDataQueries: [
            query('requests', 'RequestCount', 'Sum', dimensions),
            query('errors', 'HTTPCode_Target_5XX_Count', 'Sum', dimensions),
            query('connectionErrors', 'TargetConnectionErrorCount', 'Sum', dimensions),
            query('p99', 'TargetResponseTime', 'p99', dimensions),
          ],
          StartTime: new Date(start),
          EndTime: new Date(end),
          ScanBy: 'TimestampAscending',
          NextToken: token,
        }),
      ),
    );
    for (const result of page.MetricDataResults ?? []) {
      const values = series.get(result.Id ?? '') ?? new Map<number, number>();
      (result.Timestamps ?? []).forEach((t, i) => values.set(t.getTime(), result.Values?.[i] ?? 0));
      series.set(result.Id ?? '', values);
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  const requests = series.get('requests') ?? new Map<number, number>();
  const errors = series.get('errors') ?? new Map<number, number>();
  const p99s = series.get('p99') ?? new Map<number, number>();
  const refused = [...(series.get('connectionErrors') ?? new Map<number, number>()).values()].reduce((sum, v) => sum + v, 0);
  const total = [...requests.values()].reduce((sum, v) => sum + v, 0) + refused;
  const failed = [...errors.values()].reduce((sum, v) => sum + v, 0) + refused;
  const figures: Figures = { requests: total, errors: failed, errorRate: total === 0 ? 0 : failed / total, from: start, to: end };
  let weighted = 0;
  let weight = 0;
  for (const [t, p99] of p99s) {
    const n = requests.get(t) ?? 0;
    weighted += p99 * n;
    weight += n;
  }
  if (weight > 0) figures.p99 = weighted / weight;
  return figures;
}
