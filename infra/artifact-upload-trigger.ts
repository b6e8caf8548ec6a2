/**
 * Deploy on upload: an artifact uploaded to a VM service's bucket, under its
 * prefix, invokes the ArtifactTrigger function, which starts a deployment
 * for each service whose prefix and pattern match (patterns are globs, which
 * event patterns cannot express, so the function filters them; `.sha256`
 * files are ignored there too).
 *
 * S3 sends "Object Created" events to EventBridge only from buckets whose
 * EventBridge notifications are on (`aws s3api put-bucket-notification-configuration
 * --bucket B --notification-configuration '{"EventBridgeConfiguration": {}}'`):
 * the deployer does not change the teams' buckets.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_RETRY } from './dead-letter-queue.ts';

export interface ArtifactUploadTriggerProps {
  /** Each VM service's artifact location; at least one. */
  readonly sources: readonly { bucket: string; prefix: string }[];
  /** The ArtifactTrigger function. */
  readonly handler: lambda.IFunction;
  /** Where events that could not be delivered go. */
  readonly deadLetterQueue: sqs.IQueue;
}

export class ArtifactUploadTrigger extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: ArtifactUploadTriggerProps) {
    super(scope, id);
    if (props.sources.length === 0) throw new Error('ArtifactUploadTrigger needs at least one artifact location');
    const prefixes = [...new Set(props.sources.map((s) => s.prefix))];
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Artifacts uploaded under the prefixes of the VM services of the deployer config start a deployment',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [...new Set(props.sources.map((s) => s.bucket))] },
          // An empty prefix (the whole bucket) matches every key.
          ...(prefixes.includes('') ? {} : { object: { key: prefixes.map((prefix) => ({ prefix })) } }),
        },
      },
      // ArtifactTrigger names each execution after the service and the object's write,
      // so a retried or duplicated event starts one deployment.
      targets: [
        new targets.LambdaFunction(props.handler, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: EVENT_RETRY.targetRetryAttempts,
          maxEventAge: EVENT_RETRY.targetMaxEventAge,
        }),
      ],
    });
  }
}
