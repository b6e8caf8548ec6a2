import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDeployerStack } from '../../infra/deployer-app.ts';
import { ALL_FUNCTIONS, type FunctionKey } from '../../lambdas/registry.ts';
import { parseConfig } from '../../lambdas/shared/config.ts';
import { cdkJsonContext, synthDeployer, type DeployerSynth } from '../support/synth.ts';
import {
  functionArn,
  functionLogicalIds,
  functionStatements,
  functionsInvokableByStateMachine,
  getAttOf,
  isAllowed,
  resolveValue,
  stateMachineLogicalIds,
  stateMachineNames,
  TABLE_LOGICAL_ID,
  tableLogicalId,
  wildcardMatch,
  type CfnTemplateJson,
  type ResolvedStatement,
} from '../support/template-policies.ts';

let synth: DeployerSynth;
let statements: Record<FunctionKey, ResolvedStatement[]>;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE_LOGICAL_ID}`;
const service = (cluster: string, name: string): string => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`;
const alarm = (name: string): string => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
const repository = (name: string): string => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
const DEFAULT_BUS = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
/** The example config's load balancer resources. */
const CHECKOUT_LISTENER = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const PAYMENTS_RULE = `${ELB}:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const PAYMENTS_TEST_LISTENER = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/0467ef3c8400ae65`;
/** Every ECS service the example config deploys. */
const SERVICES = ['web', 'orders-api', 'checkout', 'checkout-canary', 'payments-blue', 'payments-green'].map((name) => service('prod', name));
const ALARMS = ['web-5xx-rate', 'web-p99-latency', 'orders-api-5xx-rate', 'checkout-5xx-rate', 'payments-5xx-rate'].map(alarm);
const on = (action: string, resources: string[]): [string, string][] => resources.map((r) => [action, r]);
const ECS_MACHINES = ['EcsDeployer-ecs-rolling', 'EcsDeployer-ecs-canary', 'EcsDeployer-ecs-blue-green'];
const VM_MACHINES = ['EcsDeployer-vm-rolling', 'EcsDeployer-vm-canary', 'EcsDeployer-vm-blue-green'];
const MACHINES = [...ECS_MACHINES, ...VM_MACHINES];
/** The target groups of the example's VM services. */
const VM_TARGET_GROUPS = ['api-vm/6d0ecf831eec9f09', 'portal-blue/3e1f8c2a9b7d6e54', 'portal-green/7a2b9c4d1e3f5a68'].map((tg) => `${ELB}:targetgroup/${tg}`);
const machine = (name: string): string => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const DEAD_LETTERS = `arn:aws:sqs:${REGION}:${ACCOUNT}:EcsDeployer-dead-letters`;

beforeAll(async () => {
  synth = await synthDeployer();
  statements = functionStatements(synth.template);
});

describe('template-policies helper', () => {
  it('resolves intrinsics with fake account, region and logical-ID names', () => {
    const t: CfnTemplateJson = {
      Resources: {
        Table: { Type: 'AWS::DynamoDB::Table' },
        Fn: { Type: 'AWS::Lambda::Function' },
        Machine: { Type: 'AWS::StepFunctions::StateMachine' },
        Group: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/x' } },
      },
    };
    expect(
      resolveValue(t, {
        a: { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }]] },
        b: { 'Fn::GetAtt': ['Table', 'Arn'] },
        c: { Ref: 'Table' },
        d: { Ref: 'Machine' },
        e: { 'Fn::Sub': 'x-${Fn.Arn}-${AWS::Region}-${!Literal}' },
        f: [{ Ref: 'AWS::NoValue' }, { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] }],
        g: { 'Fn::GetAtt': ['Group', 'Arn'] },
      }),
    ).toEqual({
      a: 'arn:aws:us-east-1:123456789012',
      b: 'arn:aws:dynamodb:us-east-1:123456789012:table/Table',
      c: 'Table',
      d: 'arn:aws:states:us-east-1:123456789012:stateMachine:Machine',
      e: 'x-arn:aws:lambda:us-east-1:123456789012:function:Fn-us-east-1-${Literal}',
      f: ['b'],
      g: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/x:*',
    });
  });

  it('matches IAM wildcards: actions case-insensitively, resources exactly', () => {
    expect(wildcardMatch('ecs:Describe*', 'ECS:describeServices', true)).toBe(true);
    expect(wildcardMatch('arn:aws:ecs:*:*:service/prod/*', 'arn:aws:ecs:us-east-1:1:service/prod/web')).toBe(true);
    expect(wildcardMatch('arn:aws:ecs:*:*:service/Prod/*', 'arn:aws:ecs:us-east-1:1:service/prod/web')).toBe(false);
    expect(wildcardMatch('arn:aws:s3:::b?', 'arn:aws:s3:::b1')).toBe(true);
    expect(wildcardMatch('a.b', 'axb')).toBe(false);
    const s: ResolvedStatement[] = [
      { Effect: 'Allow', Action: ['ecs:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['ecs:UpdateService'], Resource: ['*'] },
    ];
    expect(isAllowed(s, 'ecs:DescribeServices', 'x')).toBe(true);
    expect(isAllowed(s, 'ecs:UpdateService', 'x')).toBe(false);
    expect(isAllowed([{ Effect: 'Allow', NotAction: ['iam:*'], Resource: ['*'] }], 'iam:PassRole', 'x')).toBe(false);
  });

  it('finds every function by its registry key', () => {
    const ids = functionLogicalIds(synth.template);
    expect(functionLogicalIds(Template.fromJSON(synth.template))).toEqual(ids);
    expect(Object.keys(ids).sort()).toEqual(Object.keys(ALL_FUNCTIONS).sort());
    for (const [key, id] of Object.entries(ids)) {
      expect(id.startsWith(`${key}Function`)).toBe(true);
      expect(functionArn(synth.template, key as FunctionKey)).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`);
    }
  });

  it('exports the table logical ID, which is the fake table name', () => {
    expect(tableLogicalId(synth.template)).toBe(TABLE_LOGICAL_ID);
    expect(getAttOf(synth.template, TABLE_LOGICAL_ID, 'Arn')).toBe(TABLE_ARN);
  });

  it('lists the functions each state machine invokes', () => {
    const machines = stateMachineLogicalIds(synth.template);
    expect(Object.keys(machines).sort()).toEqual([...MACHINES].sort());
    for (const id of Object.values(machines)) {
      const invoked = functionsInvokableByStateMachine(synth.template, id);
      expect(invoked).toContain('Verify');
      expect(invoked).not.toContain('Trigger');
      expect(invoked).not.toContain('ExecutionEnded');
    }
    expect(functionsInvokableByStateMachine(synth.template, machines['EcsDeployer-ecs-rolling']!)).not.toContain('SetWeights');
  });

  it('answers the questions of the IAM coverage test', () => {
    expect(isAllowed(statements.Verify, 'cloudwatch:DescribeAlarms', alarm('web-5xx-rate'))).toBe(true);
    expect(isAllowed(statements.Verify, 'cloudwatch:DescribeAlarms', alarm('other-alarm'))).toBe(false);
    expect(isAllowed(statements.AcquireLock, 'ecs:UpdateService', service('prod', 'web'))).toBe(false);
  });
});

/** What each function's handler calls; everything else must be refused. */
const EXPECTED: Record<FunctionKey, [action: string, resource: string][]> = {
  ValidateInput: [
    ...on('ecr:DescribeImages', ['web', 'team/orders-api', 'checkout', 'payments'].map(repository)),
    // The example's VM artifacts and their KEY.sha256 beside them.
    ...on('s3:GetObject', ['api/api-vm-1.4.0.tar.gz', 'api/api-vm-1.4.0.tar.gz.sha256', 'worker/w-2.tgz.sha256', 'portal/p.tar.gz'].map((key) => `arn:aws:s3:::acme-artifacts/${key}`)),
  ],
  AcquireLock: [
    ['dynamodb:GetItem', TABLE_ARN],
    ['dynamodb:UpdateItem', TABLE_ARN],
    ...on('states:DescribeExecution', MACHINES.map((m) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${m}:web-v1-1-0`)),
    ...on('states:StartExecution', MACHINES.map(machine)),
  ],
  AwaitLock: [
    ['dynamodb:UpdateItem', TABLE_ARN],
    ['states:SendTaskSuccess', '*'],
  ],
  ReleaseLock: [
    ['dynamodb:UpdateItem', TABLE_ARN],
    ['states:SendTaskSuccess', '*'],
  ],
  RecordEvent: [
    ['dynamodb:UpdateItem', TABLE_ARN],
    ['events:PutEvents', DEFAULT_BUS],
  ],
  RequestApproval: [
    ['dynamodb:UpdateItem', TABLE_ARN],
    ['events:PutEvents', DEFAULT_BUS],
  ],
  LoadRestore: [['dynamodb:GetItem', TABLE_ARN]],
  SnapshotServices: [...on('ecs:DescribeServices', SERVICES), ['ecs:DescribeTaskDefinition', '*']],
  RegisterTaskDefinition: [
    ['ecs:DescribeTaskDefinition', '*'],
    ['ecs:RegisterTaskDefinition', '*'],
    ['ecs:TagResource', `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:42`],
    ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/web-task-role`],
  ],
  UpdateService: on('ecs:UpdateService', SERVICES),
  CheckService: [...on('ecs:DescribeServices', SERVICES), ['elasticloadbalancing:DescribeTargetHealth', '*']],
  PrepareCanaryService: [
    ...on('ecs:DescribeServices', SERVICES),
    ...on('ecs:UpdateService', SERVICES),
    ['ecs:CreateService', service('prod', 'checkout-canary')],
    ['ecs:TagResource', service('prod', 'checkout-canary')],
  ],
  RestoreService: [...on('ecs:DescribeServices', SERVICES), ...on('ecs:UpdateService', SERVICES)],
  DeleteService: [...on('ecs:DescribeServices', SERVICES), ['ecs:DeleteService', service('prod', 'checkout-canary')]],
  ReadWeights: [
    ['elasticloadbalancing:DescribeListeners', '*'],
    ['elasticloadbalancing:DescribeRules', '*'],
  ],
  SetWeights: [
    ['elasticloadbalancing:DescribeListeners', '*'],
    ['elasticloadbalancing:DescribeRules', '*'],
    ['elasticloadbalancing:DescribeTargetHealth', '*'],
    ['elasticloadbalancing:ModifyListener', CHECKOUT_LISTENER],
    ['elasticloadbalancing:ModifyListener', PAYMENTS_TEST_LISTENER],
    ['elasticloadbalancing:ModifyRule', PAYMENTS_RULE],
  ],
  CheckDrained: [['cloudwatch:GetMetricData', '*']],
  CaptureBaseline: [...on('cloudwatch:DescribeAlarms', ALARMS), ['cloudwatch:GetMetricData', '*']],
  Verify: [
    ...on('cloudwatch:DescribeAlarms', ALARMS),
    ['cloudwatch:GetMetricData', '*'],
    ['dynamodb:GetItem', TABLE_ARN],
    ['dynamodb:UpdateItem', TABLE_ARN],
  ],
  Trigger: [...on('states:StartExecution', ECS_MACHINES.map(machine)), ['sqs:SendMessage', DEAD_LETTERS]],
  // The example's VM services are SSM ones (EC2 tags, instance IDs): no SSH function may do anything.
  ArtifactTrigger: [...on('states:StartExecution', VM_MACHINES.map(machine)), ['sqs:SendMessage', DEAD_LETTERS]],
  ResolveHosts: [
    ['ec2:DescribeInstances', '*'],
    ['ssm:DescribeInstanceInformation', '*'],
    ['dynamodb:UpdateItem', TABLE_ARN],
  ],
  ResolveSshHosts: [],
  StartSsmBatch: [
    ['ssm:SendCommand', `arn:aws:ssm:${REGION}::document/AWS-RunShellScript`],
    ['ssm:SendCommand', `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0a1b2c3d4e5f60718`],
    ['ssm:SendCommand', `arn:aws:ssm:${REGION}:${ACCOUNT}:managed-instance/mi-0a1b2c3d4e5f60718`],
    // Presigns GETs of the artifacts for the hosts.
    ...on('s3:GetObject', ['api/api-vm-1.4.0.tar.gz', 'api/api-vm-1.4.0.tar.gz.sha256', 'worker/w-2.tgz.sha256', 'portal/p.tar.gz'].map((key) => `arn:aws:s3:::acme-artifacts/${key}`)),
    ['dynamodb:Query', TABLE_ARN],
    ['dynamodb:UpdateItem', TABLE_ARN],
  ],
  PollSsmBatch: [
    ['ssm:ListCommandInvocations', '*'],
    ['ssm:GetCommandInvocation', '*'],
    ['dynamodb:Query', TABLE_ARN],
    ['dynamodb:UpdateItem', TABLE_ARN],
  ],
  StartSshBatch: [],
  PollSshBatch: [],
  SetBatchTargets: [
    ['dynamodb:Query', TABLE_ARN],
    ['dynamodb:UpdateItem', TABLE_ARN],
    ['elasticloadbalancing:DescribeTargetHealth', '*'],
    ...VM_TARGET_GROUPS.flatMap((tg): [string, string][] => [
      ['elasticloadbalancing:RegisterTargets', tg],
      ['elasticloadbalancing:DeregisterTargets', tg],
    ]),
  ],
  AuditLocks: [['dynamodb:GetItem', TABLE_ARN]],
  ExecutionEnded: [
    ['sqs:SendMessage', DEAD_LETTERS],
    ['dynamodb:GetItem', TABLE_ARN],
    ['dynamodb:UpdateItem', TABLE_ARN],
    ['events:PutEvents', DEFAULT_BUS],
    ...on('states:StartExecution', MACHINES.map(machine)),
    ['states:SendTaskSuccess', '*'],
  ],
};

/** Calls no function may make (wider than any handler needs). */
const REFUSED: [action: string, resource: string][] = [
  ['dynamodb:DeleteItem', TABLE_ARN],
  ['dynamodb:Scan', TABLE_ARN],
  ['dynamodb:PutItem', TABLE_ARN],
  ['ecs:UpdateService', service('prod', 'billing')],
  ['ecs:UpdateService', service('staging', 'web')],
  ['ecs:DeleteService', service('prod', 'web')],
  ['ecs:DeleteService', service('prod', 'checkout')],
  ['ecs:CreateService', service('prod', 'web-canary')],
  ['elasticloadbalancing:ModifyListener', `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/aaaaaaaaaaaaaaaa`],
  ['elasticloadbalancing:ModifyRule', `${ELB}:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/aaaaaaaaaaaaaaaa`],
  ['elasticloadbalancing:DeleteListener', CHECKOUT_LISTENER],
  ['elasticloadbalancing:RegisterTargets', '*'],
  ['ecs:DescribeServices', service('other', 'web')],
  ['ecr:DescribeImages', repository('other')],
  ['ecr:PutImage', repository('web')],
  ['s3:GetObject', 'arn:aws:s3:::acme-artifacts/other/api-vm-1.4.0.tar.gz'],
  ['s3:GetObject', 'arn:aws:s3:::other-bucket/api/api-vm-1.4.0.tar.gz'],
  ['s3:PutObject', 'arn:aws:s3:::acme-artifacts/api/api-vm-1.4.0.tar.gz'],
  ['elasticloadbalancing:RegisterTargets', `${ELB}:targetgroup/other/0123456789abcdef`],
  ['ssm:SendCommand', `arn:aws:ssm:${REGION}::document/AWS-RunPowerShellScript`],
  ['secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:deployer/web-key-AbCdEf`],
  ['cloudwatch:DescribeAlarms', alarm('unrelated')],
  ['cloudwatch:DescribeAlarms', `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*`],
  ['events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/other`],
  ['iam:PassRole', `arn:aws:iam::999999999999:role/x`],
  ['states:StartExecution', `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Other`],
  ['lambda:InvokeFunction', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:Other`],
  ['sns:Publish', `arn:aws:sns:${REGION}:${ACCOUNT}:Other`],
  ['states:DescribeExecution', `arn:aws:states:${REGION}:${ACCOUNT}:execution:Other:x`],
];

describe('function policies', () => {
  it.each(Object.keys(EXPECTED) as FunctionKey[])('%s may make exactly the calls of its handler', (key) => {
    const expected = [...EXPECTED[key]];
    expect(stateMachineNames(synth.template)).toEqual([...MACHINES].sort());
    for (const [action, resource] of expected) {
      expect(isAllowed(statements[key], action, resource), `${key} ${action} ${resource}`).toBe(true);
    }
    // Every other function is refused these calls, unless it needs the same one.
    for (const other of Object.keys(EXPECTED) as FunctionKey[]) {
      for (const [action, resource] of expected) {
        const needed = EXPECTED[other].some(([a, r]) => a === action && r === resource);
        if (other !== key && !needed) {
          expect(isAllowed(statements[other], action, resource), `${other} ${action} ${resource}`).toBe(false);
        }
      }
    }
    for (const [action, resource] of REFUSED) {
      expect(isAllowed(statements[key], action, resource), `${key} ${action} ${resource}`).toBe(false);
    }
  });

  it('grants ECS tagging only with the creation of the tagged resource', () => {
    expect(statements.PrepareCanaryService.filter((s) => s.Condition !== undefined)).toEqual([
      expect.objectContaining({ Action: ['ecs:TagResource'], Condition: { StringEquals: { 'ecs:CreateAction': 'CreateService' } } }),
    ]);
  });

  it('grants conditions on the wildcard ECS tagging and role passing', () => {
    const conditions = statements.RegisterTaskDefinition.filter((s) => s.Condition !== undefined);
    expect(conditions).toEqual([
      expect.objectContaining({
        Action: ['ecs:TagResource'],
        Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
      expect.objectContaining({
        Action: ['iam:PassRole'],
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    ]);
  });

  it('uses no wildcard actions', () => {
    for (const key of Object.keys(statements) as FunctionKey[]) {
      for (const s of statements[key]) {
        expect(s.NotAction).toBeUndefined();
        for (const action of s.Action ?? []) expect(action, key).not.toContain('*');
      }
    }
  });
});

describe('a service whose images come from another registry', () => {
  /** The stack for `ecs`, without bundling (this is about IAM only). */
  function statementsFor(ecs: Record<string, unknown>[]): Record<FunctionKey, ResolvedStatement[]> {
    const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
    const stack = addDeployerStack(app, parseConfig({ ecs }));
    return functionStatements(app.synth().getStackByName(stack.stackName).template as CfnTemplateJson);
  }
  const svc = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    strategy: 'rolling',
    cluster: 'prod',
    service: name,
    container: 'app',
    repository: name,
    tagPattern: 'v*',
    ...extra,
  });

  it('lets ValidateInput describe images in that registry’s repository, and the others in the stack’s own', () => {
    // Prepare
    const shared = { accountId: '111122223333', region: 'eu-west-1' };

    // Act
    const { ValidateInput } = statementsFor([svc('web', { registry: shared }), svc('api')]);

    // Assess
    expect(isAllowed(ValidateInput, 'ecr:DescribeImages', 'arn:aws:ecr:eu-west-1:111122223333:repository/web')).toBe(true);
    expect(isAllowed(ValidateInput, 'ecr:DescribeImages', repository('api'))).toBe(true);
    // Never the same repository name in a registry the config does not name for it.
    expect(isAllowed(ValidateInput, 'ecr:DescribeImages', repository('web'))).toBe(false);
    expect(isAllowed(ValidateInput, 'ecr:DescribeImages', 'arn:aws:ecr:us-east-1:111122223333:repository/web')).toBe(false);
    expect(isAllowed(ValidateInput, 'ecr:DescribeImages', 'arn:aws:ecr:eu-west-1:111122223333:repository/api')).toBe(false);
  });
  it('passes only the roles the services list in taskRoles, when every service lists them', () => {
    // Act
    const { RegisterTaskDefinition } = statementsFor([
      svc('web', { taskRoles: ['web-task', 'web-execution'] }),
      svc('api', { taskRoles: ['service-role/api-task', 'web-execution'] }),
    ]);

    // Assess
    for (const role of ['web-task', 'web-execution', 'service-role/api-task']) {
      expect(isAllowed(RegisterTaskDefinition, 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/${role}`), role).toBe(true);
    }
    expect(isAllowed(RegisterTaskDefinition, 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/admin`)).toBe(false);
  });

  it('passes any role of the account to ECS tasks when a service does not list its task roles', () => {
    // Act
    const { RegisterTaskDefinition } = statementsFor([svc('web', { taskRoles: ['web-task'] }), svc('api')]);

    // Assess
    expect(isAllowed(RegisterTaskDefinition, 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/api-task`)).toBe(true);
    expect(isAllowed(RegisterTaskDefinition, 'iam:PassRole', 'arn:aws:iam::999999999999:role/api-task')).toBe(false);
  });
});
