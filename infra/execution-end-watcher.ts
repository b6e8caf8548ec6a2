/**
 * Executions that end without running their own cleanup (aborted from the
 * console, timed out, or failed outside a Catch) would keep the service's
 * lock forever. Step Functions reports those ends on the default bus; the
 * ExecutionEnded function releases the lock and records the history.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { UNCLEAN_END_STATUSES } from '../lambdas/shared/execution-status.ts';

export interface ExecutionEndWatcherProps {
  /** The state machine whose executions are watched. */
  readonly stateMachine: sfn.IStateMachine;
  /** The ExecutionEnded function. */
  readonly handler: lambda.IFunction;
}

export class ExecutionEndWatcher extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: ExecutionEndWatcherProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Releases the lock of deployments that were aborted, timed out or failed without cleanup',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: [...UNCLEAN_END_STATUSES],
          stateMachineArn: [props.stateMachine.stateMachineArn],
        },
      },
      targets: [new targets.LambdaFunction(props.handler)],
    });
  }
}
