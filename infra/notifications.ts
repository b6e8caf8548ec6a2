/**
 * Deployment notifications: the lifecycle events RecordEvent puts on the
 * default bus (`source: ecs-deployer`, `detail-type: Deployment <Phase>`) are
 * turned into one readable line and published to an SNS topic, to which
 * email (and chat, through AWS Chatbot) can subscribe.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface NotificationsProps {
  /** `source` of the deployer's lifecycle events (EVENT_SOURCE in lambdas/registry.ts). */
  readonly eventSource: string;
  /** Addresses subscribed to the topic (each confirms by email). */
  readonly emails: readonly string[];
}

export class Notifications extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: kms.Key;
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);

    // A customer managed key, not alias/aws/sns: EventBridge can only publish
    // to an encrypted topic if the key policy lets events.amazonaws.com use
    // the key, and the policy of an AWS managed key cannot be changed.
    // Messages are transient, so the key can go with the stack.
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the ECS deployer notification topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'ECS deployer',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    // `Deployment Rolled Back: web 123.dkr.ecr.../web@sha256:... - rolled back web to web:41: alarm ...`
    const line = [
      `${events.EventField.detailType}:`,
      events.EventField.fromPath('$.detail.service'),
      events.EventField.fromPath('$.detail.image'),
      '-',
      events.EventField.fromPath('$.detail.reason'),
    ].join(' ');

    this.rule = new events.Rule(this, 'Rule', {
      description: 'Sends the deployer lifecycle events to the notification topic',
      eventPattern: { source: [props.eventSource], detailType: events.Match.prefix('Deployment ') },
      // The target grants events.amazonaws.com sns:Publish in the topic policy
      // and kms:Decrypt/GenerateDataKey* in the key policy.
      targets: [new targets.SnsTopic(this.topic, { message: events.RuleTargetInput.fromText(line) })],
    });
  }
}
