/**
 * `deployer rollback`: stops the running deployment with RollbackRequested
 * (the stack's watcher restores the snapshot); when nothing runs, deploys
 * the previous successful image from the history, or refuses (exit 1)
 * when there is none.
 */
import { ExecutionDoesNotExist, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_EXECUTION,
  CHECKOUT_IMAGE,
  CHECKOUT_RESTORE,
  NOW,
  REGISTRY,
  STACK_OUTPUTS,
  cloudFormation,
  executionIs,
  heldBy,
  lockIs,
  restoreInput,
  run,
  stepFunctions,
  table,
  useInstalledDeployer,
  WORKER_VM_EXECUTION,
  workerVmDeploying,
} from './operate-fixtures.ts';

const CHECKOUT_STARTED = 'arn:aws:states:us-east-1:123456789012:execution:EcsDeployer-ecs-canary:checkout-20260203T122000Z-3c4d';

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

  describe('with no deployment running', () => {
    const v15 = { status: 'SUCCEEDED', image: `${REGISTRY}/checkout@sha256:${'15'.repeat(32)}`, imageTag: 'v1.5.0', startedBy: 'ecr-push', startedAt: '2026-02-03T09:00:00.000Z', endedAt: '2026-02-03T09:20:00.000Z' };
    const v14 = { status: 'SUCCEEDED', image: `${REGISTRY}/checkout@sha256:${'14'.repeat(32)}`, imageTag: 'v1.4.0', startedBy: 'bob', startedAt: '2026-02-01T09:00:00.000Z', endedAt: '2026-02-01T09:20:00.000Z' };
    const item = (record: Record<string, unknown>): Record<string, unknown> => ({ pk: 'SERVICE#checkout', sk: `DEPLOY#${String(record.startedAt)}#checkout-x`, ...record });

    it('deploys the previous successful image from the history, through the strategy, saying what it does', async () => {
      // Prepare: the newest deployment rolled back, then v1.5.0 runs (and was deployed twice), v1.4.0 before it.
      table.on(QueryCommand).resolves({
        Items: [
          item({ status: 'ROLLED_BACK', image: `${REGISTRY}/checkout@sha256:${'16'.repeat(32)}`, imageTag: 'v1.6.0', startedAt: '2026-02-03T11:00:00.000Z' }),
          item(v15),
          item({ ...v15, startedAt: '2026-02-02T09:00:00.000Z', imageTag: 'v1.5.0-rc' }),
          item({ status: 'FAILED', image: `${REGISTRY}/checkout@sha256:${'13'.repeat(32)}`, startedAt: '2026-02-01T12:00:00.000Z' }),
          item(v14),
        ],
      });
      stepFunctions.on(StartExecutionCommand).resolves({ executionArn: CHECKOUT_STARTED, startDate: NOW });

      // Act
      const { code, stdout, stderr } = await run('rollback', 'checkout', '--reason', 'checkout errors in EU', '--by', 'alice');

      // Assess
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stepFunctions).not.toHaveReceivedCommand(StopExecutionCommand);
      const image = `${REGISTRY}/checkout:v1.4.0@sha256:${'14'.repeat(32)}`;
      expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
        stateMachineArn: STACK_OUTPUTS.CanaryStateMachineArn,
        name: expect.stringMatching(/^checkout-20260203T122000Z-[0-9a-f]{4}$/),
        input: JSON.stringify({ service: 'checkout', image, startedBy: 'alice', reason: 'rollback of v1.5.0 by alice: checkout errors in EU' }),
      });
      expect(stdout).toBe(
        [
          'No deployment of checkout is running, so rolling back means deploying the image it ran before.',
          `  now        v1.5.0 (${v15.image}), deployed 2026-02-03T09:20:00.000Z by ecr-push`,
          `  back to    v1.4.0 (${v14.image}), deployed 2026-02-01T09:20:00.000Z by bob`,
          `Started checkout's deployment of ${image} (canary, reason: rollback of v1.5.0 by alice: checkout errors in EU); it goes through checkout's canary steps and verification like any deployment, and rolls back if they fail.`,
          `  execution  ${CHECKOUT_STARTED}`,
          `  console    https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${CHECKOUT_STARTED}`,
          'Follow it: deployer watch checkout',
          '',
        ].join('\n'),
      );
    });

    it('reads older pages of the history until it finds an earlier image, and redeploys it even when the lock is stale', async () => {
      // Prepare
      lockIs('checkout', heldBy(CHECKOUT_EXECUTION, CHECKOUT_IMAGE));
      executionIs(CHECKOUT_EXECUTION, 'ABORTED');
      table
        .on(QueryCommand)
        .resolvesOnce({ Items: [item(v15)], LastEvaluatedKey: { pk: 'SERVICE#checkout', sk: 'DEPLOY#2026-02-03T09:00:00.000Z#checkout-x' } })
        .resolvesOnce({ Items: [item(v14)] });
      stepFunctions.on(StartExecutionCommand).resolves({ executionArn: CHECKOUT_STARTED, startDate: NOW });

      // Act
      const { code, stdout } = await run('rollback', 'checkout', '--reason', 'bad', '--by', 'alice');

      // Assess
      expect(code).toBe(0);
      expect(table).toHaveReceivedCommandTimes(QueryCommand, 2);
      expect(stepFunctions).toHaveReceivedCommandWith(StartExecutionCommand, {
        input: JSON.stringify({ service: 'checkout', image: `${REGISTRY}/checkout:v1.4.0@sha256:${'14'.repeat(32)}`, startedBy: 'alice', reason: 'rollback of v1.5.0 by alice: bad' }),
      });
      expect(stdout).toContain(
        'No deployment of checkout is running (its lock still names checkout-5f2a9c3e1b7d, which is ABORTED; the next deployment takes the lock over), so rolling back means deploying the image it ran before.\n',
      );
    });

    it('refuses (exit 1) when the history has no earlier successful image', async () => {
      // Prepare
      table.on(QueryCommand).resolves({ Items: [item(v15), item({ ...v15, startedAt: '2026-02-02T09:00:00.000Z' }), item({ ...v14, status: 'ROLLED_BACK' })] });

      // Act
      const { code, stdout, stderr } = await run('rollback', 'checkout', '--reason', 'bad', '--by', 'alice');

      // Assess
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `deployer: there is nothing to roll back to: no deployment of checkout is running, and its history has no successful deployment of another image before v1.5.0 (${v15.image}); to deploy a given image run \`deployer deploy checkout --image IMAGE\`\n`,
      );
      expect(stepFunctions).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(stepFunctions).not.toHaveReceivedCommand(StopExecutionCommand);
    });

    it('refuses (exit 1) when the service was never deployed successfully', async () => {
      // Act
      const { code, stdout, stderr } = await run('rollback', 'checkout', '--reason', 'bad', '--by', 'alice');

      // Assess
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        'deployer: there is nothing to roll back: no deployment of checkout is running and its history records no successful deployment to go back from; to deploy a given image run `deployer deploy checkout --image IMAGE`\n',
      );
      expect(stepFunctions).not.toHaveReceivedCommand(StartExecutionCommand);
    });
  });

  describe('a VM service', () => {
    const WORKER_STARTED = 'arn:aws:states:us-east-1:123456789012:execution:EcsDeployer-vm-canary:worker-vm-20260203T122000Z-3c4d';
    const sha = (byte: string): string => byte.repeat(32);
    /** A history item of worker-vm: the artifact's URI as `image`, its release as `imageTag`, its checksum in the stored deployment. */
    const vmItem = (release: string, sha256: string, record: Record<string, unknown>): Record<string, unknown> => ({
      pk: 'SERVICE#worker-vm',
      sk: `DEPLOY#${String(record.startedAt)}#worker-vm-x`,
      image: `s3://acme-artifacts/worker/worker-vm-${release}.tar.gz`,
      imageTag: release,
      deploymentJson: JSON.stringify({ service: 'worker-vm', kind: 'vm', artifact: { bucket: 'acme-artifacts', key: `worker/worker-vm-${release}.tar.gz`, version: release, sha256 } }),
      ...record,
    });

    it('stops the running deployment; the restore run puts every host it changed back on its release', async () => {
      // Prepare
      workerVmDeploying();
      stepFunctions.on(StopExecutionCommand).resolves({ stopDate: new Date() });

      // Act
      const { code, stdout, stderr } = await run('rollback', 'worker-vm', '--reason', 'queue backs up', '--by', 'alice');

      // Assess
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(StopExecutionCommand, {
        executionArn: WORKER_VM_EXECUTION,
        error: 'RollbackRequested',
        cause: 'rollback requested by alice: queue backs up',
      });
      expect(stdout).toBe(
        "Stopped worker-vm's deployment worker-vm-2b3c4d5e6f70 (RollbackRequested, by alice: queue backs up).\n" +
          "The deployer's watcher now hands worker-vm to a restore run (worker-vm-2b3c4d5e6f70-restore) that puts back what ran before the deployment (every host it changed back on the release it served) and records it; if the deployment had not changed anything yet, it just releases the lock.\n" +
          'Follow it: deployer status worker-vm\n',
      );
    });

    it('with none running, deploys the previous successful artifact pinned by its SHA-256, under its release name, through the canary', async () => {
      // Prepare: 2.0.0 runs (redeployed once as 2.0.0-again: the same bytes), a failed 1.9.5, then 1.9.0 before.
      table.on(QueryCommand).resolves({
        Items: [
          vmItem('2.1.0', sha('21'), { status: 'ROLLED_BACK', startedAt: '2026-02-03T11:00:00.000Z' }),
          vmItem('2.0.0', sha('20'), { status: 'SUCCEEDED', startedBy: 's3-upload', startedAt: '2026-02-03T09:00:00.000Z', endedAt: '2026-02-03T09:30:00.000Z' }),
          vmItem('2.0.0-again', sha('20'), { status: 'SUCCEEDED', startedAt: '2026-02-02T09:00:00.000Z' }),
          vmItem('1.9.5', sha('19'), { status: 'FAILED', startedAt: '2026-02-01T12:00:00.000Z' }),
          vmItem('1.9.0', sha('90'), { status: 'SUCCEEDED', startedBy: 'bob', startedAt: '2026-02-01T09:00:00.000Z', endedAt: '2026-02-01T09:30:00.000Z' }),
        ],
      });
      stepFunctions.on(StartExecutionCommand).resolves({ executionArn: WORKER_STARTED, startDate: NOW });

      // Act
      const { code, stdout, stderr } = await run('rollback', 'worker-vm', '--reason', 'queue backs up', '--by', 'alice');

      // Assess
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stepFunctions).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
        stateMachineArn: STACK_OUTPUTS.VmCanaryStateMachineArn,
        name: expect.stringMatching(/^worker-vm-20260203T122000Z-[0-9a-f]{4}$/),
        input: JSON.stringify({
          service: 'worker-vm',
          artifact: 's3://acme-artifacts/worker/worker-vm-1.9.0.tar.gz',
          version: '1.9.0',
          sha256: sha('90'),
          startedBy: 'alice',
          reason: 'rollback of 2.0.0 by alice: queue backs up',
        }),
      });
      expect(stdout).toBe(
        [
          'No deployment of worker-vm is running, so rolling back means deploying the artifact it ran before.',
          '  now        2.0.0 (s3://acme-artifacts/worker/worker-vm-2.0.0.tar.gz), deployed 2026-02-03T09:30:00.000Z by s3-upload',
          '  back to    1.9.0 (s3://acme-artifacts/worker/worker-vm-1.9.0.tar.gz), deployed 2026-02-01T09:30:00.000Z by bob',
          `Started worker-vm's deployment of s3://acme-artifacts/worker/worker-vm-1.9.0.tar.gz as release 1.9.0, sha256 ${sha('90')} (VM canary, reason: rollback of 2.0.0 by alice: queue backs up); it goes through worker-vm's canary batches and verification like any deployment, and rolls back if they fail.`,
          `  execution  ${WORKER_STARTED}`,
          `  console    https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${WORKER_STARTED}`,
          'Follow it: deployer watch worker-vm',
          '',
        ].join('\n'),
      );
    });

    it('with none running, refuses (exit 1) when every earlier success deployed the same bytes', async () => {
      // Prepare
      table.on(QueryCommand).resolves({
        Items: [
          vmItem('2.0.0', sha('20'), { status: 'SUCCEEDED', startedAt: '2026-02-03T09:00:00.000Z' }),
          vmItem('2.0.0-again', sha('20'), { status: 'SUCCEEDED', startedAt: '2026-02-02T09:00:00.000Z' }),
          vmItem('1.9.0', sha('90'), { status: 'ROLLED_BACK', startedAt: '2026-02-01T09:00:00.000Z' }),
        ],
      });

      // Act
      const { code, stdout, stderr } = await run('rollback', 'worker-vm', '--reason', 'bad', '--by', 'alice');

      // Assess
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        'deployer: there is nothing to roll back to: no deployment of worker-vm is running, and its history has no successful deployment of another artifact before 2.0.0 (s3://acme-artifacts/worker/worker-vm-2.0.0.tar.gz); to deploy a given artifact run `deployer deploy worker-vm --artifact S3_URI`\n',
      );
      expect(stepFunctions).not.toHaveReceivedCommand(StartExecutionCommand);
    });
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
