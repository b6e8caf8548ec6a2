/**
 * One strategy's state machine, as written in
 * `statemachines/<strategy>.asl.json` (composed from statemachines/parts/ by
 * `npm run asl`). The ASL file is deployed as it is (the local rehearsal
 * runs the very same file); CloudFormation only replaces its
 * `${<Key>FunctionArn}` placeholders with the ARNs of the functions'
 * published versions.
 */
import { readFileSync } from 'node:fs';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Strategy } from '../lambdas/shared/config.ts';
import { placeholderFor, STATE_MACHINE_FUNCTIONS, type StateMachineFunctionKey } from '../lambdas/registry.ts';
import { composedPath, composedText, STRATEGY_FILES, VM_STRATEGY_FILES, type StrategyFileName } from './asl/compose.ts';
import { fromRepoRoot } from './repo-root.ts';

/** Every `${Name}` placeholder of an ASL text, sorted, without duplicates. */
export function aslPlaceholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''))].sort();
}

/** What a state machine deploys: ECS services or VM hosts. */
export type DeploymentKind = 'ecs' | 'vm';

/** The composed file name of a strategy of a kind: `ecs-rolling`, `vm-canary`... */
export function strategyFileOf(strategy: Strategy, kind: DeploymentKind = 'ecs'): StrategyFileName {
  return (kind === 'vm' ? VM_STRATEGY_FILES : STRATEGY_FILES)[strategy];
}

/** The ASL file of a strategy, relative to the repository root. */
export function aslFileOf(strategy: Strategy, kind: DeploymentKind = 'ecs'): string {
  return composedPath(strategyFileOf(strategy, kind));
}

/**
 * The state machine's name in a stack: `<stack>-ecs-<strategy>`. Fixed rather
 * than generated so that policies can name its executions (AcquireLock
 * describes the lock holder's) without a reference to the state machine,
 * which invokes those functions.
 */
export function stateMachineName(stack: Stack, strategy: Strategy, kind: DeploymentKind = 'ecs'): string {
  return `${stack.stackName}-${strategyFileOf(strategy, kind)}`;
}

export interface DeploymentStateMachineProps {
  readonly strategy: Strategy;
  /** ECS services (default) or VM hosts. */
  readonly kind?: DeploymentKind;
  /**
   * The published version behind each Task state, by registry key (only those
   * the ASL names are used): running executions keep the code they started with.
   */
  readonly functions: Readonly<Record<StateMachineFunctionKey, lambda.IVersion>>;
}

export class DeploymentStateMachine extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  /** The function versions its Task states invoke. */
  public readonly invoked: lambda.IVersion[] = [];

  public constructor(scope: Construct, id: string, props: DeploymentStateMachineProps) {
    super(scope, id);
    const kind = props.kind ?? 'ecs';
    const file = aslFileOf(props.strategy, kind);
    const aslPath = fromRepoRoot(file);
    const text = readFileSync(aslPath, 'utf8');
    // The parts are the source: deploying a stale composition would ship something nobody reviewed.
    if (text !== composedText(strategyFileOf(props.strategy, kind))) {
      throw new Error(`${file} is not what statemachines/parts/ compose to: run \`npm run asl\` and commit the result`);
    }
    const used = new Set(aslPlaceholders(text));

    // Only the functions the ASL refers to are substituted and may be invoked.
    const substitutions: Record<string, string> = {};
    for (const key of Object.keys(STATE_MACHINE_FUNCTIONS) as StateMachineFunctionKey[]) {
      const placeholder = placeholderFor(key);
      if (!used.delete(placeholder)) continue;
      substitutions[placeholder] = props.functions[key].functionArn;
      this.invoked.push(props.functions[key]);
    }
    // A placeholder left in the definition would only fail at deploy time, in CloudFormation.
    if (used.size > 0) {
      throw new Error(`${file} has placeholders no function provides: ${[...used].map((p) => `\${${p}}`).join(', ')}`);
    }

    const name = stateMachineName(Stack.of(this), props.strategy, kind);
    // The vended-logs prefix keeps the CloudWatch Logs resource policy small
    // however many log groups Step Functions writes to. The name is fixed, so
    // the group goes with the stack: a retained one would make a reinstall
    // fail. The audit trail is the history table, which is retained.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(aslPath),
      definitionSubstitutions: substitutions,
      // Every state transition is logged, but not the inputs and outputs (image
      // names and service details stay in the execution history, behind IAM).
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    // Exactly the version ARNs the Task states name (not $LATEST, no `:*`).
    if (this.invoked.length > 0) {
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: this.invoked.map((f) => f.functionArn) }),
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
