/**
 * Where events the deployer could not handle end up: an ECR push the
 * Trigger failed on (after Lambda's own retries), or that EventBridge could
 * not deliver; an execution end the watcher failed on. Nothing is dropped
 * silently: the stack alarms as soon as the queue is not empty, and the
 * message holds the original event to replay or act on by hand.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** How long EventBridge and Lambda keep retrying an event before it goes to the queue. */
export const EVENT_RETRY = {
  /** EventBridge's delivery retries of a rule target (its default is 185 over 24 hours). */
  targetRetryAttempts: 185,
  targetMaxEventAge: Duration.hours(24),
  /** Lambda's retries of an asynchronous invocation whose handler failed. */
  asyncRetryAttempts: 2,
  asyncMaxEventAge: Duration.hours(6),
} as const;

export class DeadLetterQueue extends Construct {
  public readonly queue: sqs.Queue;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    // SSE-SQS, not KMS: EventBridge can write to it without a key policy.
    this.queue = new sqs.Queue(this, 'Queue', {
      // A name an operator recognises in the SQS console.
      queueName: `${Stack.of(this).stackName}-dead-letters`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue (of the EventBridge targets and the asynchronous invocations); nothing redrives into it from another queue.',
    });
  }

  /**
   * Send an event-driven function's failed asynchronous invocations here,
   * after Lambda's own retries (the function's role may send to the queue).
   */
  public catchFailuresOf(name: string, fn: lambda.IFunction): void {
    new lambda.EventInvokeConfig(this, `${name}InvokeConfig`, {
      function: fn,
      retryAttempts: EVENT_RETRY.asyncRetryAttempts,
      maxEventAge: EVENT_RETRY.asyncMaxEventAge,
      onFailure: new destinations.SqsDestination(this.queue),
    });
  }
}
