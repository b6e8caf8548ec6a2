/**
 * The deployer watching itself: CloudWatch alarms that tell the team (on the
 * notification topic) when a push may not have been deployed or a service
 * needs attention. Each alarm's description says what to do.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEPLOYER_DIMENSION, OVERDUE_LOCKS_METRIC, STATUS_METRIC } from '../lambdas/shared/deployment-metrics.ts';

export interface DeployerAlarmsProps {
  /** Where the alarms notify (the deployment notification topic). */
  readonly topic: sns.ITopic;
  /** The topic's key: CloudWatch must be allowed to use it to publish. */
  readonly topicKey: kms.IKey;
  /** Namespace of the deployment metrics (see lambdas/shared/deployment-metrics.ts). */
  readonly metricsNamespace: string;
  readonly trigger: lambda.IFunction;
  readonly watcher: lambda.IFunction;
  readonly lockAudit: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
}

/** The deployer-wide deployment metric `name` (dimension `service=deployer`). */
export function deployerMetric(namespace: string, name: string, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace, metricName: name, dimensionsMap: { service: DEPLOYER_DIMENSION }, statistic, period });
}

export class DeployerAlarms extends Construct {
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** Every alarm's name starts with this (the stack name and a dash). */
  public readonly namePrefix: string;
  private readonly topic: sns.ITopic;

  public constructor(scope: Construct, id: string, props: DeployerAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topic = props.topic;
    this.namePrefix = `${stack.stackName}-`;
    const fiveMinutes = Duration.minutes(5);

    this.add('TriggerErrors', 'trigger-errors', {
      metric: props.trigger.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      description:
        'The Trigger failed on an ECR push: a pushed image may not be deploying. Lambda retries twice, then the event goes to the dead-letter queue. See the Trigger log group.',
    });
    this.add('WatcherErrors', 'watcher-errors', {
      metric: props.watcher.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      description:
        'The watcher failed on a stopped, timed-out or broken execution: its service may be half deployed or its lock held. Check `deployer status` and the ExecutionEnded log group.',
    });
    this.add('LockAuditErrors', 'lock-audit-errors', {
      metric: props.lockAudit.metricErrors({ period: Duration.minutes(30), statistic: 'Sum' }),
      description: 'The lock audit failed: locks held too long would go unnoticed. See the AuditLocks log group.',
    });
    this.add('DeadLetters', 'dead-letters', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
      description:
        'An ECR push or an execution end could not be handled after all retries: the message in the dead-letter queue holds the event. Deploy that image by hand (`deployer deploy`) or check the service, then delete the message.',
    });
    this.add('FailedDeployments', 'failed-deployments', {
      metric: deployerMetric(props.metricsNamespace, STATUS_METRIC.FAILED, 'Sum', fiveMinutes),
      description:
        'A deployment FAILED without rolling back: it was refused before any change, or its rollback or restore failed and the service needs attention. `deployer history SERVICE` says why.',
    });
    this.add('OverdueLocks', 'overdue-locks', {
      metric: deployerMetric(props.metricsNamespace, OVERDUE_LOCKS_METRIC, 'Maximum', Duration.minutes(15)),
      description:
        'A service lock is held longer than the longest deployment its config allows: later deployments of that service wait behind it. `deployer status SERVICE` names the holder.',
    });

    // The topic is encrypted with a customer managed key and has a policy:
    // CloudWatch may publish (and use the key) for these alarms only.
    const conditions = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${this.namePrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    };
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    props.topic.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [cloudWatch], actions: ['sns:Publish'], resources: [props.topic.topicArn], conditions }),
    );
    props.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [cloudWatch], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions }),
    );
  }

  private add(id: string, name: string, props: { metric: cloudwatch.IMetric; description: string }): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.namePrefix}${name}`,
      alarmDescription: props.description,
      metric: props.metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened (no deployment, no error).
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
