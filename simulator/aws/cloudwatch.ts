/**
 * Simulated CloudWatch: alarms and metric data. Every alarm the config names
 * exists and reads OK unless a test forces its state or ties it to the new
 * revision serving (a bad release that starts fine but raises the 5xx
 * rate). GetMetricData answers from the metric samples the world plugs in
 * (the load balancer's traffic; see `cloudwatch-metric-data.ts`).
 */
import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  InvalidParameterValueException,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type GetMetricDataCommandInput,
  type MetricAlarm,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { refuseUnimplemented, serve, type ApiEnvironment, type SimulatedApi } from './api-call.ts';
import type { MetricSamples } from './alb-metrics.ts';
import { alarmArn } from './arns.ts';
import { getMetricData } from './cloudwatch-metric-data.ts';
import { modeledError } from './sdk-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

interface AlarmReading {
  state: StateValue;
  reason: string;
}

interface SimAlarm {
  name: string;
  arn: string;
  /** A state set by the test; wins over the rule. */
  forced?: AlarmReading;
  /** ALARM while this holds. */
  rule?: () => boolean;
  /** The last state read, and since when, for StateUpdatedTimestamp. */
  last: AlarmReading & { at: number };
}

const THRESHOLD = 5;

function ruleReading(breaching: boolean): AlarmReading {
  return breaching
    ? {
        state: 'ALARM',
        reason: `Threshold Crossed: 1 out of the last 1 datapoints [42.0] was greater than the threshold (${THRESHOLD}.0).`,
      }
    : {
        state: 'OK',
        reason: `Threshold Crossed: 1 out of the last 1 datapoints [0.0] was not greater than the threshold (${THRESHOLD}.0).`,
      };
}

/** The simulated CloudWatch alarms of the world's account and region. */
export class SimCloudWatch implements SimulatedApi {
  /** Where GetMetricData reads its per-minute samples (the world plugs in the load balancer's metrics). */
  public samples: MetricSamples = () => undefined;
  /** Called before GetMetricData reads samples, to bring what they come from up to date. */
  public beforeMetricRead: () => void = () => undefined;
  private readonly alarms = new Map<string, SimAlarm>();

  public constructor(
    private readonly env: ApiEnvironment,
    alarmNames: Iterable<string>,
  ) {
    for (const name of alarmNames) this.createAlarm(name);
  }

  /** Create an alarm in state OK (the world creates every configured one). */
  public createAlarm(name: string): void {
    if (this.alarms.has(name)) return;
    this.alarms.set(name, { name, arn: alarmArn(this.env, name), last: { ...ruleReading(false), at: this.env.now() } });
  }

  /** Whether the alarm exists. */
  public has(name: string): boolean {
    return this.alarms.has(name);
  }

  /** Force an alarm's state (until `clearAlarmState`). */
  public setAlarmState(name: string, state: StateValue, reason = `Set by the simulation: ${state}`): void {
    this.alarmOrThrow(name).forced = { state, reason };
  }

  /** Let the alarm follow its rule (or OK) again. */
  public clearAlarmState(name: string): void {
    delete this.alarmOrThrow(name).forced;
  }

  /** Make the alarm read ALARM whenever `breaching()` holds. */
  public setRule(name: string, breaching: () => boolean): void {
    this.alarmOrThrow(name).rule = breaching;
  }

  /** The alarm's state now. */
  public stateOf(name: string): StateValue {
    return this.read(this.alarmOrThrow(name)).state;
  }

  /** Install the CloudWatchClient mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(CloudWatchClient);
    refuseUnimplemented(stub, this.env, 'cloudwatch', 'CloudWatch');
    stub.on(DescribeAlarmsCommand).callsFake(
      serve(this.env, CloudWatchServiceException, {
        action: 'cloudwatch:DescribeAlarms',
        authorize: (input: DescribeAlarmsCommandInput) => [
          {
            action: 'cloudwatch:DescribeAlarms',
            resources:
              input.AlarmNames === undefined || input.AlarmNames.length === 0
                ? ['*']
                : input.AlarmNames.map((name) => alarmArn(this.env, name)),
          },
        ],
        run: (input: DescribeAlarmsCommandInput) => this.describeAlarms(input),
      }),
    );
    stub.on(GetMetricDataCommand).callsFake(
      serve(this.env, CloudWatchServiceException, {
        action: 'cloudwatch:GetMetricData',
        authorize: () => [{ action: 'cloudwatch:GetMetricData', resources: ['*'] }],
        run: (input: GetMetricDataCommandInput) => {
          this.beforeMetricRead();
          return getMetricData(input, this.env.now(), this.samples);
        },
      }),
    );
    return () => stub.restore();
  }

  private alarmOrThrow(name: string): SimAlarm {
    const alarm = this.alarms.get(name);
    if (alarm === undefined) throw new Error(`cloudwatch: alarm '${name}' does not exist in the simulated world`);
    return alarm;
  }

  private read(alarm: SimAlarm): AlarmReading & { at: number } {
    const reading = alarm.forced ?? ruleReading(alarm.rule?.() === true);
    if (reading.state !== alarm.last.state) alarm.last = { ...reading, at: this.env.now() };
    return alarm.last;
  }

  private describeAlarms(input: DescribeAlarmsCommandInput): Output<DescribeAlarmsCommandOutput> {
    const names = input.AlarmNames;
    if (names !== undefined && names.length > 100) {
      throw modeledError(InvalidParameterValueException, 'The collection AlarmNames must not have a size greater than 100.', {});
    }
    if (names !== undefined && names.length > 0 && input.AlarmNamePrefix !== undefined) {
      throw modeledError(InvalidParameterValueException, 'AlarmNames and AlarmNamePrefix cannot be used together.', {});
    }
    // Like CloudWatch: without AlarmTypes only metric alarms are returned; this world has no composite ones.
    const wantsMetric = input.AlarmTypes === undefined || input.AlarmTypes.includes('MetricAlarm');
    const selected = [...this.alarms.values()]
      .filter((a) => names === undefined || names.length === 0 || names.includes(a.name))
      .filter((a) => input.AlarmNamePrefix === undefined || a.name.startsWith(input.AlarmNamePrefix))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const metricAlarms: MetricAlarm[] = [];
    for (const alarm of selected) {
      const reading = this.read(alarm);
      if (input.StateValue !== undefined && reading.state !== input.StateValue) continue;
      metricAlarms.push({
        AlarmName: alarm.name,
        AlarmArn: alarm.arn,
        AlarmDescription: `Simulated alarm ${alarm.name}`,
        ActionsEnabled: true,
        OKActions: [],
        AlarmActions: [],
        InsufficientDataActions: [],
        StateValue: reading.state,
        StateReason: reading.reason,
        StateUpdatedTimestamp: new Date(reading.at),
        StateTransitionedTimestamp: new Date(reading.at),
        MetricName: 'HTTPCode_Target_5XX_Count',
        Namespace: 'AWS/ApplicationELB',
        Statistic: 'Sum',
        Dimensions: [],
        Period: 60,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: THRESHOLD,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    return { MetricAlarms: wantsMetric ? metricAlarms : [], CompositeAlarms: [] };
  }
}
