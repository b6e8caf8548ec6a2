/**
 * `deployer reject`: fails the approval step with ApprovalRejected so the
 * deployment rolls back, then clears the approval from the lock item.
 */
import { SendTaskFailureCommand, TaskDoesNotExist } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  PAYMENTS_EXECUTION,
  PAYMENTS_IMAGE,
  TABLE,
  cloudFormation,
  executionIs,
  heldBy,
  lockIs,
  lockKey,
  run,
  stepFunctions,
  table,
  useInstalledDeployer,
  WORKER_VM_APPROVAL,
  workerVmDeploying,
} from './operate-fixtures.ts';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAb2tMSNl1gA/payments-approval';

/** payments' blue-green waits at its approval step (the second). */
function paymentsWaitsForApproval(): void {
  const approval = {
    token: TOKEN,
    executionArn: PAYMENTS_EXECUTION,
    step: 1,
    requestedAt: '2026-02-03T12:15:00.000Z',
    timeoutAt: '2026-02-03T13:15:00.000Z',
  };
  lockIs('payments', heldBy(PAYMENTS_EXECUTION, PAYMENTS_IMAGE, { approval }));
  executionIs(PAYMENTS_EXECUTION, 'RUNNING');
}

describe('deployer reject', () => {
  useInstalledDeployer();

  it('sends the task failure ApprovalRejected with who rejected it and why, then clears the approval', async () => {
    // Prepare
    paymentsWaitsForApproval();
    stepFunctions.on(SendTaskFailureCommand).resolves({});
    table.on(UpdateCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await run('reject', 'payments', '--reason', 'p99 doubled on green', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'ApprovalRejected',
      cause: 'rejected by alice: p99 doubled on green',
    });
    expect(table).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: TABLE,
      Key: lockKey('payments'),
      UpdateExpression: 'REMOVE #approval',
      ConditionExpression: '#approval.#token = :token',
      ExpressionAttributeNames: { '#approval': 'approval', '#token': 'token' },
      ExpressionAttributeValues: { ':token': TOKEN },
    });
    expect(stdout).toBe(
      "Rejected step 2 of payments's deployment payments-0c1d2e3f4a5b as alice; the deployment rolls back now.\n" +
        'Follow it: deployer status payments\n',
    );
  });

  it('exits 1 when the approval no longer exists in Step Functions', async () => {
    // Prepare
    paymentsWaitsForApproval();
    stepFunctions.on(SendTaskFailureCommand).rejects(new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} }));
    table.on(UpdateCommand).resolves({});

    // Act
    const { code, stderr } = await run('reject', 'payments', '--reason', 'too slow', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('deployer: the approval of payments at step 2 (payments-0c1d2e3f4a5b) is no longer pending (TaskDoesNotExist)');
    expect(stderr.split('\n')).toHaveLength(2);
  });

  it('exits 1 and points to rollback when the deployment is not waiting for an approval', async () => {
    // Prepare
    lockIs('payments', heldBy(PAYMENTS_EXECUTION, PAYMENTS_IMAGE));
    executionIs(PAYMENTS_EXECUTION, 'RUNNING');

    // Act
    const { code, stderr } = await run('reject', 'payments', '--reason', 'too slow', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: payments is being deployed by payments-0c1d2e3f4a5b, which is not waiting for an approval; to abort it run `deployer rollback payments --reason TEXT`, or follow it with `deployer status payments`\n',
    );
    expect(stepFunctions).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('exits 1 when nothing is running', async () => {
    // Act
    const { code, stderr } = await run('reject', 'payments', '--reason', 'too slow');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('deployer: payments is idle: no deployment is running, so there is no approval to answer');
  });

  it.each([
    { argv: ['reject', 'payments'], message: "required option '--reason <text>' not specified" },
    { argv: ['reject', 'payments', '--reason', '  '], message: '--reason: say why in 1 to 1024 characters' },
    { argv: ['reject', 'nope', '--reason', 'x'], message: "SERVICE: 'nope' is not in deployer.config.yaml" },
  ])('exits 2 before any AWS call for $argv', async ({ argv, message }) => {
    // Act
    const { code, stderr } = await run(...argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });

  it('rejects a VM canary after its first batch: ApprovalRejected, so every host it changed goes back', async () => {
    // Prepare
    workerVmDeploying({ approval: true });
    stepFunctions.on(SendTaskFailureCommand).resolves({});
    table.on(UpdateCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await run('reject', 'worker-vm', '--reason', 'canary logs errors', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: WORKER_VM_APPROVAL.token,
      error: 'ApprovalRejected',
      cause: 'rejected by alice: canary logs errors',
    });
    expect(table).toHaveReceivedCommandWith(UpdateCommand, { Key: lockKey('worker-vm'), UpdateExpression: 'REMOVE #approval' });
    expect(stdout).toBe(
      "Rejected the canary of worker-vm's deployment worker-vm-2b3c4d5e6f70 as alice; the deployment rolls back now.\n" +
        'Follow it: deployer status worker-vm\n',
    );
  });
});
