/**
 * Deploy on push: a successful image push to a configured ECR repository
 * invokes the Trigger function, which starts a deployment for each service
 * whose repository and tag pattern match (tag patterns are globs, which
 * event patterns cannot express, so the function filters them).
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_RETRY } from './dead-letter-queue.ts';

export interface EcrPushTriggerProps {
  /** Repository names (no registry, no tag) whose pushes are watched; at least one. */
  readonly repositories: readonly string[];
  /** The Trigger function. */
  readonly handler: lambda.IFunction;
  /** Where events that could not be delivered go. */
  readonly deadLetterQueue: sqs.IQueue;
}

export class EcrPushTrigger extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: EcrPushTriggerProps) {
    super(scope, id);
    if (props.repositories.length === 0) {
      // An empty list is not a valid event pattern; the stack skips this construct instead.
      throw new Error('EcrPushTrigger needs at least one repository');
    }
    this.rule = new events.Rule(this, 'Rule', {
      description: 'ECR image pushes to the repositories of the deployer config start a deployment',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Action'],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'repository-name': [...new Set(props.repositories)],
        },
      },
      // Trigger names each execution after service + digest, so a retried or
      // duplicated event starts one deployment.
      targets: [
        new targets.LambdaFunction(props.handler, {
          // A ECR push EventBridge could not deliver is kept, not dropped.
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: EVENT_RETRY.targetRetryAttempts,
          maxEventAge: EVENT_RETRY.targetMaxEventAge,
        }),
      ],
    });
  }
}
