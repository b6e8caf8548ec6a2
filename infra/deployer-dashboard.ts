/**
 * One CloudWatch dashboard for the deployer: deployments per service
 * (started, succeeded, rolled back, failed, how long they took) and the
 * deployer's own health (its alarms, the trigger, the watcher, the
 * dead-letter queue, lock ages, executions). Per-service graphs are
 * SEARCH expressions, so a service added to the config appears without a
 * change here.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEPLOYER_DIMENSION,
  DURATION_METRIC,
  LOCK_AGE_METRIC,
  SERVICE_DIMENSION,
  STATUS_METRIC,
} from '../lambdas/shared/deployment-metrics.ts';

export interface DeployerDashboardProps {
  readonly metricsNamespace: string;
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly trigger: lambda.IFunction;
  readonly watcher: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /** Each strategy's state machine, by a short label (`rolling`...). */
  readonly stateMachines: readonly { label: string; machine: sfn.IStateMachine }[];
}

/** `SEARCH` for one metric of every deployed service: one line per service. */
export function perServiceSearch(namespace: string, metricName: string, statistic: string, period: Duration): string {
  const schema = `{"${namespace}",service,${SERVICE_DIMENSION}}`;
  return `SEARCH('${schema} service="${DEPLOYER_DIMENSION}" MetricName="${metricName}"', '${statistic}', ${period.toSeconds()})`;
}

export class DeployerDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: DeployerDashboardProps) {
    super(scope, id);
    const hour = Duration.hours(1);
    const perService = (title: string, metricName: string, statistic: string, label: string): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({
        title,
        width: 8,
        left: [
          new cloudwatch.MathExpression({
            expression: perServiceSearch(props.metricsNamespace, metricName, statistic, hour),
            label,
            period: hour,
          }),
        ],
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-deployments`,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# Deployments\nPer service, per hour. `deployer history SERVICE` lists each deployment with its image, who started it and why it ended.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      perService('Started', STATUS_METRIC.IN_PROGRESS, 'Sum', ''),
      perService('Succeeded', STATUS_METRIC.SUCCEEDED, 'Sum', ''),
      perService('Rolled back', STATUS_METRIC.ROLLED_BACK, 'Sum', ''),
    );
    this.dashboard.addWidgets(
      perService('Failed (not rolled back: needs attention)', STATUS_METRIC.FAILED, 'Sum', ''),
      perService('Stopped or timed out (restored by the watcher)', STATUS_METRIC.ABORTED, 'Sum', ''),
      perService('Duration (seconds, longest per hour)', DURATION_METRIC, 'Maximum', ''),
    );
    this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: "# The deployer's health", width: 24, height: 1 }));
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 8, height: 6 }),
      new cloudwatch.GraphWidget({
        title: 'ECR pushes handled (Trigger) and watcher',
        width: 8,
        left: [
          props.trigger.metricInvocations({ label: 'Trigger invocations', period: hour, statistic: 'Sum' }),
          props.trigger.metricErrors({ label: 'Trigger errors', period: hour, statistic: 'Sum' }),
          props.watcher.metricInvocations({ label: 'Watcher invocations', period: hour, statistic: 'Sum' }),
          props.watcher.metricErrors({ label: 'Watcher errors', period: hour, statistic: 'Sum' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue and lock ages',
        width: 8,
        left: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'Events not handled', period: Duration.minutes(5) })],
        right: [
          new cloudwatch.MathExpression({
            expression: perServiceSearch(props.metricsNamespace, LOCK_AGE_METRIC, 'Maximum', Duration.minutes(15)),
            label: '',
            period: Duration.minutes(15),
          }),
        ],
        rightYAxis: { label: 'lock held (s)', showUnits: false },
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Executions by state machine',
        width: 24,
        left: props.stateMachines.flatMap(({ label, machine }) => [
          machine.metricStarted({ label: `${label} started`, period: hour, statistic: 'Sum' }),
          machine.metricFailed({ label: `${label} failed (includes rolled back)`, period: hour, statistic: 'Sum' }),
          machine.metricAborted({ label: `${label} stopped`, period: hour, statistic: 'Sum' }),
          machine.metricTimedOut({ label: `${label} timed out`, period: hour, statistic: 'Sum' }),
        ]),
      }),
    );
  }
}
