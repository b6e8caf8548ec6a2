/**
 * `deployer approve`: answers the approval the running deployment waits
 * for, then clears it from the lock item; refuses (exit 1) when there is
 * nothing to approve.
 */
import os from 'node:os';
import { SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import {
  CHECKOUT_EXECUTION,
  CHECKOUT_IMAGE,
  NOW,
  TABLE,
  awsError,
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

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAb2tMSNl1gA/checkout-approval';

const APPROVAL = {
  token: TOKEN,
  executionArn: CHECKOUT_EXECUTION,
  step: 2,
  requestedAt: '2026-02-03T12:10:00.000Z',
  timeoutAt: '2026-02-03T16:10:00.000Z',
};

/** checkout's canary waits at its approval step (the third). */
function checkoutWaitsForApproval(): void {
  lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE, { approval: APPROVAL }));
  executionIs(CHECKOUT_EXECUTION, 'RUNNING');
}

describe('deployer approve', () => {
  useInstalledDeployer();

  it('sends the task success with who approved and when, then clears the approval from the lock', async () => {
    // Prepare
    checkoutWaitsForApproval();
    stepFunctions.on(SendTaskSuccessCommand).resolves({});
    table.on(UpdateCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await run('approve', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ approvedBy: 'alice', approvedAt: NOW.toISOString() }),
    });
    expect(table).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: TABLE,
      Key: lockKey('checkout'),
      UpdateExpression: 'REMOVE #approval',
      ConditionExpression: '#approval.#token = :token',
      ExpressionAttributeNames: { '#approval': 'approval', '#token': 'token' },
      ExpressionAttributeValues: { ':token': TOKEN },
    });
    expect(stdout).toBe(
      "Approved step 3 of checkout's deployment checkout-5f2a9c3e1b7d as alice; it goes on with the next step.\n" +
        'Follow it: deployer status checkout\n',
    );
  });

  it('records the OS user as the approver when --by is not given', async () => {
    // Prepare
    checkoutWaitsForApproval();
    stepFunctions.on(SendTaskSuccessCommand).resolves({});
    table.on(UpdateCommand).resolves({});
    vi.spyOn(os, 'userInfo').mockReturnValue({ username: 'bob', uid: 1000, gid: 1000, shell: '/bin/sh', homedir: '/home/bob' });

    // Act
    const { code } = await run('approve', 'checkout');

    // Assess
    expect(code).toBe(0);
    expect(stepFunctions).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      output: JSON.stringify({ approvedBy: 'bob', approvedAt: NOW.toISOString() }),
    });
  });

  it('still succeeds when the approval was already cleared from the lock', async () => {
    // Prepare
    checkoutWaitsForApproval();
    stepFunctions.on(SendTaskSuccessCommand).resolves({});
    table.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const { code, stderr } = await run('approve', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });

  it('exits 1 and clears the stale approval when it timed out between reading the lock and SendTaskSuccess', async () => {
    // Prepare
    checkoutWaitsForApproval();
    stepFunctions.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    table.on(UpdateCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await run('approve', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'deployer: the approval of checkout at step 3 (checkout-5f2a9c3e1b7d) is no longer pending (TaskTimedOut): it timed out at 2026-02-03T16:10:00.000Z and counts as rejected, or the deployment ended; see what happened with `deployer status checkout`\n',
    );
    expect(table).toHaveReceivedCommandWith(UpdateCommand, { UpdateExpression: 'REMOVE #approval', ExpressionAttributeValues: { ':token': TOKEN } });
  });

  it('exits 1 naming the service when no deployment is running', async () => {
    // Act
    const { code, stderr } = await run('approve', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: checkout is idle: no deployment is running, so there is no approval to answer; see its last deployment with `deployer status checkout`\n',
    );
    expect(stepFunctions).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('exits 1 when the lock holder is no longer running, even if its approval is still on the lock', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE, { approval: APPROVAL }));
    executionIs(CHECKOUT_EXECUTION, 'TIMED_OUT');

    // Act
    const { code, stderr } = await run('approve', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: checkout is idle: no deployment is running (its lock still names checkout-5f2a9c3e1b7d, which is TIMED_OUT; the next deployment takes the lock over), so there is no approval to answer; see its last deployment with `deployer status checkout`\n',
    );
    expect(stepFunctions).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(table).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('exits 1 and points to promote when the deployment is not waiting for an approval', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'RUNNING');

    // Act
    const { code, stderr } = await run('approve', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: checkout is being deployed by checkout-5f2a9c3e1b7d, which is not waiting for an approval; to end the current bake early run `deployer promote checkout`, or follow it with `deployer status checkout`\n',
    );
  });

  it('exits 1 with one line when AWS denies SendTaskSuccess, and leaves the approval on the lock', async () => {
    // Prepare
    checkoutWaitsForApproval();
    stepFunctions
      .on(SendTaskSuccessCommand)
      .rejects(awsError('AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/dev/alice is not authorized to perform: states:SendTaskSuccess'));

    // Act
    const { code, stderr } = await run('approve', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: states:SendTaskSuccess failed (AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/dev/alice is not authorized to perform: states:SendTaskSuccess); your AWS identity may not call states:SendTaskSuccess: use a role allowed to operate the deployer, or ask for that permission\n',
    );
    expect(table).not.toHaveReceivedCommand(UpdateCommand);
  });

  it("approves a VM canary's approval after its first batch, so the other batches go on", async () => {
    // Prepare
    workerVmDeploying({ approval: true });
    stepFunctions.on(SendTaskSuccessCommand).resolves({});
    table.on(UpdateCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await run('approve', 'worker-vm', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, {
      taskToken: WORKER_VM_APPROVAL.token,
      output: JSON.stringify({ approvedBy: 'alice', approvedAt: NOW.toISOString() }),
    });
    expect(table).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      Key: lockKey('worker-vm'),
      UpdateExpression: 'REMOVE #approval',
      ExpressionAttributeValues: { ':token': WORKER_VM_APPROVAL.token },
    });
    expect(stdout).toBe(
      "Approved the canary of worker-vm's deployment worker-vm-2b3c4d5e6f70 as alice; it goes on with the other batches.\n" +
        'Follow it: deployer status worker-vm\n',
    );
  });

  it('exits 1 and points to promote when a VM canary is still baking its first batch', async () => {
    // Prepare
    workerVmDeploying();

    // Act
    const { code, stderr } = await run('approve', 'worker-vm', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: worker-vm is being deployed by worker-vm-2b3c4d5e6f70, which is not waiting for an approval; to end the current bake early run `deployer promote worker-vm`, or follow it with `deployer status worker-vm`\n',
    );
    expect(stepFunctions).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('exits 2 for a service that is not in the config, before any AWS call', async () => {
    // Act
    const { code, stderr } = await run('approve', 'nope');

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain("SERVICE: 'nope' is not in deployer.config.yaml");
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });

  it('exits 2 without a service', async () => {
    // Act
    const { code, stderr } = await run('approve');

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain("missing required argument 'service'");
  });
});
