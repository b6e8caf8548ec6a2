/**
 * What each Lambda may do: exactly the calls its handler makes, on exactly
 * the resources the config names. One `Record<FunctionKey, ...>` so a new
 * function in lambdas/registry.ts does not compile until its permissions are
 * decided here.
 *
 * Logging to its own log group is granted by DeployerFunction itself.
 */
import { ArnFormat, type Acknowledgment, type Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { DeployerConfig } from '../lambdas/shared/config.ts';
import type { FunctionKey } from '../lambdas/registry.ts';
import { alarmArns, artifactObjectArns, defaultEventBusArn, ecrRepositoryArns, ecsServiceArns, listenerArns, secretArn, vmResources } from './config-resources.ts';

/** The resources the statements refer to. */
export interface FunctionPolicyContext {
  /** Validated config: which services, repositories, listeners and alarms exist. */
  readonly config: DeployerConfig;
  /** Lock and history table. */
  readonly table: dynamodb.ITable;
  /** The state machines (one per strategy and kind), which the watcher starts. */
  readonly stateMachines: readonly sfn.IStateMachine[];
  /** The ECS ones, which the ECR Trigger starts. */
  readonly ecsStateMachines: readonly sfn.IStateMachine[];
  /** The VM ones, which the S3 artifact trigger starts. */
  readonly vmStateMachines: readonly sfn.IStateMachine[];
  /** Their names, as plain strings (see `stateMachineName`). */
  readonly stateMachineNames: readonly string[];
  /** ARN of the release script's S3 object (present when a VM service uses SSM): StartSsmBatch presigns GETs of it. */
  readonly releaseScriptObjectArn?: string;
}

/** The statements of one function's role, and the cdk-nag findings they deliberately cause. */
export interface FunctionPolicy {
  readonly statements: iam.PolicyStatement[];
  /**
   * cdk-nag findings acknowledged on this role only, each by its exact
   * finding id (`AwsSolutions-IAM5[Resource::...]`) and with the reason the
   * wider grant is unavoidable; any other wildcard still fails synth.
   */
  readonly acknowledgments: Acknowledgment[];
}

/** An Allow statement, or nothing when there is no resource to allow (a config without such resources). */
function allow(actions: string[], resources: string[], conditions?: iam.PolicyStatementProps['conditions']): iam.PolicyStatement[] {
  if (resources.length === 0) return [];
  return [new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions, resources, ...(conditions ? { conditions } : {}) })];
}

const STAR = 'AwsSolutions-IAM5[Resource::*]';

const DESCRIBE_TASK_DEFINITION_REASON =
  'ecs:DescribeTaskDefinition has no resource-level permissions (IAM only accepts "*" for it); it is read-only.';
const ELB_DESCRIBE_REASON =
  'The elasticloadbalancing:Describe* actions have no resource-level permissions (IAM only accepts "*"); they are read-only. ' +
  'Changes (ModifyListener, ModifyRule) are limited to the listeners and rules of the config.';
const WAKE_REASON =
  'states:SendTaskSuccess has no resource-level permissions (a task token is not an ARN); it is only used to wake the ' +
  'deployment that waits for a service lock, with the token that deployment left on the lock item.';
const SSM_READ_REASON =
  'ec2:DescribeInstances, ssm:DescribeInstanceInformation, ssm:ListCommandInvocations and ssm:GetCommandInvocation have no ' +
  'resource-level permissions (IAM only accepts "*"); they are read-only.';
const SSM_SEND_REASON =
  'ssm:SendCommand names the instances of the deployment, found by their tags at run time: any EC2 instance or managed ' +
  'instance of this account and region, but only with the AWS-RunShellScript document (the release script), granted separately.';
const SSM_CANCEL_REASON =
  'ssm:CancelCommand has no resource-level permissions (IAM only accepts "*"); a rollback cancels only the deploy commands its ' +
  'execution sent and left running (the ledger names them).';
const TARGET_HEALTH_REASON =
  'elasticloadbalancing:DescribeTargetHealth has no resource-level permissions (IAM only accepts "*"); it is read-only. ' +
  'RegisterTargets and DeregisterTargets are limited to the target groups of the config.';
const METRICS_REASON =
  'cloudwatch:GetMetricData has no resource-level permissions (IAM only accepts "*"); it is read-only and the handler ' +
  'only queries the AWS/ApplicationELB metrics of the configured target groups.';

/** Why RegisterTaskDefinition may pass any role of the account when a service does not list its task roles. */
const PASS_ANY_ACCOUNT_ROLE = {
  id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
  reason:
    "The new revision keeps the task role and execution role of the service's current task definition, which " +
    'are chosen by each service team and are not all listed in the deployer config (taskRoles). ' +
    'iam:PassedToService=ecs-tasks.amazonaws.com limits passing them to ECS tasks, and only roles of this account can be passed.',
};

/**
 * The roles RegisterTaskDefinition may pass to ECS: those every ECS service
 * lists in `taskRoles`, or, when one of them does not, any role of the account.
 */
function taskRoleArns(stack: Stack, config: DeployerConfig): string[] {
  const role = (name: string): string => stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: name });
  if (config.ecs.length === 0 || config.ecs.some((svc) => svc.taskRoles === undefined)) return [role('*')];
  return [...new Set(config.ecs.flatMap((svc) => svc.taskRoles ?? []))].sort().map(role);
}

/** `<bucket>/<prefix>*` of each VM service's artifacts, as cdk-nag names the resource. */
function distinctArtifactPrefixes(config: DeployerConfig): string[] {
  return [...new Set(config.vm.map((svc) => `${svc.artifacts.bucket}/${svc.artifacts.prefix}*`))];
}

/** The IAM policy of every function. */
export function functionPolicies(stack: Stack, ctx: FunctionPolicyContext): Record<FunctionKey, FunctionPolicy> {
  const { config, table, stateMachines, stateMachineNames } = ctx;
  const vm = vmResources(config);
  const executions = stateMachineNames.map((name) =>
    stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
  );
  const services = ecsServiceArns(stack, config);
  const createdCanaries = ecsServiceArns(stack, config, 'created-canaries');
  const taskDefinitions = stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: '*' });
  const passableRoles = taskRoleArns(stack, config);
  const alarms = alarmArns(stack, config);
  const { listeners, rules } = listenerArns(config);
  const hasTraffic = listeners.length + rules.length > 0;
  const machines = stateMachines.map((m) => m.stateMachineArn);
  // The same ARNs built from the names: a function that the state machines invoke cannot refer to them
  // by token without a dependency cycle (machine -> function -> policy -> machine).
  const machinesByName = stateMachineNames.map((name) =>
    stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
  );
  const events = allow(['events:PutEvents'], [defaultEventBusArn(stack)]);
  const metrics = hasTraffic ? allow(['cloudwatch:GetMetricData'], ['*']) : [];
  const metricsAck = hasTraffic ? [{ id: STAR, reason: METRICS_REASON }] : [];
  const describeServices = allow(['ecs:DescribeServices'], services);
  // Waking the deployment waiting for a lock: task tokens are not resources IAM can name.
  const wake = allow(['states:SendTaskSuccess'], ['*']);
  const wakeAck = [{ id: STAR, reason: WAKE_REASON }];

  return {
    ValidateInput: {
      statements: [
        // Resolves the pushed or requested tag to a digest, in configured repositories only (in the registry a service names, if any).
        ...allow(['ecr:DescribeImages'], ecrRepositoryArns(stack, config)),
        // A VM artifact exists (HeadObject needs s3:GetObject) and its KEY.sha256 is read, under the configured prefixes only.
        ...allow(['s3:GetObject'], artifactObjectArns(stack, config)),
      ],
      acknowledgments: distinctArtifactPrefixes(config).map((object) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${object}]`,
        reason:
          "The artifacts of a VM service are whatever is uploaded under its configured bucket and prefix; ValidateInput only reads (HeadObject, and the KEY.sha256 beside the artifact it was given).",
      })),
    },
    AcquireLock: {
      statements: [
        ...allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [table.tableArn]),
        // Is the execution holding the lock still running? (a lock whose holder ended is taken over)
        ...allow(['states:DescribeExecution'], executions),
        // ...or, when it was stopped after it changed something, restored first.
        ...allow(['states:StartExecution'], machinesByName),
      ],
      acknowledgments: stateMachineNames.map((name) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}:*]`,
        reason:
          "The lock holder is an execution of one of this stack's state machines whose name is only known at run time; " +
          "states:DescribeExecution is read-only and limited to those state machines' executions.",
      })),
    },
    AwaitLock: {
      statements: [...allow(['dynamodb:UpdateItem'], [table.tableArn]), ...wake],
      acknowledgments: wakeAck,
    },
    ReleaseLock: {
      statements: [...allow(['dynamodb:UpdateItem'], [table.tableArn]), ...wake],
      acknowledgments: wakeAck,
    },
    RecordEvent: {
      statements: [...allow(['dynamodb:UpdateItem'], [table.tableArn]), ...events],
      acknowledgments: [],
    },
    RequestApproval: {
      statements: [...allow(['dynamodb:UpdateItem'], [table.tableArn]), ...events],
      acknowledgments: [],
    },
    LoadRestore: {
      statements: allow(['dynamodb:GetItem'], [table.tableArn]),
      acknowledgments: [],
    },
    SnapshotServices: {
      statements: [...describeServices, ...allow(['ecs:DescribeTaskDefinition'], ['*'])],
      acknowledgments: [{ id: STAR, reason: DESCRIBE_TASK_DEFINITION_REASON }],
    },
    RegisterTaskDefinition: {
      statements: [
        ...allow(['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], ['*']),
        // Only the tags given with RegisterTaskDefinition itself; never re-tagging existing resources.
        ...allow(['ecs:TagResource'], [taskDefinitions], { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } }),
        // The new revision keeps the task and execution roles of the running one.
        ...allow(['iam:PassRole'], passableRoles, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
      ],
      acknowledgments: [
        {
          id: STAR,
          reason:
            'ecs:DescribeTaskDefinition and ecs:RegisterTaskDefinition have no resource-level permissions (IAM only accepts "*" for them). ' +
            'The revision only changes the image of the configured container (the handler copies everything else).',
        },
        {
          id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition/*]',
          reason:
            'The ARN of the revision being registered (family:revision) is not known in advance; the condition ' +
            'ecs:CreateAction=RegisterTaskDefinition limits ecs:TagResource to tagging it while it is created.',
        },
        ...(passableRoles.some((arn) => arn.endsWith(':role/*')) ? [PASS_ANY_ACCOUNT_ROLE] : []),
      ],
    },
    UpdateService: {
      statements: allow(['ecs:UpdateService'], services),
      acknowledgments: [],
    },
    CheckService: {
      // A side is ready for traffic once its targets are healthy in its target group.
      statements: [...describeServices, ...(hasTraffic ? allow(['elasticloadbalancing:DescribeTargetHealth'], ['*']) : [])],
      acknowledgments: hasTraffic ? [{ id: STAR, reason: ELB_DESCRIBE_REASON }] : [],
    },
    PrepareCanaryService: {
      statements: [
        ...allow(['ecs:DescribeServices', 'ecs:UpdateService'], services),
        ...allow(['ecs:CreateService'], createdCanaries),
        // Only the tags given with CreateService itself (who made the canary, for which deployment).
        ...allow(['ecs:TagResource'], createdCanaries, { StringEquals: { 'ecs:CreateAction': 'CreateService' } }),
      ],
      acknowledgments: [],
    },
    RestoreService: {
      statements: allow(['ecs:DescribeServices', 'ecs:UpdateService'], services),
      acknowledgments: [],
    },
    DeleteService: {
      statements: [...describeServices, ...allow(['ecs:DeleteService'], createdCanaries)],
      acknowledgments: [],
    },
    ReadWeights: {
      statements: hasTraffic ? allow(['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'], ['*']) : [],
      acknowledgments: hasTraffic ? [{ id: STAR, reason: ELB_DESCRIBE_REASON }] : [],
    },
    SetWeights: {
      statements: hasTraffic
        ? [
            ...allow(
              ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth'],
              ['*'],
            ),
            ...allow(['elasticloadbalancing:ModifyListener'], listeners),
            ...allow(['elasticloadbalancing:ModifyRule'], rules),
          ]
        : [],
      acknowledgments: hasTraffic ? [{ id: STAR, reason: ELB_DESCRIBE_REASON }] : [],
    },
    CheckDrained: {
      statements: metrics,
      acknowledgments: metricsAck,
    },
    CaptureBaseline: {
      // No DescribeAlarms statement when no service has alarms: the handler does not call it then.
      statements: [...allow(['cloudwatch:DescribeAlarms'], alarms), ...metrics],
      acknowledgments: metricsAck,
    },
    Verify: {
      statements: [
        ...allow(['cloudwatch:DescribeAlarms'], alarms),
        ...metrics,
        // The promote request (lock item) and each step's verdict (history item).
        ...allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [table.tableArn]),
      ],
      acknowledgments: metricsAck,
    },
    Trigger: {
      statements: allow(['states:StartExecution'], ctx.ecsStateMachines.map((m) => m.stateMachineArn)),
      acknowledgments: [],
    },
    ArtifactTrigger: {
      statements: vm.any ? allow(['states:StartExecution'], ctx.vmStateMachines.map((m) => m.stateMachineArn)) : [],
      acknowledgments: [],
    },
    ...vmFunctionPolicies(stack, vm, table, artifactObjectArns(stack, config), ctx.releaseScriptObjectArn),
    ExecutionEnded: {
      statements: [
        ...allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [table.tableArn]),
        // The restore run of a stopped deployment, on the state machine that ran it.
        ...allow(['states:StartExecution'], machines),
        ...events,
        ...wake,
      ],
      acknowledgments: wakeAck,
    },
    AuditLocks: {
      // Reads each configured service's lock item; its metrics are log lines.
      statements: allow(['dynamodb:GetItem'], [table.tableArn]),
      acknowledgments: [],
    },
  };
}

const SSM_INSTANCE_ARN_IDS = [
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:managed-instance/*]',
];

/** The VM functions: nothing at all unless the config has VM services, and only what their hosts involve. */
function vmFunctionPolicies(
  stack: Stack,
  vm: ReturnType<typeof vmResources>,
  table: dynamodb.ITable,
  artifactArns: string[],
  releaseScriptObjectArn: string | undefined,
): Record<'ResolveHosts' | 'ResolveSshHosts' | 'StartSsmBatch' | 'PollSsmBatch' | 'StartSshBatch' | 'PollSshBatch' | 'SetBatchTargets', FunctionPolicy> {
  const none: FunctionPolicy = { statements: [], acknowledgments: [] };
  if (!vm.any) {
    return { ResolveHosts: none, ResolveSshHosts: none, StartSsmBatch: none, PollSsmBatch: none, StartSshBatch: none, PollSshBatch: none, SetBatchTargets: none };
  }
  const ledgerWrite = allow(['dynamodb:UpdateItem'], [table.tableArn]);
  const ledger = allow(['dynamodb:Query', 'dynamodb:UpdateItem'], [table.tableArn]);
  const artifacts = allow(['s3:GetObject'], artifactArns);
  const artifactAcks = vm.artifactObjects.map((object) => ({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${object}]`,
    reason: "The artifacts are the objects under the service's configured prefix; the function presigns GETs of them for the hosts.",
  }));
  const secrets = allow(['secretsmanager:GetSecretValue'], vm.sshSecrets.map((s) => secretArn(stack, s)));
  const secretAcks = vm.sshSecrets
    .filter((s) => !s.startsWith('arn:'))
    .map((s) => ({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${s}-??????]`,
      reason: 'Secrets Manager appends 6 random characters to a secret\'s name in its ARN; the grant is the one secret the config names.',
    }));
  const sshRead = vm.ssh ? { statements: [...ledger, ...secrets], acknowledgments: secretAcks } : none;
  const ssmRead = [{ id: STAR, reason: SSM_READ_REASON }];
  return {
    ResolveHosts: vm.ssm
      ? { statements: [...allow(['ec2:DescribeInstances', 'ssm:DescribeInstanceInformation'], ['*']), ...ledgerWrite], acknowledgments: ssmRead }
      : none,
    ResolveSshHosts: vm.ssh ? { statements: [...secrets, ...ledgerWrite], acknowledgments: secretAcks } : none,
    StartSsmBatch: vm.ssm
      ? {
          statements: [
            ...allow(['ssm:SendCommand'], [
              stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: 'AWS-RunShellScript' }),
              stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' }),
              stack.formatArn({ service: 'ssm', resource: 'managed-instance', resourceName: '*' }),
            ]),
            ...allow(['ssm:CancelCommand'], ['*']),
            ...artifacts,
            // The release script the hosts download (presigned by this function).
            ...(releaseScriptObjectArn === undefined ? [] : allow(['s3:GetObject'], [releaseScriptObjectArn])),
            ...ledger,
          ],
          acknowledgments: [
            ...SSM_INSTANCE_ARN_IDS.map((id) => ({ id, reason: SSM_SEND_REASON })),
            { id: STAR, reason: SSM_CANCEL_REASON },
            ...artifactAcks,
          ],
        }
      : // Every rollback starts at RollbackSsmHosts, which reads the ledger for SSM hosts to return even when there are none.
        { statements: allow(['dynamodb:Query'], [table.tableArn]), acknowledgments: [] },
    PollSsmBatch: vm.ssm ? { statements: [...allow(['ssm:ListCommandInvocations', 'ssm:GetCommandInvocation'], ['*']), ...ledger], acknowledgments: ssmRead } : none,
    StartSshBatch: vm.ssh
      ? {
          statements: [...sshRead.statements, ...artifacts],
          acknowledgments: [
            ...secretAcks,
            ...artifactAcks,
          ],
        }
      : none,
    PollSshBatch: sshRead,
    SetBatchTargets: {
      statements: [
        ...ledger,
        ...(vm.targetGroups.length > 0 ? allow(['elasticloadbalancing:DescribeTargetHealth'], ['*']) : []),
        ...allow(['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'], vm.targetGroups),
      ],
      acknowledgments: vm.targetGroups.length > 0 ? [{ id: STAR, reason: TARGET_HEALTH_REASON }] : [],
    },
  };
}
