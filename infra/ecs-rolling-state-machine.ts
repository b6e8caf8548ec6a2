/**
 * The rolling deployment of one ECS service, as written in
 * statemachines/ecs-rolling.asl.json. The ASL file is deployed as it is (the
 * local rehearsal runs the very same file); CloudFormation only replaces its
 * `${<Key>FunctionArn}` placeholders with the ARNs of the functions.
 */
import { readFileSync } from 'node:fs';
import { Annotations, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { placeholderFor, STATE_MACHINE_FUNCTIONS, type StateMachineFunctionKey } from '../lambdas/registry.ts';
import { fromRepoRoot } from './repo-root.ts';

/** The ASL file, relative to the repository root. */
export const ECS_ROLLING_ASL = 'statemachines/ecs-rolling.asl.json';

/** Every `${Name}` placeholder of an ASL text, sorted, without duplicates. */
export function aslPlaceholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''))].sort();
}

/**
 * The state machine's name in a stack. Fixed rather than generated so that
 * policies can name its executions (AcquireLock describes the lock holder's)
 * without a reference to the state machine, which invokes those functions.
 */
export function ecsRollingStateMachineName(stack: Stack): string {
  return `${stack.stackName}-ecs-rolling`;
}

export interface EcsRollingStateMachineProps {
  /** The function behind each Task state, by registry key. */
  readonly functions: Readonly<Record<StateMachineFunctionKey, lambda.IFunction>>;
  /** Path of the ASL file; defaults to {@link ECS_ROLLING_ASL}. */
  readonly aslPath?: string;
}

export class EcsRollingStateMachine extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: EcsRollingStateMachineProps) {
    super(scope, id);
    const aslPath = fromRepoRoot(props.aslPath ?? ECS_ROLLING_ASL);
    const used = new Set(aslPlaceholders(readFileSync(aslPath, 'utf8')));

    // Only the functions the ASL refers to are substituted and may be invoked.
    const substitutions: Record<string, string> = {};
    const invoked: lambda.IFunction[] = [];
    for (const key of Object.keys(STATE_MACHINE_FUNCTIONS) as StateMachineFunctionKey[]) {
      const placeholder = placeholderFor(key);
      if (!used.delete(placeholder)) {
        Annotations.of(this).addWarningV2('deployer:unusedFunction', `${key} is not referenced by ${aslPath}`);
        continue;
      }
      substitutions[placeholder] = props.functions[key].functionArn;
      invoked.push(props.functions[key]);
    }
    // A placeholder left in the definition would only fail at deploy time, in CloudFormation.
    if (used.size > 0) {
      throw new Error(`${aslPath} has placeholders no function provides: ${[...used].map((p) => `\${${p}}`).join(', ')}`);
    }

    // The vended-logs prefix keeps the CloudWatch Logs resource policy small
    // however many log groups Step Functions writes to. The name is fixed, so
    // the group goes with the stack: a retained one would make a reinstall
    // fail. The audit trail is the history table, which is retained.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-ecs-rolling`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: ecsRollingStateMachineName(Stack.of(this)),
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(aslPath),
      definitionSubstitutions: substitutions,
      // Every state transition is logged, but not the inputs and outputs (image
      // names and service details stay in the execution history, behind IAM).
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    // Exactly the function ARNs the Task states name (no `:*` versions or aliases).
    if (invoked.length > 0) {
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invoked.map((f) => f.functionArn) }),
      );
    }

    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by CDK for logging and tracing: the CloudWatch Logs log-delivery actions (logs:CreateLogDelivery, ' +
        'logs:PutResourcePolicy...) and X-Ray (xray:PutTraceSegments...) have no resource-level permissions.',
    });
  }
}
