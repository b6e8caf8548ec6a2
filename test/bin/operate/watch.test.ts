/**
 * `deployer watch`: follows the running deployment (or the newest one
 * waiting for the lock, else the latest recorded one) to its end, one line
 * whenever it moves (state, step, traffic, verdict) with the time since it
 * started, through the watcher's restore run after a stop; exit code by
 * the outcome.
 */
import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_CANARY_TG,
  CHECKOUT_EXECUTION,
  CHECKOUT_IMAGE,
  CHECKOUT_LISTENER,
  CHECKOUT_RESTORE,
  CHECKOUT_TG,
  STACK_OUTPUTS,
  STARTED,
  WEB_EXECUTION,
  cloudFormation,
  entered,
  executionGoesThrough,
  heldBy,
  historyGoesThrough,
  historyIs,
  historyRecordIs,
  lastDeploymentIs,
  listenerWeights,
  lockIs,
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

  it.each([
    { argv: ['watch', 'web', '--interval', 'soon'], message: "deployer: --interval: 'soon' is not a whole number from 1 to 300; e.g. --interval 5\n" },
    { argv: ['watch', 'nope'], message: "deployer: SERVICE: 'nope' is not in deployer.config.yaml; services: web, checkout, payments, api-vm\n" },
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
