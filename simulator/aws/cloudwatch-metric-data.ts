/**
 * GetMetricData over per-minute metric samples, as CloudWatch answers it
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html):
 * StartTime rounded down to the minute, EndTime exclusive, one datapoint per
 * Period (a multiple of 60 s) starting at StartTime, aggregated over the
 * samples of the minutes in it (sums add, averages and percentiles over all
 * samples); a minute counts only once it is complete; a period without any
 * sample has no datapoint. Metric math (`Expression`) is not simulated.
 */
import {
  CloudWatchServiceException,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { MetricSamples } from './alb-metrics.ts';
import { SimulationNotImplemented, unmodeledError } from './sdk-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

const MINUTE_MS = 60_000;
const MAX_QUERIES = 500;
const ID = /^[a-z][A-Za-z0-9_]{0,254}$/;
const PERCENTILE = /^p(\d{1,2}(?:\.\d+)?|100)$/;
const STATISTICS = new Set(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']);

function validation(message: string): Error {
  return unmodeledError(CloudWatchServiceException, { name: 'ValidationError', message });
}

/** The value of statistic `stat` over `samples` (not empty). */
export function statistic(stat: string, samples: readonly number[]): number {
  switch (stat) {
    case 'SampleCount':
      return samples.length;
    case 'Sum':
      return samples.reduce((sum, v) => sum + v, 0);
    case 'Average':
      return samples.reduce((sum, v) => sum + v, 0) / samples.length;
    case 'Minimum':
      return Math.min(...samples);
    case 'Maximum':
      return Math.max(...samples);
    default: {
      const sorted = [...samples].sort((a, b) => a - b);
      const rank = Math.ceil((Number(stat.slice(1)) / 100) * sorted.length);
      return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0;
    }
  }
}

function validateQuery(query: MetricDataQuery, index: number): void {
  const member = `MetricDataQueries.member.${index + 1}`;
  if (!ID.test(query.Id ?? '')) throw validation(`The value ${query.Id ?? 'null'} for parameter ${member}.Id is not valid.`);
  if ((query.MetricStat === undefined) === (query.Expression === undefined)) {
    throw validation(`Exactly one element of the MetricStat and Expression parameters must be set for ${member}.`);
  }
  if (query.Expression !== undefined) throw new SimulationNotImplemented('the simulated CloudWatch does not evaluate metric math expressions');
  const stat = query.MetricStat?.Stat ?? '';
  if (!STATISTICS.has(stat) && !PERCENTILE.test(stat)) {
    throw validation(`The value ${stat} for parameter ${member}.MetricStat.Stat is not valid.`);
  }
  const period = query.MetricStat?.Period ?? 0;
  if (!Number.isInteger(period) || period < 60 || period % 60 !== 0) {
    throw validation(`The parameter ${member}.MetricStat.Period must be a multiple of 60.`);
  }
  if (query.MetricStat?.Metric?.Namespace === undefined || query.MetricStat.Metric.MetricName === undefined) {
    throw validation(`The parameters ${member}.MetricStat.Metric.Namespace and MetricName are required.`);
  }
}

function answer(query: MetricDataQuery, start: number, end: number, now: number, samples: MetricSamples): MetricDataResult {
  const stat = query.MetricStat?.Stat ?? '';
  const metric = query.MetricStat?.Metric;
  const periodMs = (query.MetricStat?.Period ?? 60) * 1000;
  const timestamps: Date[] = [];
  const values: number[] = [];
  for (let bucket = start; bucket < end; bucket += periodMs) {
    const collected: number[] = [];
    for (let minute = bucket; minute < Math.min(bucket + periodMs, end); minute += MINUTE_MS) {
      if (minute + MINUTE_MS > now) break;
      const found = samples(metric?.Namespace ?? '', metric?.MetricName ?? '', metric?.Dimensions ?? [], minute);
      if (found !== undefined) collected.push(...found);
    }
    if (collected.length === 0) continue;
    timestamps.push(new Date(bucket));
    values.push(statistic(stat, collected));
  }
  return { Id: query.Id, Label: query.Label ?? metric?.MetricName, Timestamps: timestamps, Values: values, StatusCode: 'Complete', Messages: [] };
}

/** Validate and answer a GetMetricData request at `now` from `samples`. */
export function getMetricData(input: GetMetricDataCommandInput, now: number, samples: MetricSamples): Output<GetMetricDataCommandOutput> {
  const queries = input.MetricDataQueries ?? [];
  if (queries.length === 0) throw validation('The parameter MetricDataQueries is required and must not be empty.');
  if (queries.length > MAX_QUERIES) throw validation(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}.`);
  queries.forEach(validateQuery);
  if (new Set(queries.map((q) => q.Id)).size !== queries.length) {
    throw validation('The values for parameter id in MetricDataQueries are not unique.');
  }
  if (input.StartTime === undefined || input.EndTime === undefined) throw validation('The parameters StartTime and EndTime are required.');
  const start = Math.floor(input.StartTime.getTime() / MINUTE_MS) * MINUTE_MS;
  const end = input.EndTime.getTime();
  if (input.StartTime.getTime() >= end) throw validation('The parameter StartTime must be less than the parameter EndTime.');
  const results = queries
    .filter((q) => q.ReturnData !== false)
    .map((q) => answer(q, start, end, now, samples));
  if (input.ScanBy !== 'TimestampAscending') {
    for (const result of results) {
      result.Timestamps?.reverse();
      result.Values?.reverse();
    }
  }
  return { MetricDataResults: results, Messages: [] };
}
