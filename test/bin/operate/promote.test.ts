/**
 * `deployer promote`: asks the running deployment, through its lock item,
 * to end the bake of its current step now; refuses when it waits for an
 * approval or nothing runs.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_EXECUTION,
  CHECKOUT_IMAGE,
  CHECKOUT_RESTORE,
  NOW,
  TABLE,
  executionIs,
  heldBy,
  lockIs,
  lockKey,
  restoreInput,
  run,
  table,
  useInstalledDeployer,
  WORKER_VM_EXECUTION,
  workerVmDeploying,
} from './operate-fixtures.ts';

describe('deployer promote', () => {
  useInstalledDeployer();

  it('writes the promote request on the lock, on condition that the deployment still holds it', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'RUNNING');
    table.on(UpdateCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await run('promote', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(table).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: TABLE,
      Key: lockKey('checkout'),
      UpdateExpression: 'SET #promote = :request',
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeNames: { '#promote': 'promote' },
      ExpressionAttributeValues: {
        ':request': { executionArn: CHECKOUT_EXECUTION, requestedAt: NOW.toISOString(), requestedBy: 'alice' },
        ':holder': CHECKOUT_EXECUTION,
      },
    });
    expect(stdout).toBe(
      "Asked checkout's deployment checkout-5f2a9c3e1b7d to end the bake of its current step now (as alice); it moves on at its next verification.\n" +
        'Follow it: deployer status checkout\n',
    );
  });

  it('refuses and says to approve when the deployment waits for an approval', async () => {
    // Prepare
    const approval = {
      token: 'token-1',
      executionArn: CHECKOUT_EXECUTION,
      step: 2,
      requestedAt: '2026-02-03T12:10:00.000Z',
      timeoutAt: '2026-02-03T16:10:00.000Z',
    };
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE, { approval }));
    executionIs(CHECKOUT_EXECUTION, 'RUNNING');

    // Act
    const { code, stderr } = await run('promote', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: checkout is being deployed by checkout-5f2a9c3e1b7d, which waits for an approval at step 3, not baking: approve it instead with `deployer approve checkout` (or `deployer reject checkout --reason TEXT`)\n',
    );
    expect(table).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('refuses during a restore run: there is no bake to end', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_RESTORE, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_RESTORE, 'RUNNING', restoreInput());

    // Act
    const { code, stderr } = await run('promote', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('deployer: checkout is being restored by checkout-5f2a9c3e1b7d-restore');
    expect(stderr).toContain('so there is no bake to end');
    expect(table).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('exits 1 when nothing is running', async () => {
    // Act
    const { code, stderr } = await run('promote', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: checkout is idle: no deployment is running, so there is no bake to end; see its last deployment with `deployer status checkout`\n',
    );
    expect(table).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('exits 1 when the lock holder is no longer running', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'ABORTED');

    // Act
    const { code, stderr } = await run('promote', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('deployer: checkout is idle: no deployment is running (its lock still names checkout-5f2a9c3e1b7d, which is ABORTED;');
    expect(table).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('exits 1 when the deployment ended between reading the lock and writing the request', async () => {
    // Prepare
    lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
    executionIs(CHECKOUT_EXECUTION, 'RUNNING');
    table.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const { code, stderr } = await run('promote', 'checkout', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      "deployer: checkout's deployment checkout-5f2a9c3e1b7d ended before the promote request was written; nothing was changed; see what happened with `deployer status checkout`\n",
    );
  });

  it('exits 2 for a service that is not in the config', async () => {
    // Act
    const { code } = await run('promote', 'nope');

    // Assess
    expect(code).toBe(2);
  });

  it("asks a VM deployment to end its current bake (the canary's), through the same lock item Verify reads", async () => {
    // Prepare
    workerVmDeploying();
    table.on(UpdateCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await run('promote', 'worker-vm', '--by', 'alice');

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(table).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: TABLE,
      Key: lockKey('worker-vm'),
      UpdateExpression: 'SET #promote = :request',
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeNames: { '#promote': 'promote' },
      ExpressionAttributeValues: {
        ':request': { executionArn: WORKER_VM_EXECUTION, requestedAt: NOW.toISOString(), requestedBy: 'alice' },
        ':holder': WORKER_VM_EXECUTION,
      },
    });
    expect(stdout).toBe(
      "Asked worker-vm's deployment worker-vm-2b3c4d5e6f70 to end its current bake now (as alice); it moves on at its next verification.\n" +
        'Follow it: deployer status worker-vm\n',
    );
  });

  it('refuses to promote a VM canary that waits for its approval, saying to approve it', async () => {
    // Prepare
    workerVmDeploying({ approval: true });

    // Act
    const { code, stderr } = await run('promote', 'worker-vm', '--by', 'alice');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      'deployer: worker-vm is being deployed by worker-vm-2b3c4d5e6f70, which waits for the approval of the canary, not baking: approve it instead with `deployer approve worker-vm` (or `deployer reject worker-vm --reason TEXT`)\n',
    );
    expect(table).not.toHaveReceivedCommand(UpdateCommand);
  });
});
