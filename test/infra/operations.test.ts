/**
 * The install keeps working unattended: nothing the deployer is told is
 * dropped (dead-letter queue, retries), the team hears about the deployer's
 * own trouble (alarms on the notification topic), and one dashboard shows
 * deployments per service and the deployer's health.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYER_DIMENSION, OVERDUE_LOCKS_METRIC, STATUS_METRIC } from '../../lambdas/shared/deployment-metrics.ts';
import { synthDeployer, type DeployerSynth } from '../support/synth.ts';
import { functionLogicalIds } from '../support/template-policies.ts';

let synth: DeployerSynth;
let template: Template;
let queueId: string;
let topicId: string;

const NAMESPACE = 'Deployer/EcsDeployer';

beforeAll(async () => {
  synth = await synthDeployer();
  template = Template.fromJSON(synth.template);
  queueId = Object.keys(template.findResources('AWS::SQS::Queue'))[0]!;
  topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
});

function alarms(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => {
      const props = (r as { Properties: Record<string, unknown> }).Properties;
      return [props.AlarmName as string, props];
    }),
  );
}

describe('dead-letter queue', () => {
  it('is one encrypted queue that refuses requests without TLS and keeps messages 14 days', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'EcsDeployer-dead-letters',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('receives ECR pushes and execution ends EventBridge could not deliver, after a day of retries', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r) => (r as { Properties: Record<string, unknown> }).Properties);
    const bySource = (source: string) => rules.find((r) => JSON.stringify(r.EventPattern).includes(`"${source}"`));
    for (const source of ['aws.ecr', 'aws.states']) {
      expect(bySource(source)?.Targets, source).toEqual([
        expect.objectContaining({
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        }),
      ]);
    }
  });

  it('receives the events Trigger and the watcher failed on, after Lambda retried them twice', () => {
    const ids = functionLogicalIds(synth.template);
    for (const key of ['Trigger', 'ExecutionEnded'] as const) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids[key] },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
    }
  });
});

describe("alarms on the deployer's own health", () => {
  it('notify the topic when a push may not deploy, a deployment fails without rollback, or a lock is held too long', () => {
    const byName = alarms();
    expect(Object.keys(byName).sort()).toEqual([
      'EcsDeployer-dead-letters',
      'EcsDeployer-failed-deployments',
      'EcsDeployer-lock-audit-errors',
      'EcsDeployer-overdue-locks',
      'EcsDeployer-trigger-errors',
      'EcsDeployer-watcher-errors',
    ]);
    for (const [name, alarm] of Object.entries(byName)) {
      expect(alarm.AlarmActions, name).toEqual([{ Ref: topicId }]);
      expect(alarm, name).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      expect(String(alarm.AlarmDescription).length, name).toBeGreaterThan(40);
    }
  });

  it('watch the metrics the handlers emit, under the namespace the functions are given', () => {
    const byName = alarms();
    expect(byName['EcsDeployer-failed-deployments']).toMatchObject({
      Namespace: NAMESPACE,
      MetricName: STATUS_METRIC.FAILED,
      Dimensions: [{ Name: 'service', Value: DEPLOYER_DIMENSION }],
      Statistic: 'Sum',
    });
    expect(byName['EcsDeployer-overdue-locks']).toMatchObject({ Namespace: NAMESPACE, MetricName: OVERDUE_LOCKS_METRIC, Statistic: 'Maximum' });
    expect(byName['EcsDeployer-dead-letters']).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
    const ids = functionLogicalIds(synth.template);
    expect(byName['EcsDeployer-trigger-errors']).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.Trigger } }] });
    for (const key of ['RecordEvent', 'ExecutionEnded', 'AuditLocks'] as const) {
      const env = (synth.template.Resources[ids[key]]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.POWERTOOLS_METRICS_NAMESPACE, key).toBe(NAMESPACE);
    }
  });

  it('may publish to the encrypted topic: CloudWatch is allowed, for these alarms only, to publish and use its key', () => {
    const alarmArns = { 'aws:SourceArn': { 'Fn::Join': ['', Match.arrayWith([':alarm:EcsDeployer-*'])] } };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: Match.objectLike({ ArnLike: alarmArns }) }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: Match.objectLike({ ArnLike: alarmArns }),
          }),
        ]),
      },
    });
  });

  it('measure lock ages every 10 minutes', () => {
    const ids = functionLogicalIds(synth.template);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(10 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [ids.AuditLocks, 'Arn'] } })],
    });
  });
});

describe('dashboard', () => {
  it('charts every deployment outcome and duration per service, and shows every alarm', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const props = (dashboards[0] as { Properties: { DashboardName: string; DashboardBody: unknown } }).Properties;
    expect(props.DashboardName).toBe('EcsDeployer-deployments');
    const body = JSON.stringify(props.DashboardBody);
    for (const metric of ['Started', 'Succeeded', 'RolledBack', 'Failed', 'Aborted', 'DurationSeconds', 'LockAgeSeconds']) {
      expect(body, metric).toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
    }
    expect(body).toContain('Deployer/EcsDeployer');
    for (const id of Object.keys(template.findResources('AWS::CloudWatch::Alarm'))) expect(body, id).toContain(id);
    template.hasOutput('DashboardUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['#dashboards/dashboard/'])] } });
  });
});
