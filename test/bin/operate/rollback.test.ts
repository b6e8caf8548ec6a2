/**
 * `deployer rollback`: stops the running deployment with RollbackRequested
 * (the stack's watcher restores the snapshot); exit 1 when nothing runs.
 */
import { ExecutionDoesNotExist, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_EXECUTION,
  CHECKOUT_IMAGE,
  CHECKOUT_RESTORE,
  cloudFormation,
  executionIs,
  heldBy,
  lockIs,
  restoreInput,
  run,
  stepFunctions,
  useInstalledDeployer,
} from './operate-fixtures.ts';

describe('deployer rollback', () => {
  useInstalledDeployer();

  it('stops the running execution with RollbackRequested and says how to follow the restore', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'RUNNING');
    stepFunctions.on(StopExecutionCommand).resolves({ stopDate: new Date() });

    // Act
    const { code, stdout, stderr } = await run('rollback', 'checkout', '--reason', 'checkout errors in EU', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(StopExecutionCommand, {
      executionArn: CHECKOUT_EXECUTION,
      error: 'RollbackRequested',
      cause: 'rollback requested by alice: checkout errors in EU',
    });
    expect(stdout).toBe(
      "Stopped checkout's deployment checkout-5f2a9c3e1b7d (RollbackRequested, by alice: checkout errors in EU).\n" +
        "The deployer's watcher now hands checkout to a restore run (checkout-5f2a9c3e1b7d-restore) that puts back what ran before the deployment (services and listener weights) and records it; if the deployment had not changed anything yet, it just releases the lock.\n" +
        'Follow it: deployer status checkout\n',
    );
  });

  it('refuses to stop a restore run: the rollback is already under way', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_RESTORE, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_RESTORE, 'RUNNING', restoreInput());

    // Act
    const { code, stderr } = await run('rollback', 'checkout', '--reason', 'bad', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: checkout is being restored by checkout-5f2a9c3e1b7d-restore, which puts back what ran before checkout-5f2a9c3e1b7d (execution was stopped: rollback requested by alice: bad): a rollback is already under way; follow it with `deployer status checkout`\n',
    );
    expect(stepFunctions).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('exits 1 when there is no running deployment to roll back', async () => {
    // Act
    const { code, stdout, stderr } = await run('rollback', 'checkout', '--reason', 'bad', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'deployer: there is no running deployment of checkout to roll back: it is idle; to go back to an earlier image, deploy that image (push its tag or start the state machine by hand), and see the last deployment with `deployer status checkout`\n',
    );
    expect(stepFunctions).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('exits 1 when the lock holder is no longer running', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'SUCCEEDED');

    // Act
    const { code, stderr } = await run('rollback', 'checkout', '--reason', 'bad', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('deployer: there is no running deployment of checkout to roll back: it is idle (its lock still names checkout-5f2a9c3e1b7d, which is SUCCEEDED; the next deployment takes the lock over); to go back');
    expect(stepFunctions).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('exits 1 with one line when the execution is gone by the time it is stopped', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'RUNNING');
    stepFunctions.on(StopExecutionCommand).rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${CHECKOUT_EXECUTION}'`, $metadata: {} }));

    // Act
    const { code, stderr } = await run('rollback', 'checkout', '--reason', 'bad', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      `deployer: states:StopExecution failed (ExecutionDoesNotExist: Execution Does Not Exist: '${CHECKOUT_EXECUTION}'); Step Functions no longer knows that execution (wrong region, or it ended more than 90 days ago)\n`,
    );
  });

  it.each([
    { argv: ['rollback', 'checkout'], message: "required option '--reason <text>' not specified" },
    { argv: ['rollback', 'nope', '--reason', 'x'], message: "SERVICE: 'nope' is not in deployer.config.yaml" },
    { argv: ['rollback', 'checkout', '--reason', 'x', '--by', ''], message: '--by: give a name of 1 to 256 characters' },
  ])('exits 2 before any AWS call for $argv', async ({ argv, message }) => {
    // Act
    const { code, stderr } = await run(...argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });
});
