/**
 * Executions that end without running their own clean-up (stopped from the
 * console or by `deployer rollback`, timed out, or failed outside a Catch)
 * would leave the service half deployed and its lock held. Step Functions
 * reports those ends on the default bus; the ExecutionEnded function starts
 * a restore run of the snapshot (or, when nothing had changed, releases the
 * lock) and records the history.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_RETRY } from './dead-letter-queue.ts';
import { WATCHED_END_STATUSES } from '../lambdas/shared/execution-status.ts';

export interface ExecutionEndWatcherProps {
  /** The state machines whose executions are watched. */
  readonly stateMachines: readonly sfn.IStateMachine[];
  /** The ExecutionEnded function. */
  readonly handler: lambda.IFunction;
  /** Where events that could not be delivered go. */
  readonly deadLetterQueue: sqs.IQueue;
}

export class ExecutionEndWatcher extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: ExecutionEndWatcherProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Restores (or releases the lock of) deployments that were stopped, timed out or failed without cleanup',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: [...WATCHED_END_STATUSES],
          stateMachineArn: props.stateMachines.map((m) => m.stateMachineArn),
        },
      },
      targets: [
        new targets.LambdaFunction(props.handler, {
          // A execution end EventBridge could not deliver is kept, not dropped.
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: EVENT_RETRY.targetRetryAttempts,
          maxEventAge: EVENT_RETRY.targetMaxEventAge,
        }),
      ],
    });
  }
}
