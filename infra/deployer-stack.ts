/**
 * The whole deployer in one stack: the functions of lambdas/registry.ts, the
 * rolling state machine that runs them, the ECR push trigger, the watcher of
 * executions that end without cleanup, the lock/history table and the
 * notification topic.
 */
import { Aws, CfnOutput, Fn, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { STRATEGIES, type DeployerConfig, type Strategy } from '../lambdas/shared/config.ts';
import {
  ALL_FUNCTIONS,
  ENV,
  EVENT_SOURCE,
  STATE_MACHINE_FUNCTIONS,
  type FunctionKey,
  type StateMachineFunctionKey,
} from '../lambdas/registry.ts';
import { configuredRepositories } from './config-resources.ts';
import { DeployerFunction } from './deployer-function.ts';
import { DeploymentStateMachine, stateMachineName } from './deployment-state-machine.ts';
import { DeploymentTable } from './deployment-table.ts';
import { EcrPushTrigger } from './ecr-push-trigger.ts';
import { ExecutionEndWatcher } from './execution-end-watcher.ts';
import { functionEnvironment } from './function-environment.ts';
import { functionPolicies } from './function-policies.ts';
import { Notifications } from './notifications.ts';

export interface DeployerStackProps extends StackProps {
  /** The validated deployer config (services, repositories, alarms, emails). */
  readonly config: DeployerConfig;
}

/** Output name of each strategy's state machine ARN (the CLI reads them). */
export const STATE_MACHINE_OUTPUTS: Readonly<Record<Strategy, string>> = {
  rolling: 'RollingStateMachineArn',
  canary: 'CanaryStateMachineArn',
  'blue-green': 'BlueGreenStateMachineArn',
};

/** Construct id of each strategy's state machine. */
const STATE_MACHINE_IDS: Readonly<Record<Strategy, string>> = {
  rolling: 'EcsRolling',
  canary: 'EcsCanary',
  'blue-green': 'EcsBlueGreen',
};

export class DeployerStack extends Stack {
  /** Every function, by its key in lambdas/registry.ts (also its construct id). */
  public readonly functions: Readonly<Record<FunctionKey, DeployerFunction>>;
  public readonly table: DeploymentTable;
  /** One state machine per strategy. */
  public readonly stateMachines: Readonly<Record<Strategy, DeploymentStateMachine>>;
  public readonly notifications: Notifications;

  public constructor(scope: Construct, id: string, props: DeployerStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = new DeploymentTable(this, 'DeploymentTable');
    const environment = functionEnvironment({ table: this.table.table });

    const functions = {} as Record<FunctionKey, DeployerFunction>;
    for (const key of Object.keys(ALL_FUNCTIONS) as FunctionKey[]) {
      functions[key] = new DeployerFunction(this, key, { functionKey: key, config, environment: environment[key] });
    }
    this.functions = functions;

    const stateMachineFunctions = {} as Record<StateMachineFunctionKey, lambda.IFunction>;
    for (const key of Object.keys(STATE_MACHINE_FUNCTIONS) as StateMachineFunctionKey[]) {
      stateMachineFunctions[key] = functions[key].function;
    }
    const machines = {} as Record<Strategy, DeploymentStateMachine>;
    for (const strategy of STRATEGIES) {
      machines[strategy] = new DeploymentStateMachine(this, STATE_MACHINE_IDS[strategy], { strategy, functions: stateMachineFunctions });
    }
    this.stateMachines = machines;
    const stateMachines = STRATEGIES.map((strategy) => machines[strategy].stateMachine);
    functions.Trigger.function.addEnvironment(
      ENV.stateMachines,
      Fn.toJsonString(Object.fromEntries(STRATEGIES.map((strategy) => [strategy, machines[strategy].stateMachine.stateMachineArn]))),
    );

    const policies = functionPolicies(this, {
      config,
      table: this.table.table,
      stateMachines,
      stateMachineNames: STRATEGIES.map((strategy) => stateMachineName(this, strategy)),
    });
    for (const key of Object.keys(policies) as FunctionKey[]) {
      const fn = functions[key];
      for (const statement of policies[key].statements) fn.addToRolePolicy(statement);
      // On the role: covers its DefaultPolicy, not the other functions' roles.
      if (policies[key].acknowledgments.length > 0) Validations.of(fn.role).acknowledge(...policies[key].acknowledgments);
    }

    const repositories = configuredRepositories(config);
    if (repositories.length > 0) {
      new EcrPushTrigger(this, 'EcrPushTrigger', { repositories, handler: functions.Trigger.function });
    }
    new ExecutionEndWatcher(this, 'ExecutionEndWatcher', { stateMachines, handler: functions.ExecutionEnded.function });

    this.notifications = new Notifications(this, 'Notifications', {
      eventSource: EVENT_SOURCE,
      emails: config.notifications?.emails ?? [],
    });

    for (const strategy of STRATEGIES) {
      const machine = machines[strategy].stateMachine;
      new CfnOutput(this, STATE_MACHINE_OUTPUTS[strategy], {
        description: `${strategy} deployment state machine (start executions here or with \`deployer deploy\`)`,
        value: machine.stateMachineArn,
      });
    }
    new CfnOutput(this, 'StateMachinesConsoleUrl', {
      description: 'The state machines in the Step Functions console',
      value: Fn.join('', ['https://', Aws.REGION, '.console.aws.amazon.com/states/home?region=', Aws.REGION, '#/statemachines']),
    });
    new CfnOutput(this, 'TableName', {
      description: 'Deployment locks and history',
      value: this.table.table.tableName,
    });
    new CfnOutput(this, 'TopicArn', {
      description: 'Deployment notifications (subscribe email, chat or other endpoints)',
      value: this.notifications.topic.topicArn,
    });
  }
}
