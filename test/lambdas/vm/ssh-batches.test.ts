/**
 * The SSH handlers (ResolveSshHosts, StartSshBatch, PollSshBatch) against a
 * real OpenSSH sshd: three hosts (directories and ports on this machine,
 * reached through the sshd) running the demo app, deployed batch by batch
 * with the real release script, the ledger in memory.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VmDeployment } from '../../../lambdas/shared/vm-deployment.ts';
import type { BatchProgress } from '../../../lambdas/vm/batch-progress.ts';
import type { LedgerItem } from '../../../lambdas/vm/host-ledger.ts';
import { handler as pollSshBatch } from '../../../lambdas/vm/poll-ssh-batch.ts';
import { handler as resolveSshHosts } from '../../../lambdas/vm/resolve-ssh-hosts.ts';
import { pollDetachedOverSsh } from '../../../lambdas/vm/ssh-run.ts';
import { handler as startSshBatch } from '../../../lambdas/vm/start-ssh-batch.ts';
import type { DemoArtifact } from '../../../simulator/vm/demo-artifact.ts';
import { demoServiceSettings } from '../../../simulator/vm/demo-artifact.ts';
import type { LocalHost } from '../../../simulator/vm/local-host.ts';
import { lambdaContext } from '../../support/lambda-context.ts';
import { stubDeployerEnv } from '../../support/lambda-fixtures.ts';
import { otherHostKey, sshdAvailability, sshdRequired, startSshd, type Sshd } from '../../support/sshd.ts';
import { demoArtifacts, demoHosts, FAST_HEALTH, servedVersion } from '../../support/vm-hosts.ts';
import { fakeLedger, vmDeployment } from './vm-fixtures.ts';

const artifactUrls = vi.hoisted(() => new Map<string, string>());
// The hosts download from this machine (file://), as in a rehearsal, instead of a presigned S3 URL.
vi.mock('../../../lambdas/vm/artifact-url.ts', () => ({
  presignedArtifactUrl: (deployment: VmDeployment): Promise<string> => Promise.resolve(artifactUrls.get(deployment.artifact.version) ?? ''),
}));

const secretsMock = mockClient(SecretsManagerClient);
const ddbMock = mockClient(DynamoDBDocumentClient);

const availability = sshdAvailability();
const skip = !availability.available && !sshdRequired();
const title = skip ? `the SSH batch handlers (skipped: ${availability.available ? '' : availability.reason})` : 'the SSH batch handlers';

describe.skipIf(skip)(title, () => {
  let sshd: Sshd;
  let hosts: LocalHost[];
  let cleanup: () => Promise<void>;
  let artifacts: Record<string, DemoArtifact>;
  let ledger: Map<string, LedgerItem>;
  let execution = 0;

  beforeAll(async () => {
    sshd = await startSshd();
    let root: string;
    ({ root, hosts, cleanup } = await demoHosts(3, 'deployer-ssh-batches-'));
    artifacts = await demoArtifacts(root, { v1: 'up', v2: 'up', v3: 'down' });
    for (const [version, artifact] of Object.entries(artifacts)) artifactUrls.set(version, artifact.url);
  }, 60_000);

  afterAll(async () => {
    await cleanup?.();
    await sshd?.stop();
  });

  beforeEach(() => {
    secretsMock.reset();
    ddbMock.reset();
    stubDeployerEnv();
    secretsMock.on(GetSecretValueCommand, { SecretId: 'deployer/demo-key' }).resolves({ SecretString: sshd.privateKey });
  });

  /** A deployment of `version` to the three hosts over SSH, in `batches`. */
  function deploymentOf(version: string, batches: VmDeployment['batches'], hostKey = sshd.hostKey): VmDeployment {
    execution += 1;
    const demo = demoServiceSettings(0);
    return vmDeployment({
      executionName: `demo-ssh-${execution}`,
      artifact: { bucket: 'acme-artifacts', key: `demo/demo-${version}.tar.gz`, version, sha256: artifacts[version]!.sha256 },
      imageTag: version,
      release: {
        serviceName: 'demo',
        installDir: '/opt/unused',
        keepReleases: 5,
        minFreeMb: 1,
        startCommand: demo.startCommand!,
        stopCommand: demo.stopCommand!,
        useSudo: false,
        serviceTimeoutSeconds: 30,
        downloadTimeoutSeconds: 60,
        healthUrl: 'http://127.0.0.1:{port}/health',
        healthExpect: '"status":"UP"',
        ...FAST_HEALTH,
        smokeCommands: [],
        configTemplate: 'app.conf.tmpl',
        configTarget: 'app.conf',
        configVars: { MESSAGE: 'hello' },
      },
      targets: {
        executor: 'ssh',
        hosts: hosts.map((host) => ({
          name: host.name,
          address: sshd.host,
          port: sshd.port,
          user: sshd.username,
          hostKey,
          privateKeySecret: 'deployer/demo-key',
          installDir: host.installDir,
          healthUrl: `http://127.0.0.1:${host.port}/health`,
          vars: { PORT: String(host.port) },
        })),
      },
      batches,
      ssh: { connectTimeoutSeconds: 10, commandTimeoutSeconds: 60 },
    });
  }

  /** Start a batch (or the rollback) and poll it until it ends, as the state machine does. */
  async function runToEnd(event: Parameters<typeof startSshBatch>[0]): Promise<BatchProgress> {
    await startSshBatch(event, lambdaContext());
    for (;;) {
      const progress = await pollSshBatch(event, lambdaContext());
      if (progress.done) return progress;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async function deployAll(deployment: VmDeployment): Promise<void> {
    const summary = await resolveSshHosts({ deployment, group: 'fleet' }, lambdaContext());
    for (const batch of summary.batches) await runToEnd({ mode: 'deploy', deployment, group: 'fleet', batch });
  }

  it('deploys v1, then v2 one host then the rest: every host serves v2 over HTTP, and the ledger has each host\'s releases', async () => {
    // Prepare
    ledger = fakeLedger(ddbMock, 'demo-ssh-1');
    await deployAll(deploymentOf('v1', ['100%']));
    const v2 = deploymentOf('v2', [1, '100%']);
    ledger = fakeLedger(ddbMock, v2.executionName);

    // Act
    const summary = await resolveSshHosts({ deployment: v2, group: 'fleet' }, lambdaContext());
    const batches = [];
    for (const batch of summary.batches) batches.push(await runToEnd({ mode: 'deploy', deployment: v2, group: 'fleet', batch }));

    // Assess
    expect(summary).toMatchObject({ executor: 'ssh', hostCount: 3, batchCount: 2 });
    expect(batches.map((b) => [b.hostCount, b.succeeded, b.failed])).toEqual([
      [1, 1, 0],
      [2, 2, 0],
    ]);
    expect(await Promise.all(hosts.map(servedVersion))).toEqual(['v2', 'v2', 'v2']);
    expect([...ledger.values()].map((h) => [h.host, h.status, h.releaseBefore, h.releaseAfter, h.phase])).toEqual([
      ['host-1', 'succeeded', 'v1', 'v2', 'cleanup'],
      ['host-2', 'succeeded', 'v1', 'v2', 'cleanup'],
      ['host-3', 'succeeded', 'v1', 'v2', 'cleanup'],
    ]);
  }, 120_000);

  it('v3 fails its health check on the first batch: the batch fails naming the host and phase, and the rollback leaves every host on v2', async () => {
    // Prepare
    const v3 = deploymentOf('v3', [1, '100%']);
    ledger = fakeLedger(ddbMock, v3.executionName);
    const summary = await resolveSshHosts({ deployment: v3, group: 'fleet' }, lambdaContext());
    await startSshBatch({ mode: 'deploy', deployment: v3, group: 'fleet', batch: 0 }, lambdaContext());
    let failure: unknown;
    while (failure === undefined) {
      try {
        await pollSshBatch({ mode: 'deploy', deployment: v3, group: 'fleet', batch: 0 }, lambdaContext());
        await new Promise((resolve) => setTimeout(resolve, 250));
      } catch (error) {
        failure = error;
      }
    }

    // Act
    const rollback = await runToEnd({ mode: 'rollback', deployment: v3 });

    // Assess
    expect(summary.batchCount).toBe(2);
    expect(failure).toMatchObject({ name: 'BatchFailed', message: expect.stringMatching(/batch 1: 1 of 1 host\(s\) failed .*host-1 \(health\)/) });
    expect(rollback).toMatchObject({ done: true, hostCount: 1, succeeded: 1, failed: 0 });
    expect(ledger.get('host-1')).toMatchObject({ status: 'rolled-back', releaseBefore: 'v2', releaseAfter: 'v2' });
    expect(ledger.get('host-2')).toMatchObject({ status: 'pending' });
    expect(await Promise.all(hosts.map(servedVersion))).toEqual(['v2', 'v2', 'v2']);
  }, 120_000);

  it('a rollback after a stop mid-batch cancels the deploy still running on the host: it stops at once, back on v2, and the rollback leaves it there', async () => {
    // Prepare: v3 fails its health check, slowly (100 s of retries); the execution is stopped while it retries.
    const slow = deploymentOf('v3', [1, '100%']);
    slow.release.healthRetries = 400;
    ledger = fakeLedger(ddbMock, slow.executionName);
    await resolveSshHosts({ deployment: slow, group: 'fleet' }, lambdaContext());
    await startSshBatch({ mode: 'deploy', deployment: slow, group: 'fleet', batch: 0 }, lambdaContext());
    const runId = ledger.get('host-1')!.runId!;
    const target = { host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, hostKey: sshd.hostKey };
    while (!(await pollDetachedOverSsh(target, runId)).outcome.phases.some((p) => p.name === 'health')) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // Act
    const rollback = await runToEnd({ mode: 'rollback', deployment: slow });

    // Assess
    const deploy = await pollDetachedOverSsh(target, runId);
    expect(deploy.state).toBe('exited');
    expect(deploy.verdict).toMatchObject({ status: 'ROLLED_BACK', message: expect.stringContaining('interrupted by signal TERM') });
    expect(rollback).toMatchObject({ done: true, hostCount: 1, succeeded: 1, failed: 0 });
    // No poll saw what the host served before, and the cancelled run had switched it back: the rollback leaves it on v2
    // (not `previous`, v1, which would undo a deployment this execution did not make).
    expect(ledger.get('host-1')).toMatchObject({ status: 'rolled-back', releaseAfter: 'v2' });
    expect(await Promise.all(hosts.map(servedVersion))).toEqual(['v2', 'v2', 'v2']);
  }, 90_000);

  it('refuses a host presenting another key than the pinned one: nothing runs, no ledger is written', async () => {
    // Prepare
    const deployment = deploymentOf('v1', ['100%'], await otherHostKey());
    ledger = fakeLedger(ddbMock, deployment.executionName);

    // Act
    const run = resolveSshHosts({ deployment, group: 'fleet' }, lambdaContext());

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'HostKeyMismatch' });
    expect(ledger.size).toBe(0);
    expect(await Promise.all(hosts.map(servedVersion))).toEqual(['v2', 'v2', 'v2']);
  }, 60_000);
});
