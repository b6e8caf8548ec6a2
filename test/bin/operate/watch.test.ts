/**
 * `deployer watch`: follows the running deployment (or the newest one
 * waiting for the lock, else the latest recorded one) to its end, one line
 * whenever it moves (state, step, traffic, verdict) with the time since it
 * started, through the watcher's restore run after a stop; exit code by
 * the outcome.
 */
import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_CANARY_TG,
  CHECKOUT_EXECUTION,
  CHECKOUT_IMAGE,
  CHECKOUT_LISTENER,
  CHECKOUT_RESTORE,
  CHECKOUT_TG,
  API_VM_EXECUTION,
  PORTAL_BLUE_TG,
  PORTAL_GREEN_TG,
  PORTAL_LISTENER,
  PORTAL_VM_EXECUTION,
  STACK_OUTPUTS,
  STARTED,
  WEB_EXECUTION,
  WORKER_ARTIFACT,
  WORKER_VM_EXECUTION,
  cloudFormation,
  entered,
  executionGoesThrough,
  exited,
  forwardTo,
  heldBy,
  historyGoesThrough,
  historyIs,
  historyPollsAre,
  historyRecordIs,
  lastDeploymentIs,
  listenerWeights,
  loadBalancing,
  lockIs,
  mapEvent,
  run,
  stepFunctions,
  table,
  useInstalledDeployer,
} from './operate-fixtures.ts';

const CONSOLE = 'https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/';
const CHECKOUT_STEPS = { steps: [{ kind: 'weight' }, { kind: 'approval' }, { kind: 'weight' }], loadBalancer: { listenerArn: CHECKOUT_LISTENER } };

describe('deployer watch', () => {
  useInstalledDeployer();

  it('follows the running canary: steps, traffic, verdicts, the approval it waits for, then its success (exit 0)', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionGoesThrough(
      CHECKOUT_EXECUTION,
      [{ status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'SUCCEEDED', stopDate: new Date('2026-02-03T12:40:00.000Z') }],
      { service: 'checkout' },
    );
    const baking = { deployment: CHECKOUT_STEPS, progress: { step: 0, weight: 10, phase: 'bake' } };
    historyGoesThrough(CHECKOUT_EXECUTION, [
      [30, 'Verify', '2026-02-03T12:06:00.000Z', { ...baking, verification: { verdict: 'pass: canary 5xx 0.0% vs primary 0.1%' } }],
      [31, 'WaitForBake', '2026-02-03T12:06:01.000Z', { ...baking, verification: { verdict: 'pass: canary 5xx 0.0% vs primary 0.1%' } }],
      [40, 'Verify', '2026-02-03T12:07:00.000Z', { ...baking, verification: { verdict: 'pass: canary 5xx 0.0% vs primary 0.1%' } }],
      [50, 'RequestApproval', '2026-02-03T12:10:00.000Z', { ...baking, progress: { step: 1, weight: 10, phase: 'approval' } }],
    ]);
    listenerWeights(CHECKOUT_LISTENER, { [CHECKOUT_TG]: 90, [CHECKOUT_CANARY_TG]: 10 });
    historyRecordIs('checkout', 'checkout-5f2a9c3e1b7d', { status: 'SUCCEEDED', reason: 'checkout runs checkout:8, verified' });

    // Act
    const { code, stdout, stderr } = await run('watch', 'checkout');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe(
      [
        `Watching checkout's running deployment: ${CHECKOUT_EXECUTION}`,
        `  console    ${CONSOLE}${CHECKOUT_EXECUTION}`,
        '    +6:00  Verify                   step 1 of 3: 10% on the new revision (bake) · traffic: primary checkout 90%, canary checkout-canary 10% · verdict: pass: canary 5xx 0.0% vs primary 0.1%',
        '    +6:01  WaitForBake',
        '   +10:00  RequestApproval          step 2 of 3: 10% on the new revision (approval)',
        '           waiting for an approval: `deployer approve checkout` or `deployer reject checkout --reason TEXT`',
        '   +40:00  SUCCEEDED after 40m: checkout runs checkout:8, verified',
        '',
      ].join('\n'),
    );
    expect(stepFunctions).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 4);
  });

  it('shows how the latest deployment ended when none runs, and exits 1 for a rollback', async () => {
    // Prepare
    lastDeploymentIs('web', { sk: 'DEPLOY#2026-02-03T12:00:00.000Z#web-9e8d7c6b5a49', status: 'ROLLED_BACK', executionArn: WEB_EXECUTION });
    executionGoesThrough(WEB_EXECUTION, [{ status: 'FAILED', stopDate: new Date('2026-02-03T12:12:00.000Z'), error: 'RolledBack', cause: 'rolled back web' }]);
    const cause = 'rolled back web (web:7, 3 tasks): VerificationFailed: alarm web-5xx-rate went to ALARM';
    historyRecordIs('web', 'web-9e8d7c6b5a49', { status: 'ROLLED_BACK', reason: cause });

    // Act
    const { code, stdout } = await run('watch', 'web');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe(
      [
        `Watching web's latest deployment, which has ended: ${WEB_EXECUTION}`,
        `  console    ${CONSOLE}${WEB_EXECUTION}`,
        `   +12:00  ROLLED_BACK after 12m: ${cause}`,
        '',
      ].join('\n'),
    );
    expect(stepFunctions).not.toHaveReceivedCommand(GetExecutionHistoryCommand);
    expect(stepFunctions).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STACK_OUTPUTS.RollingStateMachineArn, statusFilter: 'RUNNING' });
  });

  it('follows a deployment that waits for the lock, found among the running executions of its state machine', async () => {
    // Prepare
    const waiting = `${WEB_EXECUTION.slice(0, WEB_EXECUTION.lastIndexOf(':'))}:web-20260203T121500Z-0f0f`;
    const otherService = `${WEB_EXECUTION.slice(0, WEB_EXECUTION.lastIndexOf(':'))}:web-api-20260203T121900Z-1e1e`;
    stepFunctions.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: waiting, name: 'web-20260203T121500Z-0f0f', stateMachineArn: STACK_OUTPUTS.RollingStateMachineArn, status: 'RUNNING', startDate: new Date('2026-02-03T12:15:00.000Z') },
        { executionArn: otherService, name: 'web-api-20260203T121900Z-1e1e', stateMachineArn: STACK_OUTPUTS.RollingStateMachineArn, status: 'RUNNING', startDate: new Date('2026-02-03T12:19:00.000Z') },
      ],
    });
    executionGoesThrough(otherService, [{ status: 'RUNNING' }], { service: 'web-api' });
    const startDate = new Date('2026-02-03T12:15:00.000Z');
    executionGoesThrough(
      waiting,
      [{ status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'FAILED', stopDate: new Date('2026-02-03T12:20:00.000Z'), error: 'Superseded', cause: 'a newer deployment replaced it' }],
      { service: 'web' },
      startDate,
    );
    historyIs(waiting, [entered(12, 'WaitForLock', '2026-02-03T12:15:02.000Z', {})]);
    historyRecordIs('web', 'web-20260203T121500Z-0f0f', { status: 'SUPERSEDED', reason: 'a newer deployment of web replaced this one before it started; nothing was changed' }, startDate);

    // Act
    const { code, stdout } = await run('watch', 'web');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toContain(`Watching web's newest deployment (checking its input or waiting for the lock): ${waiting}\n`);
    expect(stdout).toContain('    +0:02  WaitForLock\n');
    expect(stdout).toContain('    +5:00  SUPERSEDED after 5m: a newer deployment of web replaced this one before it started; nothing was changed\n');
  });

  it('follows a stopped deployment through the restore run the watcher starts, until the service is back', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionGoesThrough(
      CHECKOUT_EXECUTION,
      [
        { status: 'RUNNING' },
        { status: 'RUNNING' },
        { status: 'ABORTED', stopDate: new Date('2026-02-03T12:19:50.000Z'), error: 'RollbackRequested', cause: 'rollback requested by alice: bad' },
      ],
      { service: 'checkout' },
    );
    historyIs(CHECKOUT_EXECUTION, [entered(30, 'WaitForBake', '2026-02-03T12:06:00.000Z', { deployment: CHECKOUT_STEPS, progress: { step: 0, weight: 10, phase: 'bake' } })]);
    listenerWeights(CHECKOUT_LISTENER, { [CHECKOUT_TG]: 90, [CHECKOUT_CANARY_TG]: 10 });
    const key = { pk: 'SERVICE#checkout', sk: `DEPLOY#${STARTED.toISOString()}#checkout-5f2a9c3e1b7d` };
    const restored = 'execution was stopped: rollback requested by alice: bad; restored checkout (checkout:7, 4 tasks; listener 100% checkout)';
    table
      .on(GetCommand, { Key: key })
      .resolvesOnce({ Item: { ...key, status: 'IN_PROGRESS', reason: 'deploying' } })
      .resolves({ Item: { ...key, status: 'ABORTED', reason: restored, restore: 'SUCCEEDED' } });
    stepFunctions
      .on(DescribeExecutionCommand, { executionArn: CHECKOUT_RESTORE })
      .rejectsOnce(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }))
      .resolvesOnce({ executionArn: CHECKOUT_RESTORE, name: 'checkout-5f2a9c3e1b7d-restore', status: 'RUNNING', startDate: new Date('2026-02-03T12:19:52.000Z') })
      .resolves({ executionArn: CHECKOUT_RESTORE, name: 'checkout-5f2a9c3e1b7d-restore', status: 'SUCCEEDED', startDate: new Date('2026-02-03T12:19:52.000Z'), stopDate: new Date('2026-02-03T12:25:00.000Z') });
    historyIs(CHECKOUT_RESTORE, [entered(8, 'RollbackWeights', '2026-02-03T12:19:55.000Z', {})]);

    // Act
    const { code, stdout } = await run('watch', 'checkout');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toContain(
      [
        '   +19:50  execution ABORTED: RollbackRequested: rollback requested by alice: bad',
        '   +20:00  restore run checkout-5f2a9c3e1b7d-restore puts back what ran before the deployment',
        '   +19:55  RollbackWeights          traffic: primary checkout 90%, canary checkout-canary 10%',
        '   +25:00  restore run SUCCEEDED',
        `   +25:00  ABORTED after 19m50s: ${restored}`,
        '',
      ].join('\n'),
    );
  });

  it('exits 1 saying how to start one when the service has no deployment at all', async () => {
    // Act
    const { code, stdout, stderr } = await run('watch', 'web');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('deployer: web has no deployment to watch: none runs and none is recorded; start one with `deployer deploy web --image IMAGE` or push a tag matching v*\n');
  });

  describe('a VM service', () => {
    /** `$.hosts` as ResolveHosts returns it (only what the progress reads matters here). */
    const fleet = (batchCount: number, group = 'fleet'): Record<string, unknown> => ({ group, executor: 'ssm', hostCount: 4, batchCount, lastBatch: batchCount - 1 });
    /** `$.progress` of a batch after a poll (lambdas/vm/batch-progress.ts). */
    const polled = (hostCount: number, succeeded: number, failed: number): Record<string, unknown> => ({
      done: hostCount === succeeded + failed,
      hostCount,
      succeeded,
      failed,
      running: hostCount - succeeded - failed,
      allowedFailures: 0,
      failedHosts: [],
      at: 0,
    });
    const vmDeployment = { startedBy: 'alice', steps: [] };

    it('follows a rolling deployment batch by batch, with each batch\'s hosts and verdicts, to its success (exit 0)', async () => {
      // Prepare
      const artifact = 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz';
      lockIs('api-vm', heldBy(API_VM_EXECUTION, artifact));
      executionGoesThrough(
        API_VM_EXECUTION,
        [...Array.from({ length: 7 }, () => ({ status: 'RUNNING' as const })), { status: 'SUCCEEDED', stopDate: new Date('2026-02-03T12:09:30.000Z') }],
        { service: 'api-vm', artifact },
      );
      const inBatch = (batch: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ deployment: vmDeployment, hosts: fleet(3), batch, lastBatch: 2, ...extra });
      historyPollsAre(API_VM_EXECUTION, [
        [entered(14, 'DeregisterBatch', '2026-02-03T12:00:30.000Z', inBatch(0))],
        [
          exited(31, 'PollSsmBatch', '2026-02-03T12:01:00.000Z', inBatch(0, { progress: polled(1, 0, 0) })),
          entered(27, 'PollSsmBatch', '2026-02-03T12:01:00.000Z', inBatch(0)),
        ],
        [
          exited(58, 'VerifyBatch', '2026-02-03T12:02:00.000Z', inBatch(0, { progress: polled(1, 1, 0), verification: { verdict: 'bake check 1: alarms OK (1)' } })),
          entered(54, 'VerifyBatch', '2026-02-03T12:02:00.000Z', inBatch(0, { progress: polled(1, 1, 0) })),
        ],
        [entered(66, 'DeregisterBatch', '2026-02-03T12:02:30.000Z', inBatch(1))],
        [
          exited(120, 'PollSsmBatch', '2026-02-03T12:08:00.000Z', inBatch(2, { progress: polled(2, 2, 0) })),
          entered(116, 'PollSsmBatch', '2026-02-03T12:08:00.000Z', inBatch(2, { progress: polled(2, 1, 0) })),
        ],
        [
          entered(140, 'HostsDeployed', '2026-02-03T12:09:00.000Z', { deployment: vmDeployment, hosts: fleet(3) }),
          mapEvent(139, 'MapStateExited', 'DeployBatches', '2026-02-03T12:09:00.000Z'),
          exited(136, 'BatchVerified', '2026-02-03T12:09:00.000Z', inBatch(2, { progress: polled(2, 2, 0) })),
        ],
      ]);
      historyRecordIs('api-vm', 'api-vm-6c1f0a2b3d4e', { status: 'SUCCEEDED', reason: 'api-vm: 4 host(s) on release 1.4.0' });

      // Act
      const { code, stdout, stderr } = await run('watch', 'api-vm');

      // Assess
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toBe(
        [
          `Watching api-vm's running deployment: ${API_VM_EXECUTION}`,
          `  console    ${CONSOLE}${API_VM_EXECUTION}`,
          '    +0:30  DeregisterBatch          batch 1 of 3',
          '    +1:00  PollSsmBatch             batch 1 of 3: 0 of 1 host deployed, 1 running',
          '    +2:00  VerifyBatch              batch 1 of 3: 1 of 1 host deployed · verdict: bake check 1: alarms OK (1)',
          '    +2:30  DeregisterBatch          batch 2 of 3',
          '    +8:00  PollSsmBatch             batch 3 of 3: 2 of 2 hosts deployed',
          '    +9:00  HostsDeployed',
          '    +9:30  SUCCEEDED after 9m30s: api-vm: 4 host(s) on release 1.4.0',
          '',
        ].join('\n'),
      );
    });

    it('follows a canary through its approval to a failed batch and the hosts\' rollback, and exits 1', async () => {
      // Prepare
      lockIs('worker-vm', heldBy(WORKER_VM_EXECUTION, WORKER_ARTIFACT));
      executionGoesThrough(
        WORKER_VM_EXECUTION,
        [
          ...Array.from({ length: 5 }, () => ({ status: 'RUNNING' as const })),
          { status: 'FAILED', stopDate: new Date('2026-02-03T12:22:00.000Z'), error: 'RolledBack', cause: 'rolled back worker-vm' },
        ],
        { service: 'worker-vm', artifact: WORKER_ARTIFACT },
      );
      const hosts = fleet(2);
      const canary = { step: 0, weight: 34, phase: 'canary' };
      historyPollsAre(WORKER_VM_EXECUTION, [
        [
          exited(40, 'CanaryVerifyBatch', '2026-02-03T12:12:00.000Z', {
            deployment: vmDeployment, hosts, batch: 0, progress: polled(1, 1, 0), verification: { verdict: 'bake check 20: alarms OK (1)' },
          }),
          entered(36, 'CanaryVerifyBatch', '2026-02-03T12:12:00.000Z', { deployment: vmDeployment, hosts, batch: 0, progress: polled(1, 1, 0) }),
        ],
        [
          entered(48, 'RequestApproval', '2026-02-03T12:13:00.000Z', { deployment: vmDeployment, hosts, progress: canary }),
          mapEvent(45, 'MapStateExited', 'DeployCanary', '2026-02-03T12:12:59.000Z'),
          exited(44, 'CanaryBatchVerified', '2026-02-03T12:12:59.000Z', { deployment: vmDeployment, hosts, batch: 0, progress: polled(1, 1, 0) }),
        ],
        [
          exited(80, 'PollSsmBatch', '2026-02-03T12:20:00.000Z', { deployment: vmDeployment, hosts, batch: 1, progress: polled(2, 1, 1) }),
          entered(76, 'PollSsmBatch', '2026-02-03T12:20:00.000Z', { deployment: vmDeployment, hosts, batch: 1, progress: polled(2, 0, 0) }),
          mapEvent(60, 'MapStateEntered', 'DeployRest', '2026-02-03T12:15:00.000Z'),
        ],
        [
          exited(96, 'PollSsmRollback', '2026-02-03T12:21:00.000Z', { deployment: vmDeployment, hosts, progress: canary, rollbackProgress: polled(3, 2, 0) }),
          entered(92, 'PollSsmRollback', '2026-02-03T12:21:00.000Z', { deployment: vmDeployment, hosts, progress: canary }),
          mapEvent(86, 'MapStateFailed', 'DeployRest', '2026-02-03T12:20:01.000Z'),
          exited(80, 'PollSsmBatch', '2026-02-03T12:20:00.000Z', { deployment: vmDeployment, hosts, batch: 1, progress: polled(2, 1, 1) }),
        ],
      ]);
      const cause = 'rolled back worker-vm (3 host(s) on their releases): BatchFailed: batch 2: 1 of 2 host(s) failed (maxErrors allows 0): i-0c3d4e5f607182930 (health): health check failed';
      historyRecordIs('worker-vm', 'worker-vm-2b3c4d5e6f70', { status: 'ROLLED_BACK', reason: cause });

      // Act
      const { code, stdout } = await run('watch', 'worker-vm');

      // Assess
      expect(code).toBe(1);
      expect(stdout).toBe(
        [
          `Watching worker-vm's running deployment: ${WORKER_VM_EXECUTION}`,
          `  console    ${CONSOLE}${WORKER_VM_EXECUTION}`,
          '   +12:00  CanaryVerifyBatch        batch 1 of 2: 1 of 1 host deployed · verdict: bake check 20: alarms OK (1)',
          '   +13:00  RequestApproval          canary: 34% of the hosts on the new release',
          '           waiting for an approval: `deployer approve worker-vm` or `deployer reject worker-vm --reason TEXT`',
          '   +20:00  PollSsmBatch             batch 2 of 2: 1 of 2 hosts deployed, 1 failed',
          '   +21:00  PollSsmRollback          rolling back: 2 of 3 hosts back on their release, 1 running',
          `   +22:00  ROLLED_BACK after 22m: ${cause}`,
          '',
        ].join('\n'),
      );
      expect(stepFunctions).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 4);
    });

    it('shows which group a blue-green deploys to, then its traffic steps between the groups once the batches are done', async () => {
      // Prepare
      const artifact = 's3://acme-artifacts/portal/portal-vm-3.1.0.tar.gz';
      lockIs('portal-vm', heldBy(PORTAL_VM_EXECUTION, artifact));
      executionGoesThrough(
        PORTAL_VM_EXECUTION,
        [{ status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'SUCCEEDED', stopDate: new Date('2026-02-03T12:30:00.000Z') }],
        { service: 'portal-vm', artifact },
      );
      const deployment = { steps: [{ kind: 'weight' }], loadBalancer: { listenerArn: PORTAL_LISTENER } };
      historyPollsAre(PORTAL_VM_EXECUTION, [
        [entered(20, 'StartSsmBatch', '2026-02-03T12:01:00.000Z', { deployment, hosts: fleet(1, 'green'), batch: 0 })],
        [
          entered(70, 'Verify', '2026-02-03T12:10:00.000Z', { deployment, hosts: fleet(1, 'green'), progress: { step: 0, weight: 100, phase: 'verifying' } }),
          mapEvent(50, 'MapStateExited', 'DeployIdle', '2026-02-03T12:05:00.000Z'),
          // The batches' Map has ended: its last batch is no longer where the deployment is.
          exited(49, 'BatchVerified', '2026-02-03T12:05:00.000Z', { deployment, hosts: fleet(1, 'green'), batch: 0, progress: polled(4, 4, 0) }),
        ],
      ]);
      loadBalancing
        .on(DescribeListenersCommand, { ListenerArns: [PORTAL_LISTENER] })
        .resolvesOnce({ Listeners: [{ ListenerArn: PORTAL_LISTENER, DefaultActions: forwardTo({ [PORTAL_BLUE_TG]: 100, [PORTAL_GREEN_TG]: 0 }) }] })
        .resolves({ Listeners: [{ ListenerArn: PORTAL_LISTENER, DefaultActions: forwardTo({ [PORTAL_BLUE_TG]: 0, [PORTAL_GREEN_TG]: 100 }) }] });
      historyRecordIs('portal-vm', 'portal-vm-7d8e9f0a1b2c', { status: 'SUCCEEDED', reason: 'portal-vm: green serves 3.1.0' });

      // Act
      const { code, stdout } = await run('watch', 'portal-vm');

      // Assess
      expect(code).toBe(0);
      expect(stdout).toContain(
        [
          '    +1:00  StartSsmBatch            batch 1 of 1 (green hosts) · traffic: blue hosts 100%, green hosts 0%',
          '   +10:00  Verify                   step 1 of 1: 100% on the new release (verifying) · traffic: blue hosts 0%, green hosts 100%',
          '   +30:00  SUCCEEDED after 30m: portal-vm: green serves 3.1.0',
          '',
        ].join('\n'),
      );
    });

    it('looks for a deployment waiting for the lock on the VM state machine, and says how to start one when there is none', async () => {
      // Act
      const { code, stdout, stderr } = await run('watch', 'worker-vm');

      // Assess
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stepFunctions).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STACK_OUTPUTS.VmCanaryStateMachineArn, statusFilter: 'RUNNING' });
      expect(stderr).toBe(
        'deployer: worker-vm has no deployment to watch: none runs and none is recorded; start one with `deployer deploy worker-vm --artifact S3_URI` or upload an artifact under s3://acme-artifacts/worker/\n',
      );
    });
  });

  it.each([
    { argv: ['watch', 'web', '--interval', 'soon'], message: "deployer: --interval: 'soon' is not a whole number from 1 to 300; e.g. --interval 5\n" },
    { argv: ['watch', 'nope'], message: "deployer: SERVICE: 'nope' is not in deployer.config.yaml; services: web, checkout, payments, api-vm, worker-vm, portal-vm\n" },
    { argv: ['watch'], message: "error: missing required argument 'service'\n(run with --help for usage)\n" },
  ])('exits 2 before any AWS call for $argv', async ({ argv, message }) => {
    // Act
    const { code, stderr } = await run(...argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(message);
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });
});
