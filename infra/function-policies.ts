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
import { alarmArns, defaultEventBusArn, ecrRepositoryArns, ecsServiceArns } from './config-resources.ts';

/** The resources the statements refer to. */
export interface FunctionPolicyContext {
  /** Validated config: which services, repositories and alarms exist. */
  readonly config: DeployerConfig;
  /** Lock and history table. */
  readonly table: dynamodb.ITable;
  /** The state machine the Trigger starts. */
  readonly stateMachine: sfn.IStateMachine;
  /** Its name, as a plain string (see `ecsRollingStateMachineName`). */
  readonly stateMachineName: string;
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

/** An Allow statement, or nothing when there is no resource to allow (empty config). */
function allow(actions: string[], resources: string[], conditions?: iam.PolicyStatementProps['conditions']): iam.PolicyStatement[] {
  if (resources.length === 0) return [];
  return [new iam.PolicyStatement({ effect: iam.Effect.ALLOW, actions, resources, ...(conditions ? { conditions } : {}) })];
}

const DESCRIBE_TASK_DEFINITION_REASON =
  'ecs:DescribeTaskDefinition has no resource-level permissions (IAM only accepts "*" for it); it is read-only.';

/** The IAM policy of every function. */
export function functionPolicies(stack: Stack, ctx: FunctionPolicyContext): Record<FunctionKey, FunctionPolicy> {
  const { config, table, stateMachine, stateMachineName } = ctx;
  const executions = stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const services = ecsServiceArns(stack, config);
  const taskDefinitions = stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: '*' });
  const accountRoles = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' });

  return {
    ValidateInput: {
      // Resolves the pushed or requested tag to a digest, in configured repositories only.
      statements: allow(['ecr:DescribeImages'], ecrRepositoryArns(stack, config)),
      acknowledgments: [],
    },
    AcquireLock: {
      statements: [
        ...allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [table.tableArn]),
        // Is the execution holding the lock still running? (a lock whose holder ended is taken over)
        ...allow(['states:DescribeExecution'], [executions]),
      ],
      acknowledgments: [
        {
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName}:*]`,
          reason:
            'The lock holder is an execution of this stack\'s rolling state machine whose name is only known at run time; ' +
            'states:DescribeExecution is read-only and limited to that state machine\'s executions.',
        },
      ],
    },
    ReleaseLock: {
      statements: allow(['dynamodb:UpdateItem'], [table.tableArn]),
      acknowledgments: [],
    },
    DescribeService: {
      statements: [
        ...allow(['ecs:DescribeServices'], services),
        ...allow(['ecs:DescribeTaskDefinition'], ['*']),
      ],
      acknowledgments: [{ id: 'AwsSolutions-IAM5[Resource::*]', reason: DESCRIBE_TASK_DEFINITION_REASON }],
    },
    RegisterTaskDefinition: {
      statements: [
        ...allow(['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], ['*']),
        // Only the tags given with RegisterTaskDefinition itself; never re-tagging existing resources.
        ...allow(['ecs:TagResource'], [taskDefinitions], { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } }),
        // The new revision keeps the task and execution roles of the running one.
        ...allow(['iam:PassRole'], [accountRoles], { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
      ],
      acknowledgments: [
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
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
        {
          id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*]',
          reason:
            'The new revision keeps the task role and execution role of the service\'s current task definition, which ' +
            'are chosen by each service team and are not in the deployer config. iam:PassedToService=ecs-tasks.amazonaws.com ' +
            'limits passing them to ECS tasks, and only roles of this account can be passed.',
        },
      ],
    },
    UpdateService: {
      statements: allow(['ecs:UpdateService'], services),
      acknowledgments: [],
    },
    CheckRollout: {
      statements: allow(['ecs:DescribeServices'], services),
      acknowledgments: [],
    },
    Verify: {
      // No statement when no service has alarms: the handler does not call
      // DescribeAlarms then (without names it would list every alarm).
      statements: allow(['cloudwatch:DescribeAlarms'], alarmArns(stack, config)),
      acknowledgments: [],
    },
    RecordEvent: {
      statements: [
        ...allow(['dynamodb:UpdateItem'], [table.tableArn]),
        ...allow(['events:PutEvents'], [defaultEventBusArn(stack)]),
      ],
      acknowledgments: [],
    },
    Trigger: {
      statements: allow(['states:StartExecution'], [stateMachine.stateMachineArn]),
      acknowledgments: [],
    },
    ExecutionEnded: {
      statements: allow(['dynamodb:GetItem', 'dynamodb:UpdateItem'], [table.tableArn]),
      acknowledgments: [],
    },
  };
}
