/**
 * The whole deployer in one stack: the functions of lambdas/registry.ts, the
 * rolling state machine that runs them, the ECR push trigger, the watcher of
 * executions that end without cleanup, the lock/history table and the
 * notification topic.
 */
import { Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
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
import { ArtifactUploadTrigger } from './artifact-upload-trigger.ts';
import { configuredRepositories, vmResources } from './config-resources.ts';
import { vmServicesOf } from '../lambdas/vm/vm-services.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { DeployerAlarms } from './deployer-alarms.ts';
import { DeployerDashboard } from './deployer-dashboard.ts';
import { DeployerFunction } from './deployer-function.ts';
import { DeploymentStateMachine, stateMachineName } from './deployment-state-machine.ts';
import { DeploymentTable } from './deployment-table.ts';
import { ReleaseScriptAsset } from './release-script-asset.ts';
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

/** Output name of each VM strategy's state machine ARN. */
export const VM_STATE_MACHINE_OUTPUTS: Readonly<Record<Strategy, string>> = {
  rolling: 'VmRollingStateMachineArn',
  canary: 'VmCanaryStateMachineArn',
  'blue-green': 'VmBlueGreenStateMachineArn',
};

/** Construct id of each strategy's state machine. */
const STATE_MACHINE_IDS: Readonly<Record<Strategy, string>> = {
  rolling: 'EcsRolling',
  canary: 'EcsCanary',
  'blue-green': 'EcsBlueGreen',
};

/** Construct id of each VM strategy's state machine. */
const VM_STATE_MACHINE_IDS: Readonly<Record<Strategy, string>> = {
  rolling: 'VmRolling',
  canary: 'VmCanary',
  'blue-green': 'VmBlueGreen',
};

export class DeployerStack extends Stack {
  /** Every function, by its key in lambdas/registry.ts (also its construct id). */
  public readonly functions: Readonly<Record<FunctionKey, DeployerFunction>>;
  public readonly table: DeploymentTable;
  /** One state machine per strategy. */
  public readonly stateMachines: Readonly<Record<Strategy, DeploymentStateMachine>>;
  /** One VM state machine per strategy. */
  public readonly vmStateMachines: Readonly<Record<Strategy, DeploymentStateMachine>>;
  public readonly notifications: Notifications;
  public readonly deadLetters: DeadLetterQueue;
  public readonly alarms: DeployerAlarms;
  /** CloudWatch namespace of the deployment metrics. */
  public readonly metricsNamespace: string;

  public constructor(scope: Construct, id: string, props: DeployerStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = new DeploymentTable(this, 'DeploymentTable');
    this.metricsNamespace = `Deployer/${this.stackName}`;
    const vm = vmResources(config);
    // The full output of the VM commands (SSM agents write it with their instance profile's permissions).
    const vmCommandLogs = new logs.LogGroup(this, 'VmCommandLogs', {
      logGroupName: `/deployer/${this.stackName}/vm-commands`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const environment = functionEnvironment({
      table: this.table.table,
      metricsNamespace: this.metricsNamespace,
      vmCommandLogGroup: vmCommandLogs.logGroupName,
    });

    const functions = {} as Record<FunctionKey, DeployerFunction>;
    for (const key of Object.keys(ALL_FUNCTIONS) as FunctionKey[]) {
      const network = ALL_FUNCTIONS[key].sshNetwork === true ? vm.sshNetwork : undefined;
      functions[key] = new DeployerFunction(this, key, {
        functionKey: key,
        config,
        environment: environment[key],
        ...(network === undefined ? {} : { network }),
      });
    }
    this.functions = functions;

    const stateMachineFunctions = {} as Record<StateMachineFunctionKey, lambda.IVersion>;
    for (const key of Object.keys(STATE_MACHINE_FUNCTIONS) as StateMachineFunctionKey[]) {
      stateMachineFunctions[key] = functions[key].version;
    }
    const machines = {} as Record<Strategy, DeploymentStateMachine>;
    for (const strategy of STRATEGIES) {
      machines[strategy] = new DeploymentStateMachine(this, STATE_MACHINE_IDS[strategy], { strategy, functions: stateMachineFunctions });
    }
    this.stateMachines = machines;
    const vmMachines = {} as Record<Strategy, DeploymentStateMachine>;
    for (const strategy of STRATEGIES) {
      vmMachines[strategy] = new DeploymentStateMachine(this, VM_STATE_MACHINE_IDS[strategy], {
        strategy,
        kind: 'vm',
        functions: stateMachineFunctions,
      });
    }
    this.vmStateMachines = vmMachines;
    const ecsStateMachines = STRATEGIES.map((strategy) => machines[strategy].stateMachine);
    const vmStateMachines = STRATEGIES.map((strategy) => vmMachines[strategy].stateMachine);
    const stateMachines = [...ecsStateMachines, ...vmStateMachines];
    functions.ArtifactTrigger.function.addEnvironment(
      ENV.vmStateMachines,
      Fn.toJsonString(Object.fromEntries(STRATEGIES.map((strategy) => [strategy, vmMachines[strategy].stateMachine.stateMachineArn]))),
    );
    functions.Trigger.function.addEnvironment(
      ENV.stateMachines,
      Fn.toJsonString(Object.fromEntries(STRATEGIES.map((strategy) => [strategy, machines[strategy].stateMachine.stateMachineArn]))),
    );

    // SSM hosts download the release script from S3 (see lambdas/vm/start-ssm-batch.ts).
    const releaseScript = vm.ssm ? new ReleaseScriptAsset(this, 'ReleaseScript') : undefined;
    if (releaseScript !== undefined) {
      functions.StartSsmBatch.function.addEnvironment(ENV.releaseScriptObject, releaseScript.objectUri);
      functions.StartSsmBatch.function.addEnvironment(ENV.releaseScriptSha256, releaseScript.sha256);
    }

    const policies = functionPolicies(this, {
      config,
      ...(releaseScript === undefined ? {} : { releaseScriptObjectArn: releaseScript.objectArn }),
      table: this.table.table,
      stateMachines,
      ecsStateMachines,
      vmStateMachines,
      stateMachineNames: [
        ...STRATEGIES.map((strategy) => stateMachineName(this, strategy)),
        ...STRATEGIES.map((strategy) => stateMachineName(this, strategy, 'vm')),
      ],
    });
    for (const key of Object.keys(policies) as FunctionKey[]) {
      const fn = functions[key];
      for (const statement of policies[key].statements) fn.addToRolePolicy(statement);
      // On the role: covers its DefaultPolicy, not the other functions' roles.
      if (policies[key].acknowledgments.length > 0) Validations.of(fn.role).acknowledge(...policies[key].acknowledgments);
    }

    // Nothing the deployer is told is dropped: undeliverable or failed events land here (and alarm).
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters');
    const deadLetterQueue = this.deadLetters.queue;
    this.deadLetters.catchFailuresOf('Trigger', functions.Trigger.function);
    this.deadLetters.catchFailuresOf('ExecutionEnded', functions.ExecutionEnded.function);

    const repositories = configuredRepositories(config);
    if (repositories.length > 0) {
      new EcrPushTrigger(this, 'EcrPushTrigger', { repositories, handler: functions.Trigger.function, deadLetterQueue });
    }
    const artifactSources = vmServicesOf(config).map((svc) => ({ bucket: svc.artifacts.bucket, prefix: svc.artifacts.prefix }));
    if (artifactSources.length > 0) {
      this.deadLetters.catchFailuresOf('ArtifactTrigger', functions.ArtifactTrigger.function);
      new ArtifactUploadTrigger(this, 'ArtifactUploadTrigger', {
        sources: artifactSources,
        handler: functions.ArtifactTrigger.function,
        deadLetterQueue,
      });
    }
    new ExecutionEndWatcher(this, 'ExecutionEndWatcher', { stateMachines, handler: functions.ExecutionEnded.function, deadLetterQueue });

    new events.Rule(this, 'LockAuditSchedule', {
      description: 'Measures how long each service lock has been held (alarm: a lock held longer than its longest deployment)',
      schedule: events.Schedule.rate(Duration.minutes(10)),
      // A missed run is harmless: the next one measures again.
      targets: [new targets.LambdaFunction(functions.AuditLocks.function, { retryAttempts: 2 })],
    });

    this.notifications = new Notifications(this, 'Notifications', {
      eventSource: EVENT_SOURCE,
      emails: config.notifications?.emails ?? [],
    });

    this.alarms = new DeployerAlarms(this, 'Alarms', {
      topic: this.notifications.topic,
      topicKey: this.notifications.key,
      metricsNamespace: this.metricsNamespace,
      trigger: functions.Trigger.function,
      watcher: functions.ExecutionEnded.function,
      lockAudit: functions.AuditLocks.function,
      deadLetterQueue,
    });
    const dashboard = new DeployerDashboard(this, 'Dashboard', {
      metricsNamespace: this.metricsNamespace,
      alarms: this.alarms.alarms,
      trigger: functions.Trigger.function,
      watcher: functions.ExecutionEnded.function,
      deadLetterQueue,
      stateMachines: [
        ...STRATEGIES.map((strategy) => ({ label: strategy, machine: machines[strategy].stateMachine })),
        ...STRATEGIES.map((strategy) => ({ label: `vm ${strategy}`, machine: vmMachines[strategy].stateMachine })),
      ],
    });

    for (const strategy of STRATEGIES) {
      const machine = machines[strategy].stateMachine;
      new CfnOutput(this, STATE_MACHINE_OUTPUTS[strategy], {
        description: `${strategy} deployment state machine (start executions here or with \`deployer deploy\`)`,
        value: machine.stateMachineArn,
      });
    }
    for (const strategy of STRATEGIES) {
      new CfnOutput(this, VM_STATE_MACHINE_OUTPUTS[strategy], {
        description: `VM ${strategy} deployment state machine (start executions here)`,
        value: vmMachines[strategy].stateMachine.stateMachineArn,
      });
    }
    new CfnOutput(this, 'StateMachinesConsoleUrl', {
      description: 'The state machines in the Step Functions console',
      value: Fn.join('', ['https://', Aws.REGION, '.console.aws.amazon.com/states/home?region=', Aws.REGION, '#/statemachines']),
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: "Deployments per service and the deployer's health",
      value: Fn.join('', [
        'https://', Aws.REGION, '.console.aws.amazon.com/cloudwatch/home?region=', Aws.REGION, '#dashboards/dashboard/',
        dashboard.dashboard.dashboardName,
      ]),
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Events the deployer could not handle (an alarm fires when it is not empty)',
      value: deadLetterQueue.queueUrl,
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
