/**
 * `deployer status`: idle services with their last deployment, running
 * deployments with their state, progress, last verdict, traffic split and
 * pending approval, as text or one JSON object.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeListenersCommand, DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_CANARY_TG,
  CHECKOUT_EXECUTION,
  CHECKOUT_IMAGE,
  CHECKOUT_LISTENER,
  CHECKOUT_RESTORE,
  CHECKOUT_TG,
  PAYMENTS_BLUE_TG,
  PAYMENTS_EXECUTION,
  PAYMENTS_GREEN_TG,
  PAYMENTS_IMAGE,
  PAYMENTS_RULE,
  PORTAL_BLUE_TG,
  PORTAL_GREEN_TG,
  PORTAL_LISTENER,
  PORTAL_VM_EXECUTION,
  REGISTRY,
  TABLE,
  WEB_EXECUTION,
  WORKER_ARTIFACT,
  WORKER_VM_EXECUTION,
  awsError,
  cloudFormation,
  entered,
  executionIs,
  exited,
  heldBy,
  historyIs,
  lastDeploymentIs,
  listenerWeights,
  loadBalancing,
  lockIs,
  lockKey,
  restoreInput,
  ruleWeights,
  run,
  workerVmDeploying,
  stepFunctions,
  table,
  useInstalledDeployer,
} from './operate-fixtures.ts';

const CHECKOUT_STEPS = [
  { kind: 'weight', weight: 10, bakeSeconds: 300 },
  { kind: 'weight', weight: 25, bakeSeconds: 300 },
  { kind: 'approval' },
  { kind: 'weight', weight: 50, bakeSeconds: 600 },
  { kind: 'weight', weight: 100, bakeSeconds: 300 },
];

const WEB_LAST_DEPLOYMENT = {
  pk: 'SERVICE#web',
  sk: 'DEPLOY#2026-02-02T09:00:00.000Z#web-1a2b3c4d5e6f',
  status: 'SUCCEEDED',
  image: `${REGISTRY}/web@sha256:1a2b3c4d5e6f`,
  imageTag: 'v1.4.0',
  startedBy: 'ecr-push',
  startedAt: '2026-02-02T09:00:00.000Z',
  endedAt: '2026-02-02T09:12:00.000Z',
};

/** checkout's canary at step 2 (25%), baking, between two verifications. */
function checkoutBaking(): void {
  const deployment = { service: 'checkout', startedBy: 'alice', reason: 'faster checkout', steps: CHECKOUT_STEPS, loadBalancer: { listenerArn: CHECKOUT_LISTENER } };
  const older = { deployment, progress: { step: 1, weight: 25, phase: 'baking' }, verification: { verdict: 'not enough requests yet: 40 of 100' } };
  const newer = { ...older, verification: { verdict: 'pass: canary 5xx 0.1% vs primary 0.2%, p99 180ms vs 175ms' } };
  lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
  executionIs(CHECKOUT_EXECUTION, 'RUNNING', { service: 'checkout', image: `${REGISTRY}/checkout:v2.0.0`, startedBy: 'alice' });
  historyIs(CHECKOUT_EXECUTION, [
    { id: 44, type: 'WaitStateEntered', timestamp: new Date('2026-02-03T12:19:30.000Z'), stateEnteredEventDetails: { name: 'WaitForNextCheck', input: JSON.stringify(newer) } },
    { id: 43, type: 'ChoiceStateExited', timestamp: new Date('2026-02-03T12:19:30.000Z'), stateExitedEventDetails: { name: 'StepDone?', output: JSON.stringify(newer) } },
    exited(42, 'Verify', '2026-02-03T12:19:29.000Z', newer),
    { id: 41, type: 'TaskSucceeded', timestamp: new Date('2026-02-03T12:19:29.000Z') },
    entered(40, 'Verify', '2026-02-03T12:19:28.000Z', older),
  ]);
  listenerWeights(CHECKOUT_LISTENER, { [CHECKOUT_TG]: 75, [CHECKOUT_CANARY_TG]: 25 });
}

/** payments' blue-green at its approval step (step 2), 10% on green. */
function paymentsWaitingForApproval(): void {
  const approval = {
    token: 'AQCEAAAAKgAAAAMAAAAAAAAAAb2tMSNl1gA/approval-token',
    executionArn: PAYMENTS_EXECUTION,
    step: 1,
    requestedAt: '2026-02-03T12:15:00.000Z',
    timeoutAt: '2026-02-03T13:15:00.000Z',
  };
  lockIs('payments', heldBy(PAYMENTS_EXECUTION, PAYMENTS_IMAGE, { approval }));
  executionIs(PAYMENTS_EXECUTION, 'RUNNING', { service: 'payments', image: `${REGISTRY}/payments:v3.1.0`, startedBy: 'ecr-push' });
  const state = { progress: { step: 1, weight: 10, phase: 'waiting for approval' }, verification: { verdict: 'pass: green 5xx 0.0% vs blue 0.1%' } };
  historyIs(PAYMENTS_EXECUTION, [entered(30, 'WaitForApproval', '2026-02-03T12:15:00.000Z', state)]);
  ruleWeights(PAYMENTS_RULE, { [PAYMENTS_BLUE_TG]: 90, [PAYMENTS_GREEN_TG]: 10 });
}

describe('deployer status', () => {
  useInstalledDeployer();

  it('shows an idle service with its last deployment', async () => {
    // Prepare
    lastDeploymentIs('web', WEB_LAST_DEPLOYMENT);

    // Act
    const { code, stdout, stderr } = await run('status', 'web');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'EcsDeployer' });
    expect(table).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: lockKey('web'), ConsistentRead: true });
    expect(table).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :deploy)',
      ExpressionAttributeValues: { ':pk': 'SERVICE#web', ':deploy': 'DEPLOY#' },
      ScanIndexForward: false,
      Limit: 1,
    });
    expect(stepFunctions).not.toHaveReceivedAnyCommand();
    expect(stdout).toBe(
      [
        'web  rolling  idle',
        '  last deployment   SUCCEEDED v1.4.0 by ecr-push, 2026-02-02T09:00:00.000Z to 2026-02-02T09:12:00.000Z (27h8m ago)',
        `                    ${REGISTRY}/web@sha256:1a2b3c4d5e6f`,
        '',
      ].join('\n'),
    );
  });

  it('says so when a service was never deployed', async () => {
    // Act
    const { code, stdout } = await run('status', 'web');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe('web  rolling  idle\n  last deployment   none recorded\n');
  });

  it('says when the last deployment was started by hand with a tag outside tagPattern', async () => {
    // Prepare
    lastDeploymentIs('web', { ...WEB_LAST_DEPLOYMENT, imageTag: 'hotfix-42', outsideTagPattern: true, startedBy: 'alice' });

    // Act
    const { code, stdout } = await run('status', 'web');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('  last deployment   SUCCEEDED hotfix-42 (outside tagPattern) by alice, 2026-02-02T09:00:00.000Z');
  });

  it('shows a running canary: state, progress, last verdict and the listener weights', async () => {
    // Prepare
    checkoutBaking();

    // Act
    const { code, stdout } = await run('status', 'checkout');

    // Assess
    expect(code).toBe(0);
    expect(stepFunctions).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: CHECKOUT_EXECUTION });
    expect(stepFunctions).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: CHECKOUT_EXECUTION,
      reverseOrder: true,
      maxResults: 100,
      includeExecutionData: true,
    });
    expect(loadBalancing).toHaveReceivedCommandExactlyOnceWith(DescribeListenersCommand, { ListenerArns: [CHECKOUT_LISTENER] });
    expect(table).not.toHaveReceivedCommand(QueryCommand);
    expect(stdout).toBe(
      [
        'checkout  canary  deploying',
        '  execution         checkout-5f2a9c3e1b7d, started 2026-02-03T12:00:00.000Z (20m ago) by alice: faster checkout',
        `  console           https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${CHECKOUT_EXECUTION}`,
        `  image             ${CHECKOUT_IMAGE}`,
        '  state             WaitForNextCheck since 2026-02-03T12:19:30.000Z (30s ago)',
        '  progress          step 2 of 5: 25% on the new revision (baking)',
        '  last verdict      pass: canary 5xx 0.1% vs primary 0.2%, p99 180ms vs 175ms',
        '  traffic           primary checkout 75%, canary checkout-canary 25%',
        '',
      ].join('\n'),
    );
  });

  it('shows a blue-green deployment waiting for approval, the rule weights and the commands that answer it', async () => {
    // Prepare
    paymentsWaitingForApproval();

    // Act
    const { code, stdout } = await run('status', 'payments');

    // Assess
    expect(code).toBe(0);
    expect(loadBalancing).toHaveReceivedCommandExactlyOnceWith(DescribeRulesCommand, { RuleArns: [PAYMENTS_RULE] });
    expect(loadBalancing).not.toHaveReceivedCommand(DescribeListenersCommand);
    expect(stdout).toContain('payments  blue-green  waiting for approval\n');
    expect(stdout).toContain('  state             WaitForApproval since 2026-02-03T12:15:00.000Z (5m ago)\n');
    expect(stdout).toContain('  progress          step 2 of 3: 10% on the new revision (waiting for approval)\n');
    expect(stdout).toContain('  last verdict      pass: green 5xx 0.0% vs blue 0.1%\n');
    expect(stdout).toContain('  traffic           blue payments-blue 90%, green payments-green 10%\n');
    expect(stdout).toContain(
      [
        '  approval          step 2, waiting since 2026-02-03T12:15:00.000Z (5m ago), counts as rejected at 2026-02-03T13:15:00.000Z (in 55m)',
        '                    approve: deployer approve payments',
        '                    reject:  deployer reject payments --reason TEXT',
      ].join('\n'),
    );
    expect(stdout).not.toContain('approval-token');
  });

  it('treats a lock whose holder is no longer running as idle and says the lock is stale', async () => {
    // Prepare
    lockIs('web', heldBy(WEB_EXECUTION, `${REGISTRY}/web@sha256:9e8d`));
    executionIs(WEB_EXECUTION, 'ABORTED');
    lastDeploymentIs('web', { ...WEB_LAST_DEPLOYMENT, status: 'ABORTED', endedAt: undefined });

    // Act
    const { code, stdout } = await run('status', 'web');

    // Assess
    expect(code).toBe(0);
    expect(stepFunctions).not.toHaveReceivedCommand(GetExecutionHistoryCommand);
    expect(stdout).toContain('web  rolling  idle\n');
    expect(stdout).toContain('  stale lock        still names web-9e8d7c6b5a49 (ABORTED); the next deployment takes it over\n');
    expect(stdout).toContain('  last deployment   ABORTED v1.4.0 by ecr-push, 2026-02-02T09:00:00.000Z (27h20m ago)\n');
  });

  it('treats a holder Step Functions no longer knows as a stale lock', async () => {
    // Prepare
    lockIs('web', heldBy(WEB_EXECUTION, `${REGISTRY}/web@sha256:9e8d`));
    stepFunctions
      .on(DescribeExecutionCommand, { executionArn: WEB_EXECUTION })
      .rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${WEB_EXECUTION}'`, $metadata: {} }));

    // Act
    const { code, stdout } = await run('status', 'web', '--json');

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { services: Record<string, unknown>[] };
    expect(report.services[0]).toEqual({
      service: 'web',
      strategy: 'rolling',
      state: 'idle',
      staleLock: { executionArn: WEB_EXECUTION, executionStatus: 'GONE' },
      lastDeployment: null,
    });
  });

  it('shows a restore run putting back what a stopped deployment changed', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_RESTORE, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_RESTORE, 'RUNNING', restoreInput());
    historyIs(CHECKOUT_RESTORE, [entered(5, 'RestoreListeners', '2026-02-03T12:19:50.000Z', { progress: { step: 1, weight: 0, phase: 'restoring' } })]);
    listenerWeights(CHECKOUT_LISTENER, { [CHECKOUT_TG]: 100, [CHECKOUT_CANARY_TG]: 0 });

    // Act
    const { code, stdout } = await run('status', 'checkout', '--json');

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { services: Record<string, unknown>[] };
    expect(report.services[0]).toMatchObject({
      state: 'restoring',
      restoring: { executionArn: CHECKOUT_EXECUTION, name: 'checkout-5f2a9c3e1b7d', reason: 'execution was stopped: rollback requested by alice: bad' },
      currentState: { name: 'RestoreListeners' },
    });
  });

  it('prints one JSON object with every configured service when --json is given', async () => {
    // Prepare
    lastDeploymentIs('web', WEB_LAST_DEPLOYMENT);
    checkoutBaking();
    paymentsWaitingForApproval();

    // Act
    const { code, stdout } = await run('status', '--json');

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { stack: string; services: Record<string, unknown>[] };
    expect(report.stack).toBe('EcsDeployer');
    expect(report.services.map((s) => [s.service, s.state])).toEqual([
      ['web', 'idle'],
      ['checkout', 'running'],
      ['payments', 'waiting-for-approval'],
      ['api-vm', 'idle'],
      ['worker-vm', 'idle'],
      ['portal-vm', 'idle'],
    ]);
    expect(report.services[0]).toEqual({
      service: 'web',
      strategy: 'rolling',
      state: 'idle',
      lastDeployment: {
        status: 'SUCCEEDED',
        image: `${REGISTRY}/web@sha256:1a2b3c4d5e6f`,
        imageTag: 'v1.4.0',
        startedBy: 'ecr-push',
        startedAt: '2026-02-02T09:00:00.000Z',
        endedAt: '2026-02-02T09:12:00.000Z',
      },
    });
    expect(report.services[1]).toMatchObject({
      execution: { name: 'checkout-5f2a9c3e1b7d', startedBy: 'alice', reason: 'faster checkout' },
      currentState: { name: 'WaitForNextCheck', enteredAt: '2026-02-03T12:19:30.000Z' },
      progress: { step: 1, weight: 25, phase: 'baking' },
      steps: 5,
      verdict: 'pass: canary 5xx 0.1% vs primary 0.2%, p99 180ms vs 175ms',
      traffic: {
        listenerArn: CHECKOUT_LISTENER,
        shares: [
          { targetGroupArn: CHECKOUT_TG, label: 'primary checkout', percent: 75 },
          { targetGroupArn: CHECKOUT_CANARY_TG, label: 'canary checkout-canary', percent: 25 },
        ],
      },
    });
    expect(report.services[2]).toMatchObject({
      approval: {
        step: 1,
        at: 'step 2',
        requestedAt: '2026-02-03T12:15:00.000Z',
        timeoutAt: '2026-02-03T13:15:00.000Z',
        approve: 'deployer approve payments',
        reject: 'deployer reject payments --reason TEXT',
      },
    });
    expect(stdout).not.toContain('approval-token');
  });

  it('still shows the deployment when the listener weights cannot be read', async () => {
    // Prepare
    checkoutBaking();
    loadBalancing.on(DescribeListenersCommand).rejects(awsError('AccessDenied', 'not authorized to perform: elasticloadbalancing:DescribeListeners'));

    // Act
    const { code, stdout } = await run('status', 'checkout');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('  progress          step 2 of 5: 25% on the new revision (baking)\n');
    expect(stdout).toContain('  traffic           unknown: elasticloadbalancing:DescribeListeners failed (AccessDenied: not authorized');
  });

  it('shows a VM service with its last deployment: the artifact and its version', async () => {
    // Prepare
    lastDeploymentIs('api-vm', {
      pk: 'SERVICE#api-vm',
      sk: 'DEPLOY#2026-02-02T09:00:00.000Z#api-vm-1a2b',
      status: 'SUCCEEDED',
      image: 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz',
      imageTag: '1.4.0',
      startedBy: 's3-upload',
      startedAt: '2026-02-02T09:00:00.000Z',
      endedAt: '2026-02-02T09:12:00.000Z',
    });

    // Act
    const { code, stdout } = await run('status', 'api-vm');

    // Assess
    expect(code).toBe(0);
    expect(table).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: lockKey('api-vm'), ConsistentRead: true });
    expect(stdout).toBe(
      [
        'api-vm  rolling  idle',
        '  last deployment   SUCCEEDED 1.4.0 by s3-upload, 2026-02-02T09:00:00.000Z to 2026-02-02T09:12:00.000Z (27h8m ago)',
        '                    s3://acme-artifacts/api/api-vm-1.4.0.tar.gz',
        '',
      ].join('\n'),
    );
  });

  it('shows a running VM canary: the batch it deploys with its hosts, the last verdict', async () => {
    // Prepare
    workerVmDeploying();
    historyIs(WORKER_VM_EXECUTION, [
      exited(31, 'PollSsmBatch', '2026-02-03T12:19:30.000Z', {
        deployment: { startedBy: 's3-upload', steps: [] },
        hosts: { group: 'fleet', executor: 'ssm', hostCount: 3, batchCount: 2 },
        batch: 1,
        progress: { done: false, hostCount: 2, succeeded: 1, failed: 0, running: 1, allowedFailures: 0, failedHosts: [], at: 0 },
      }),
      entered(27, 'PollSsmBatch', '2026-02-03T12:19:30.000Z', { deployment: { startedBy: 's3-upload', steps: [] } }),
      exited(20, 'CanaryVerifyBatch', '2026-02-03T12:10:00.000Z', { verification: { verdict: 'bake check 20: alarms OK (1); promoted by carol: bake ended early' } }),
    ]);

    // Act
    const { code, stdout } = await run('status', 'worker-vm');

    // Assess
    expect(code).toBe(0);
    expect(loadBalancing).not.toHaveReceivedAnyCommand();
    expect(stdout).toBe(
      [
        'worker-vm  canary  deploying',
        '  execution         worker-vm-2b3c4d5e6f70, started 2026-02-03T12:00:00.000Z (20m ago) by s3-upload',
        `  console           https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${WORKER_VM_EXECUTION}`,
        `  image             ${WORKER_ARTIFACT}`,
        '  state             PollSsmBatch since 2026-02-03T12:19:30.000Z (30s ago)',
        '  batch             batch 2 of 2: 1 of 2 hosts deployed, 1 running',
        '  last verdict      bake check 20: alarms OK (1); promoted by carol: bake ended early',
        '',
      ].join('\n'),
    );
  });

  it("shows a VM canary waiting for its approval as the canary's share of the hosts", async () => {
    // Prepare
    workerVmDeploying({ approval: true });
    historyIs(WORKER_VM_EXECUTION, [
      entered(48, 'RequestApproval', '2026-02-03T12:13:00.000Z', { deployment: { steps: [] }, progress: { step: 0, weight: 34, phase: 'canary' } }),
    ]);

    // Act
    const { code, stdout } = await run('status', 'worker-vm');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('worker-vm  canary  waiting for approval\n');
    expect(stdout).toContain('  progress          canary: 34% of the hosts on the new release\n');
    expect(stdout).toMatch(/^ {2}approval {10}the canary, waiting since /m);
    expect(stdout).toContain('                    approve: deployer approve worker-vm\n');
  });

  it('shows a VM blue-green step as a share of the traffic on the new release', async () => {
    // Prepare
    const artifact = 's3://acme-artifacts/portal/portal-vm-2.0.0.tar.gz';
    lockIs('portal-vm', heldBy(PORTAL_VM_EXECUTION, artifact));
    executionIs(PORTAL_VM_EXECUTION, 'RUNNING', { service: 'portal-vm', artifact, startedBy: 's3-upload' });
    historyIs(PORTAL_VM_EXECUTION, [entered(60, 'Verify', '2026-02-03T12:18:00.000Z', { deployment: { steps: [{}, {}] }, progress: { step: 0, weight: 50, phase: 'bake' } })]);
    listenerWeights(PORTAL_LISTENER, { [PORTAL_BLUE_TG]: 50, [PORTAL_GREEN_TG]: 50 });

    // Act
    const { code, stdout } = await run('status', 'portal-vm');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('  progress          step 1 of 2: 50% on the new release (bake)\n');
  });

  it('exits 2 for a service that is not in the config, before any AWS call', async () => {
    // Act
    const { code, stdout, stderr } = await run('status', 'nope');

    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe("deployer: SERVICE: 'nope' is not in deployer.config.yaml; services: web, checkout, payments, api-vm, worker-vm, portal-vm\n");
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });
});
