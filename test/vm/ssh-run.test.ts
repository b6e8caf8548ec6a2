/**
 * The SSH executor against a real OpenSSH sshd: three hosts (directories and
 * ports on this machine, reached through the sshd) running the demo app,
 * deployed with the real release script.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoArtifact } from '../../simulator/vm/demo-artifact.ts';
import type { LocalHost } from '../../simulator/vm/local-host.ts';
import {
  hostKeyFingerprint,
  parsePinnedHostKey,
  pollDetachedOverSsh,
  runReleaseOverSsh,
  runScriptOverSsh,
  startDetachedReleaseOverSsh,
  type DetachedStatus,
  type SshTarget,
} from '../../lambdas/vm/ssh-run.ts';
import { newKeyPair, otherHostKey, sshdAvailability, sshdRequired, startSshd, type Sshd } from '../support/sshd.ts';
import { appPid, demoArtifacts, demoHosts, deployOf, servedVersion } from '../support/vm-hosts.ts';

const availability = sshdAvailability();
const skip = !availability.available && !sshdRequired();
const title = skip ? `the SSH executor (skipped: ${availability.available ? '' : availability.reason})` : 'the SSH executor';
if (skip) console.warn(`SSH tests skipped: ${availability.available ? '' : availability.reason} (DEPLOYER_REQUIRE_SSHD=1 makes this a failure)`);

describe.skipIf(skip)(title, () => {
  let sshd: Sshd;
  let target: SshTarget;
  let hosts: LocalHost[];
  let root: string;
  let cleanup: () => Promise<void>;
  let a: Record<string, DemoArtifact>;

  beforeAll(async () => {
    // With DEPLOYER_REQUIRE_SSHD=1 and no sshd, this throws and every test fails, saying how to install it.
    sshd = await startSshd();
    target = { host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, hostKey: sshd.hostKey };
    ({ root, hosts, cleanup } = await demoHosts(3, 'deployer-ssh-hosts-'));
    a = await demoArtifacts(root, { v1: 'up', v2: 'up', v3: 'down', v4: 'up' });
  });

  afterAll(async () => {
    await cleanup?.();
    await sshd?.stop();
  });

  it('deploys v1 then v2 to three hosts; every host serves v2 over HTTP', async () => {
    // Prepare
    const deploy = (version: string) => Promise.all(hosts.map((host) => runReleaseOverSsh(target, host.environment(deployOf(a[version]!)))));
    const first = await deploy('v1');

    // Act
    const second = await deploy('v2');

    // Assess
    expect(first.map((r) => r.verdict.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(second.map((r) => [r.exitCode, r.verdict.status, r.verdict.previous, r.verdict.current])).toEqual([
      [0, 'SUCCEEDED', 'v1', 'v2'],
      [0, 'SUCCEEDED', 'v1', 'v2'],
      [0, 'SUCCEEDED', 'v1', 'v2'],
    ]);
    expect(await Promise.all(hosts.map(servedVersion))).toEqual(['v2', 'v2', 'v2']);
    expect(second[0]!.outcome.phases.map((p) => p.name)).toEqual([
      'validate', 'preflight', 'download', 'unpack', 'configure', 'permissions', 'stop', 'switch', 'start', 'health', 'smoke', 'cleanup',
    ]);
  });

  it('v3 fails its health check: the host is back on v2 and serving it, and the result names the phase', async () => {
    // Prepare
    const host = hosts[1]!;

    // Act
    const run = await runReleaseOverSsh(target, host.environment(deployOf(a.v3!)));

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.verdict).toMatchObject({ status: 'ROLLED_BACK', phase: 'health', previous: 'v2', current: 'v2', version: 'v3' });
    expect(run.outcome.rolledBackTo).toBe('v2');
    expect(run.outcome.tail).toContain('health: HTTP 503');
    expect(await Promise.all(hosts.map(servedVersion))).toEqual(['v2', 'v2', 'v2']);
  });

  it('refuses an artifact whose checksum differs before the service is stopped', async () => {
    // Prepare
    const host = hosts[0]!;
    const pid = appPid(host);

    // Act
    const run = await runReleaseOverSsh(target, host.environment({ ...deployOf(a.v4!), artifactSha256: a.v2!.sha256 }));

    // Assess
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'download', current: 'v2' });
    expect(run.outcome.phases.map((p) => p.name)).not.toContain('stop');
    expect(appPid(host)).toBe(pid);
    expect(await servedVersion(host)).toBe('v2');
  });

  it.each([
    ['an OpenSSH key line', async () => otherHostKey()],
    [
      'a SHA256 fingerprint',
      async () => {
        const pin = parsePinnedHostKey(await otherHostKey());
        if (pin.kind !== 'key') throw new Error('setup: expected a key line');
        return hostKeyFingerprint(pin.blob);
      },
    ],
  ])('fails with HostKeyMismatch and runs nothing when the host key is not the one pinned as %s', async (_, pin) => {
    // Prepare
    const marker = path.join(root, `ran-despite-mismatch-${Date.now()}`);
    const wrong = { ...target, hostKey: await pin() };

    // Act
    const run = runScriptOverSsh(wrong, `touch '${marker}'\n`);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'HostKeyMismatch', message: expect.stringContaining(sshd.hostKeyFingerprint) });
    expect(existsSync(marker)).toBe(false);
  });

  it('accepts the host pinned by its fingerprint', async () => {
    // Prepare
    const byFingerprint = { ...target, hostKey: sshd.hostKeyFingerprint };

    // Act
    const run = await runScriptOverSsh(byFingerprint, 'echo "pinned by fingerprint"\n');

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.outcome.tail).toBe('pinned by fingerprint\n');
  });

  it('is refused by the script itself when given hostile values directly, and nothing runs', async () => {
    // Prepare
    const host = hosts[2]!;
    const marker = path.join(root, 'pwned-over-ssh');
    const env = {
      ...host.environment(deployOf(a.v4!)),
      VERSION: `1;touch ${marker}`,
      HEALTH_EXPECT: `'; touch ${marker}; '`,
      START_COMMAND: `"$INSTALL_DIR/current/bin/start" '$(touch ${marker})'`,
    };

    // Act
    const run = await runReleaseOverSsh(target, env);

    // Assess
    expect(run.exitCode).toBe(2);
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'validate' });
    expect(run.verdict.message).toContain('VERSION');
    expect(existsSync(marker)).toBe(false);
    expect(await servedVersion(host)).toBe('v2');
  });

  it('rolls a host back to its previous release on request', async () => {
    // Prepare
    const host = hosts[2]!;

    // Act
    const run = await runReleaseOverSsh(target, host.environment({ mode: 'rollback' }));

    // Assess
    expect(run.verdict).toMatchObject({ status: 'SUCCEEDED', previous: 'v2', current: 'v1', mode: 'rollback' });
    expect(await servedVersion(host)).toBe('v1');
  });

  it('runs a deployment detached from the session and reports it when polled', async () => {
    // Prepare
    const host = hosts[0]!;
    const { runId } = await startDetachedReleaseOverSsh(target, host.environment(deployOf(a.v4!)));

    // Act
    const polls: DetachedStatus[] = [];
    for (let i = 0; i < 120; i += 1) {
      const status = await pollDetachedOverSsh(target, runId, { remove: true });
      polls.push(status);
      if (status.state === 'exited') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const last = polls.at(-1)!;

    // Assess
    expect(last).toMatchObject({ state: 'exited', exitCode: 0, verdict: { status: 'SUCCEEDED', previous: 'v2', current: 'v4' } });
    expect(last.outcome.phases.map((p) => p.name)).toContain('cleanup');
    expect(last.outcome.tail).toContain('DEPLOYER_RESULT');
    expect(await servedVersion(host)).toBe('v4');
    // Removed once read: the host no longer knows the run.
    await expect(pollDetachedOverSsh(target, runId)).rejects.toMatchObject({ name: 'DetachedRunLost' });
  });

  it('ends a command that runs too long with SshCommandTimeout, keeping its output so far', async () => {
    // Prepare
    const script = 'echo started; sleep 20\n';

    // Act
    const run = runScriptOverSsh(target, script, { commandTimeoutMs: 1_500 });

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'SshCommandTimeout', message: expect.stringContaining('started') });
  });

  it('fails with SshConnectTimeout when the host never answers the handshake', async () => {
    // Prepare: a port that accepts connections and says nothing.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;

    // Act
    const run = runScriptOverSsh({ ...target, port }, 'true\n', { connectTimeoutMs: 1_000 });

    // Assess
    try {
      await expect(run).rejects.toMatchObject({ name: 'SshConnectTimeout' });
    } finally {
      silent.close();
    }
  });

  it('fails with SshConnectFailed when the host does not accept the key', async () => {
    // Prepare
    const stranger = { ...target, privateKey: (await newKeyPair('stranger')).privateKey };

    // Act
    const run = runScriptOverSsh(stranger, 'true\n');

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'SshConnectFailed', message: expect.stringContaining('did not accept the private key') });
  });

  it('refuses a pin or a key it cannot read before connecting', async () => {
    // Prepare
    const badPin = { ...target, hostKey: 'yes' };
    const badKey = { ...target, privateKey: 'not a key' };

    // Act
    const runs = [runScriptOverSsh(badPin, 'true\n'), runScriptOverSsh(badKey, 'true\n')];

    // Assess
    await expect(runs[0]).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('hostKey') });
    await expect(runs[1]).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('privateKey') });
  });
});
