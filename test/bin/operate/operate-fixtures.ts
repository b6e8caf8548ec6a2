/**
 * A deployer installed in a mocked AWS account, for the operator command
 * tests: a config with one ECS service and one VM service per strategy (written as
 * deployer.config.yaml in a fresh current directory), the stack's outputs,
 * lock items, executions and their history, listener weights.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, vi } from 'vitest';
import { runOperatorCommand } from '../../../bin/cli/operate/index.ts';

export const cloudFormation = mockClient(CloudFormationClient);
export const stepFunctions = mockClient(SFNClient);
export const table = mockClient(DynamoDBDocumentClient);
export const loadBalancing = mockClient(ElasticLoadBalancingV2Client);

export const TABLE = 'EcsDeployer-DeploymentsTable-1ABC2DEF3GHI';
const STATES = 'arn:aws:states:us-east-1:123456789012';
const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
export const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const DIGEST = 'sha256:5f2a9c3e1b7d4a6f8e0c2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a';

/** The listener the canary service `checkout` reweights. */
export const CHECKOUT_LISTENER = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const CHECKOUT_TG = `${ELB}:targetgroup/checkout/73e2d6bc24d8a067`;
export const CHECKOUT_CANARY_TG = `${ELB}:targetgroup/checkout-canary/2453ed029918f21f`;
/** The listener rule the blue-green service `payments` reweights. */
export const PAYMENTS_RULE = `${ELB}:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
export const PAYMENTS_BLUE_TG = `${ELB}:targetgroup/payments-blue/a1b2c3d4e5f60718`;
export const PAYMENTS_GREEN_TG = `${ELB}:targetgroup/payments-green/8192a3b4c5d6e7f0`;

/** The listener the VM blue-green service `portal-vm` reweights, and its groups' target groups. */
export const PORTAL_LISTENER = `${ELB}:listener/app/portal-alb/8f3e2d1c0b9a8776/5c4b3a2918070605`;
export const PORTAL_BLUE_TG = `${ELB}:targetgroup/portal-blue/3e1f8c2a9b7d6e54`;
export const PORTAL_GREEN_TG = `${ELB}:targetgroup/portal-green/7a2b9c4d1e3f5a68`;

export const CHECKOUT_EXECUTION = `${STATES}:execution:EcsDeployer-ecs-canary:checkout-5f2a9c3e1b7d`;
/** The restore run the watcher starts after checkout's deployment was stopped. */
export const CHECKOUT_RESTORE = `${CHECKOUT_EXECUTION}-restore`;
export const PAYMENTS_EXECUTION = `${STATES}:execution:EcsDeployer-ecs-blue-green:payments-0c1d2e3f4a5b`;
export const WEB_EXECUTION = `${STATES}:execution:EcsDeployer-ecs-rolling:web-9e8d7c6b5a49`;
/** Executions of the VM services: api-vm (rolling), worker-vm (canary), portal-vm (blue-green). */
export const API_VM_EXECUTION = `${STATES}:execution:EcsDeployer-vm-rolling:api-vm-6c1f0a2b3d4e`;
export const WORKER_VM_EXECUTION = `${STATES}:execution:EcsDeployer-vm-canary:worker-vm-2b3c4d5e6f70`;
export const PORTAL_VM_EXECUTION = `${STATES}:execution:EcsDeployer-vm-blue-green:portal-vm-7d8e9f0a1b2c`;
/** An artifact of worker-vm, as the lock and history show it (its S3 URI). */
export const WORKER_ARTIFACT = 's3://acme-artifacts/worker/worker-vm-2.0.0.tar.gz';
export const CHECKOUT_IMAGE = `${REGISTRY}/checkout@${DIGEST}`;
export const PAYMENTS_IMAGE = `${REGISTRY}/payments@${DIGEST}`;

/** "Now" in every test: 20 minutes after the deployments started. */
export const NOW = new Date('2026-02-03T12:20:00.000Z');
export const STARTED = new Date('2026-02-03T12:00:00.000Z');

export const STACK_OUTPUTS = {
  TableName: TABLE,
  RollingStateMachineArn: `${STATES}:stateMachine:EcsDeployer-ecs-rolling`,
  CanaryStateMachineArn: `${STATES}:stateMachine:EcsDeployer-ecs-canary`,
  BlueGreenStateMachineArn: `${STATES}:stateMachine:EcsDeployer-ecs-blue-green`,
  VmRollingStateMachineArn: `${STATES}:stateMachine:EcsDeployer-vm-rolling`,
  VmCanaryStateMachineArn: `${STATES}:stateMachine:EcsDeployer-vm-canary`,
  VmBlueGreenStateMachineArn: `${STATES}:stateMachine:EcsDeployer-vm-blue-green`,
  TopicArn: 'arn:aws:sns:us-east-1:123456789012:EcsDeployer-Notifications',
};

const CONFIG = `
ecs:
  - name: web
    strategy: rolling
    cluster: prod
    service: web
    container: app
    repository: web
    tagPattern: "v*"
  - name: checkout
    strategy: canary
    cluster: prod
    service: checkout
    container: app
    repository: checkout
    tagPattern: "v*"
    loadBalancer:
      listener: ${CHECKOUT_LISTENER}
      targetGroup: ${CHECKOUT_TG}
      canaryTargetGroup: ${CHECKOUT_CANARY_TG}
    steps:
      - { weight: 10, bake: 5m }
      - { weight: 25, bake: 5m }
      - { approval: true }
      - { weight: 50, bake: 10m }
      - { weight: 100, bake: 5m }
  - name: payments
    strategy: blue-green
    cluster: prod
    container: app
    repository: payments
    tagPattern: "v*"
    blue: { service: payments-blue, targetGroup: ${PAYMENTS_BLUE_TG} }
    green: { service: payments-green, targetGroup: ${PAYMENTS_GREEN_TG} }
    loadBalancer:
      listener: ${PAYMENTS_RULE}
    steps:
      - { weight: 10, bake: 2m }
      - { approval: true, timeout: 1h }
      - { weight: 100, bake: 5m }
vm:
  - name: api-vm
    strategy: rolling
    artifacts: { bucket: acme-artifacts, prefix: api/ }
    targets: { ec2Tags: { app: api } }
    install: { dir: /opt/api }
    batches: ["25%", "50%", "100%"]
  - name: worker-vm
    strategy: canary
    artifacts: { bucket: acme-artifacts, prefix: worker/ }
    targets: { instanceIds: [i-0a1b2c3d4e5f60718, i-0b2c3d4e5f6071829, i-0c3d4e5f607182930] }
    install: { dir: /opt/worker }
    batches: [1, "100%"]
    canary: { bake: 10m, approval: true }
  - name: portal-vm
    strategy: blue-green
    artifacts: { bucket: acme-artifacts, prefix: portal/ }
    blue: { ec2Tags: { app: portal, color: blue }, targetGroup: ${PORTAL_BLUE_TG} }
    green: { ec2Tags: { app: portal, color: green }, targetGroup: ${PORTAL_GREEN_TG} }
    loadBalancer: { listener: ${PORTAL_LISTENER} }
    install: { dir: /opt/portal }
    steps: [{ weight: 100, bake: 5m }]
`;

/** Key of a service's lock item. */
export function lockKey(service: string): { pk: string; sk: string } {
  return { pk: `SERVICE#${service}`, sk: 'LOCK' };
}

/** The stack is installed with every output the CLI reads. */
export function stackInstalled(outputs: Record<string, string> = STACK_OUTPUTS): void {
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'EcsDeployer',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-01-01T00:00:00Z'),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

/** The lock item of `service` (no item at all when `item` is undefined). */
export function lockIs(service: string, item: Record<string, unknown> | undefined): void {
  table.on(GetCommand, { Key: lockKey(service) }).resolves(item === undefined ? {} : { Item: { ...lockKey(service), ...item } });
}

/** A lock held by `executionArn` since the deployments started. */
export function heldBy(executionArn: string, image: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { holder: executionArn, holderImage: image, heldSince: STARTED.toISOString(), latestExecution: executionArn, ...extra };
}

/** Step Functions reports `executionArn` with `status`. */
export function executionIs(executionArn: string, status: ExecutionStatus, input: Record<string, unknown> = {}): void {
  stepFunctions.on(DescribeExecutionCommand, { executionArn }).resolves({
    executionArn,
    stateMachineArn: executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
    name: executionArn.slice(executionArn.lastIndexOf(':') + 1),
    status,
    startDate: STARTED,
    input: JSON.stringify(input),
  });
}

/** The approval worker-vm's canary waits for after its first batch (a VM canary's approval is step 0). */
export const WORKER_VM_APPROVAL = {
  token: 'AQCEAAAAKgAAAAMAAAAAAAAAAb2tMSNl1gA/worker-vm-canary',
  executionArn: WORKER_VM_EXECUTION,
  step: 0,
  requestedAt: '2026-02-03T12:13:00.000Z',
  timeoutAt: '2026-02-03T16:13:00.000Z',
};

/** worker-vm's canary deployment runs; with `approval`, it waits for {@link WORKER_VM_APPROVAL}. */
export function workerVmDeploying(options: { approval?: boolean } = {}): void {
  lockIs('worker-vm', heldBy(WORKER_VM_EXECUTION, WORKER_ARTIFACT, options.approval === true ? { approval: WORKER_VM_APPROVAL } : {}));
  executionIs(WORKER_VM_EXECUTION, 'RUNNING', { service: 'worker-vm', artifact: WORKER_ARTIFACT, startedBy: 's3-upload' });
}

/** How an execution looks at one poll: its status and, once ended, when and why. */
export interface ExecutionPoll {
  status: ExecutionStatus;
  stopDate?: Date;
  error?: string;
  cause?: string;
}

/**
 * Step Functions reports `executionArn` as each of `polls` in turn, one per
 * DescribeExecution, and as the last one from then on.
 */
export function executionGoesThrough(executionArn: string, polls: ExecutionPoll[], input: Record<string, unknown> = {}, startDate = STARTED): void {
  const output = (poll: ExecutionPoll): DescribeExecutionCommandOutput => ({
    $metadata: {},
    executionArn,
    stateMachineArn: executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
    name: executionArn.slice(executionArn.lastIndexOf(':') + 1),
    startDate,
    input: JSON.stringify(input),
    ...poll,
  });
  let behaviour = stepFunctions.on(DescribeExecutionCommand, { executionArn });
  for (const poll of polls.slice(0, -1)) behaviour = behaviour.resolvesOnce(output(poll));
  behaviour.resolves(output(polls.at(-1)!));
}

/** The history item of the execution `name` of `service` started at `startDate` (none when `item` is undefined). */
export function historyRecordIs(service: string, name: string, item: Record<string, unknown> | undefined, startDate = STARTED): void {
  const Key = { pk: `SERVICE#${service}`, sk: `DEPLOY#${startDate.toISOString()}#${name}` };
  table.on(GetCommand, { Key }).resolves(item === undefined ? {} : { Item: { ...Key, ...item } });
}

/** The input of the restore run of checkout's stopped deployment. */
export function restoreInput(): Record<string, unknown> {
  return {
    restore: {
      executionArn: CHECKOUT_EXECUTION,
      service: 'checkout',
      name: 'checkout-5f2a9c3e1b7d',
      startDate: STARTED.getTime(),
      status: 'ABORTED',
      reason: 'execution was stopped: rollback requested by alice: bad',
    },
  };
}

/** The newest history events of `executionArn` (newest first, as reverseOrder returns them). */
export function historyIs(executionArn: string, events: HistoryEvent[]): void {
  stepFunctions.on(GetExecutionHistoryCommand, { executionArn }).resolves({ events });
}

/** At each GetExecutionHistory of `executionArn`, the state entered last is the next of `states` (`entered` arguments). */
export function historyGoesThrough(executionArn: string, states: Parameters<typeof entered>[]): void {
  let behaviour = stepFunctions.on(GetExecutionHistoryCommand, { executionArn });
  for (const state of states) behaviour = behaviour.resolvesOnce({ events: [entered(...state)] });
}

/** At each GetExecutionHistory of `executionArn`, the newest events are the next of `polls` (each newest first). */
export function historyPollsAre(executionArn: string, polls: HistoryEvent[][]): void {
  let behaviour = stepFunctions.on(GetExecutionHistoryCommand, { executionArn });
  for (const events of polls) behaviour = behaviour.resolvesOnce({ events });
}

/** A `MapState…` event of the Map state `name` (`MapStateEntered`, `MapStateExited`, `MapStateFailed`…). */
export function mapEvent(id: number, type: 'MapStateEntered' | 'MapStateExited' | 'MapStateFailed', name: string, at: string): HistoryEvent {
  const timestamp = new Date(at);
  if (type === 'MapStateEntered') return { id, type, timestamp, stateEnteredEventDetails: { name, input: '{}' } };
  if (type === 'MapStateExited') return { id, type, timestamp, stateExitedEventDetails: { name, output: '{}' } };
  return { id, type, timestamp };
}

/** The newest history item of `service`. */
export function lastDeploymentIs(service: string, item: Record<string, unknown> | undefined): void {
  table
    .on(QueryCommand, { ExpressionAttributeValues: { ':pk': `SERVICE#${service}`, ':deploy': 'DEPLOY#' } })
    .resolves({ Items: item === undefined ? [] : [item] });
}

/** Forward actions with these weights. */
export function forwardTo(weights: Record<string, number>): Action[] {
  return [
    {
      Type: 'forward',
      Order: 1,
      ForwardConfig: { TargetGroups: Object.entries(weights).map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) },
    },
  ];
}

/** The listener's default actions forward by `weights`. */
export function listenerWeights(listenerArn: string, weights: Record<string, number>): void {
  loadBalancing.on(DescribeListenersCommand, { ListenerArns: [listenerArn] }).resolves({
    Listeners: [{ ListenerArn: listenerArn, DefaultActions: forwardTo(weights) }],
  });
}

/** The rule's actions forward by `weights`. */
export function ruleWeights(ruleArn: string, weights: Record<string, number>): void {
  loadBalancing.on(DescribeRulesCommand, { RuleArns: [ruleArn] }).resolves({
    Rules: [{ RuleArn: ruleArn, Priority: '10', Actions: forwardTo(weights) }],
  });
}

/** A `…StateEntered` event whose input is `state`. */
export function entered(id: number, name: string, at: string, state: Record<string, unknown>): HistoryEvent {
  return {
    id,
    type: name.startsWith('Wait') ? 'WaitStateEntered' : 'TaskStateEntered',
    timestamp: new Date(at),
    stateEnteredEventDetails: { name, input: JSON.stringify(state) },
  };
}

/** A `TaskStateExited` event whose output is `state`. */
export function exited(id: number, name: string, at: string, state: Record<string, unknown>): HistoryEvent {
  return { id, type: 'TaskStateExited', timestamp: new Date(at), stateExitedEventDetails: { name, output: JSON.stringify(state) } };
}

/** The error an SDK client throws for a service error `name`. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/**
 * Every test: mocks reset, a fresh current directory holding the config,
 * the stack installed, no lock and no history unless a test says so, the
 * clock at {@link NOW}.
 */
export function useInstalledDeployer(): void {
  beforeEach(() => {
    for (const mock of [cloudFormation, stepFunctions, table, loadBalancing]) mock.reset();
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'deployer-operate-'));
    writeFileSync(path.join(cwd, 'deployer.config.yaml'), CONFIG);
    vi.spyOn(process, 'cwd').mockReturnValue(cwd);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    stackInstalled();
    table.on(GetCommand).resolves({});
    table.on(QueryCommand).resolves({ Items: [] });
    stepFunctions.on(ListExecutionsCommand).resolves({ executions: [] });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
}

/** Run an operator command in-process; its exit code and what it printed. */
export async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runOperatorCommand(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    // Polls follow each other at once: the mocks say what each poll sees.
    sleep: async () => {},
  });
  return { code, stdout, stderr };
}
