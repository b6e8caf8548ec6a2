/**
 * The operator CLI driving VM deployments end to end: `deployer deploy`,
 * `promote`, `approve` and `rollback` run in-process against the rehearsal
 * (the real VM state machines and handlers, the simulated AWS, the
 * real release script on every simulated host), as an operator runs them
 * against the installed stack. Only the stack's outputs are given here:
 * the simulation has no CloudFormation.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runOperatorCommand } from '../../bin/cli/operate/index.ts';
import { readLedger } from '../../lambdas/vm/host-ledger.ts';
import { REHEARSAL_EPOCH, REHEARSAL_STACK, Rehearsal } from '../../simulator/rehearsal.ts';
import { buildDemoArtifact } from '../../simulator/vm/demo-artifact.ts';
import { seedVmHosts, type VmRehearsalHosts } from '../../simulator/vm/rehearsal-hosts.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from '../support/example-config.ts';
import { servedVersion } from '../support/vm-hosts.ts';

const config = exampleConfig();
const STATES = `arn:aws:states:us-east-1:123456789012:stateMachine:${REHEARSAL_STACK}`;
const cloudFormation = mockClient(CloudFormationClient);

/** What one CLI command printed, and its exit code. */
interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the operator CLI on VM services, rehearsed', () => {
  let session: Rehearsal | undefined;
  let seeded: VmRehearsalHosts | undefined;

  beforeEach(async () => {
    // Nobody answers an approval unless the test runs `deployer approve` (or the deployment is rolled back).
    session = await Rehearsal.create({ config, approvals: { answer: 'none' } });
    cloudFormation.reset();
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: REHEARSAL_STACK,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(REHEARSAL_EPOCH),
          Outputs: Object.entries({
            TableName: 'deployer',
            RollingStateMachineArn: `${STATES}-ecs-rolling`,
            CanaryStateMachineArn: `${STATES}-ecs-canary`,
            BlueGreenStateMachineArn: `${STATES}-ecs-blue-green`,
            VmRollingStateMachineArn: `${STATES}-vm-rolling`,
            VmCanaryStateMachineArn: `${STATES}-vm-canary`,
            VmBlueGreenStateMachineArn: `${STATES}-vm-blue-green`,
            TopicArn: 'arn:aws:sns:us-east-1:123456789012:EcsDeployer-Notifications',
          }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
  });

  afterEach(async () => {
    await session?.world.vm.settled();
    session?.close();
    await seeded?.cleanup();
    session = undefined;
    seeded = undefined;
    vi.useRealTimers();
    await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** Directories a test made. */
  const scratch: string[] = [];

  /** The hosts of `service`, each serving 1.0.0; the demo app's 2.0.0 is in S3 with its `.sha256`. */
  async function seed(service: string): Promise<VmRehearsalHosts> {
    seeded = await seedVmHosts(session!.world, config.vm.find((s) => s.name === service)!);
    return seeded;
  }

  /** The demo app's `version` uploaded under `prefix` with its `.sha256` beside it; its S3 URI. */
  async function upload(prefix: string, file: string, version: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-cli-artifact-'));
    scratch.push(dir);
    const artifact = await buildDemoArtifact({ version, dir });
    const key = `${prefix}${file}`;
    session!.world.s3.putObject('acme-artifacts', key, await readFile(artifact.path));
    session!.world.s3.putObject('acme-artifacts', `${key}.sha256`, `${artifact.sha256}  ${file}\n`);
    return `s3://acme-artifacts/${key}`;
  }

  /**
   * Run `deployer ARGV` as an operator, at the rehearsal's virtual time:
   * the clock holds while it runs, and its `new Date()` is the virtual now.
   */
  async function operator(...argv: string[]): Promise<CliResult> {
    const rehearsal = session!;
    const out: CliResult = { code: -1, stdout: '', stderr: '' };
    rehearsal.clock.begin();
    vi.useFakeTimers({ toFake: ['Date'], now: rehearsal.clock.now() });
    try {
      out.code = await rehearsal.world.withCaller({ functionKey: 'operator' }, () =>
        runOperatorCommand([...argv, '--config', EXAMPLE_CONFIG_PATH, '--region', 'us-east-1'], {
          stdout: (text) => {
            out.stdout += text;
          },
          stderr: (text) => {
            out.stderr += text;
          },
          sleep: async () => {},
        }),
      );
      return out;
    } finally {
      vi.useRealTimers();
      rehearsal.clock.end();
    }
  }

  /** At virtual time `epoch + minutes`, run `deployer ARGV`; resolves with what it printed. */
  function operatorAt(minutes: number, ...argv: string[]): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      session!.clock.at(REHEARSAL_EPOCH + minutes * 60_000, () => {
        operator(...argv).then(resolve, reject);
      });
    });
  }

  it('deploy starts the canary on vm-canary, promote ends its bake, approve lets the other batches go: every host serves 2.0.0', async () => {
    // Prepare: the canary bakes 10 minutes; the operator promotes 3 minutes in, and approves an hour later.
    const promoted = operatorAt(4, 'promote', 'worker-vm', '--by', 'carol');
    const approved = operatorAt(60, 'approve', 'worker-vm', '--by', 'alice');

    await seed('worker-vm');

    // Act
    const deployed = await operator('deploy', 'worker-vm', '--artifact', seeded!.artifact.uri, '--reason', 'new worker', '--by', 'alice');
    const record = await session!.executions[0]!.done;
    await session!.settle();

    // Assess
    expect(deployed.stderr).toBe('');
    expect(deployed.stdout).toContain(`Started worker-vm's deployment of ${seeded!.artifact.uri} as release 2.0.0 (VM canary), by alice: new worker\n`);
    expect(record.executionArn).toContain(':execution:EcsDeployer-vm-canary:worker-vm-');
    expect((await promoted).code).toBe(0);
    expect((await approved).stdout).toContain("Approved the canary of worker-vm's deployment");
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('SUCCEEDED');
    const canaryVerdicts = record.visits
      .filter((v) => v.name === 'CanaryVerifyBatch' && v.error === undefined)
      .map((v) => (v.output as { verification: { verdict: string } }).verification.verdict);
    expect(canaryVerdicts.at(-1)).toContain('promoted by carol: bake ended early');
    const approval = record.visits.find((v) => v.name === 'RequestApproval' && v.error === undefined)?.output as { approval?: { approvedBy?: string } };
    expect(approval.approval?.approvedBy).toBe('alice');
    expect(await Promise.all(seeded!.hosts.map((h) => servedVersion(h.host)))).toEqual(['2.0.0', '2.0.0', '2.0.0']);
  }, 120_000);

  it('rollback while the canary waits for its approval: the restore run puts the canary host back on 1.0.0', async () => {
    // Prepare
    await seed('worker-vm');
    const rolledBack = operatorAt(60, 'rollback', 'worker-vm', '--reason', 'queue backs up', '--by', 'alice');

    // Act
    await operator('deploy', 'worker-vm', '--artifact', seeded!.artifact.uri, '--by', 'alice');
    const record = await session!.executions[0]!.done;
    const stopped = await rolledBack;
    await session!.settle();

    // Assess
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('(every host it changed back on the release it served)');
    expect(record.status).toBe('ABORTED');
    const restore = session!.restoreRunOf(record.executionArn);
    expect(restore?.record.status).toBe('SUCCEEDED');
    expect(await Promise.all(seeded!.hosts.map((h) => servedVersion(h.host)))).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    const ledger = await readLedger(record.name);
    expect(ledger.filter((h) => h.batch === 0).map((h) => h.status)).toEqual(['rolled-back']);
  }, 120_000);

  it('rollback with nothing running redeploys the previous artifact, pinned by its SHA-256, as the same release', async () => {
    // Prepare: 2.0.0, then 3.0.0, deployed to api-vm with the CLI.
    const hosts = await seed('api-vm');
    expect((await operator('deploy', 'api-vm', '--artifact', hosts.artifact.uri, '--by', 'alice')).code).toBe(0);
    expect((await session!.executions[0]!.done).status).toBe('SUCCEEDED');
    const v3 = await upload('api/', 'api-vm-3.0.0.tar.gz', '3.0.0');
    expect((await operator('deploy', 'api-vm', '--artifact', v3, '--by', 'alice')).code).toBe(0);
    expect((await session!.executions[1]!.done).status).toBe('SUCCEEDED');
    expect(await Promise.all(hosts.hosts.map((h) => servedVersion(h.host)))).toEqual(['3.0.0', '3.0.0', '3.0.0']);

    // Act
    const rolledBack = await operator('rollback', 'api-vm', '--reason', '3.0.0 leaks memory', '--by', 'bob');
    const record = await session!.executions[2]!.done;
    await session!.settle();

    // Assess
    expect(rolledBack.stderr).toBe('');
    expect(rolledBack.stdout).toContain(`  back to    2.0.0 (${hosts.artifact.uri})`);
    expect(record.input).toEqual({
      service: 'api-vm',
      artifact: hosts.artifact.uri,
      version: '2.0.0',
      sha256: hosts.artifact.sha256,
      startedBy: 'bob',
      reason: 'rollback of 3.0.0 by bob: 3.0.0 leaks memory',
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(await Promise.all(hosts.hosts.map((h) => servedVersion(h.host)))).toEqual(['2.0.0', '2.0.0', '2.0.0']);
  }, 240_000);
});
