/**
 * vm/release.sh, run for real on local hosts (a directory and a port each)
 * deploying the demo app: what a host goes through, without SSH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseScriptPath } from '../../lambdas/vm/release-script.ts';
import { buildDemoArtifact, demoServiceSettings, type DemoArtifact } from '../../simulator/vm/demo-artifact.ts';
import { freePort } from '../../simulator/vm/free-port.ts';
import { LocalHost } from '../../simulator/vm/local-host.ts';
import { appPid, demoArtifacts, demoHosts, deployOf, servedVersion } from '../support/vm-hosts.ts';
import { sshdRequired } from '../support/sshd.ts';

const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe('the release script source', () => {
  it.skipIf(!hasShellcheck && !sshdRequired())('is shellcheck-clean (install: apt-get install shellcheck)', () => {
    // Prepare
    const script = releaseScriptPath();

    // Act
    const check = spawnSync('shellcheck', ['--severity=style', script], { encoding: 'utf8' });

    // Assess
    expect(check.error, 'shellcheck is not installed: apt-get install shellcheck').toBeUndefined();
    expect(check.stdout).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('deploying with the release script on a local host', () => {
  let root: string;
  let hosts: LocalHost[];
  let cleanup: () => Promise<void>;
  let a: Record<string, DemoArtifact>;

  beforeAll(async () => {
    ({ root, hosts, cleanup } = await demoHosts(10, 'deployer-script-'));
    a = await demoArtifacts(root, { v1: 'up', v2: 'up', v3: 'down', v4: 'crash', v5: 'up', v6: 'up' });
  });

  afterAll(async () => {
    await cleanup();
  });

  /** A host serving v2 over v1. */
  async function onV2(host: LocalHost): Promise<void> {
    for (const version of ['v1', 'v2']) {
      const run = await host.release(deployOf(a[version]!));
      if (run.verdict.status !== 'SUCCEEDED') throw new Error(`setup: ${version} failed on ${host.name}:\n${run.outcome.tail}`);
    }
  }

  it('installs v1 then v2, switching current and serving v2, with every phase reported in order', async () => {
    // Prepare
    const host = hosts[0]!;
    const first = await host.release(deployOf(a.v1!));

    // Act
    const second = await host.release(deployOf(a.v2!));

    // Assess
    expect(first.verdict).toMatchObject({ status: 'SUCCEEDED', previous: '', current: 'v1' });
    expect(second.exitCode).toBe(0);
    expect(second.verdict).toMatchObject({ status: 'SUCCEEDED', phase: 'cleanup', previous: 'v1', current: 'v2', version: 'v2' });
    expect(second.outcome.phases.map((p) => p.name)).toEqual([
      'validate', 'preflight', 'download', 'unpack', 'configure', 'permissions', 'stop', 'switch', 'start', 'health', 'smoke', 'cleanup',
    ]);
    expect(await servedVersion(host)).toBe('v2');
    expect([host.current(), host.previous()]).toEqual(['v2', 'v1']);
    expect(second.outcome.tail.trimEnd().split('\n').at(-1)).toMatch(/^DEPLOYER_RESULT \{/);
  });

  it('changes nothing when the version already current is deployed again with the same artifact', async () => {
    // Prepare
    const host = hosts[0]!;
    const pid = appPid(host);

    // Act
    const again = await host.release(deployOf(a.v2!));

    // Assess
    expect(again.verdict).toMatchObject({ status: 'SUCCEEDED', previous: 'v2', current: 'v2' });
    expect(again.verdict.message).toContain('nothing changed');
    expect(again.outcome.phases.map((p) => p.name)).not.toContain('stop');
    expect(appPid(host)).toBe(pid);
    expect(await servedVersion(host)).toBe('v2');
  });

  it('refuses the current version with another artifact: a version names one artifact', async () => {
    // Prepare
    const host = hosts[0]!;
    const pid = appPid(host);

    // Act
    const run = await host.release({ ...deployOf(a.v5!), version: 'v2' });

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.verdict).toMatchObject({ status: 'FAILED', current: 'v2' });
    expect(run.verdict.message).toContain('deploy it under a new version');
    expect(appPid(host)).toBe(pid);
  });

  it('refuses an artifact whose sha256 differs before stopping anything: v2 keeps serving, never restarted', async () => {
    // Prepare
    const host = hosts[0]!;
    const pid = appPid(host);

    // Act
    const run = await host.release({ ...deployOf(a.v5!), artifactSha256: a.v1!.sha256 });

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'download', previous: 'v2', current: 'v2' });
    expect(run.verdict.message).toContain('sha256 mismatch');
    expect(run.outcome.phases.map((p) => p.name)).not.toContain('stop');
    expect(existsSync(path.join(host.installDir, 'releases', 'v5'))).toBe(false);
    expect(appPid(host)).toBe(pid);
    expect(await servedVersion(host)).toBe('v2');
  });

  it('puts v2 back when v3 fails its health check, and says which phase failed', async () => {
    // Prepare
    const host = hosts[1]!;
    await onV2(host);

    // Act
    const run = await host.release(deployOf(a.v3!));

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.verdict).toMatchObject({ status: 'ROLLED_BACK', phase: 'health', previous: 'v2', current: 'v2', version: 'v3' });
    expect(run.outcome.rolledBackTo).toBe('v2');
    expect(await servedVersion(host)).toBe('v2');
    // The previous link is what it was, so a later rollback still goes to v1.
    expect([host.current(), host.previous()]).toEqual(['v2', 'v1']);
  });

  it('puts v2 back when v4 crashes as it starts', async () => {
    // Prepare
    const host = hosts[1]!;

    // Act
    const run = await host.release(deployOf(a.v4!));

    // Assess
    expect(run.verdict).toMatchObject({ status: 'ROLLED_BACK', phase: 'health', current: 'v2' });
    expect(await servedVersion(host)).toBe('v2');
  });

  it('puts v2 back when a smoke test fails', async () => {
    // Prepare
    const host = hosts[1]!;

    // Act
    const run = await host.release({ ...deployOf(a.v5!), smokeCommands: ['curl -fsS "http://127.0.0.1:' + host.port + '/"', 'exit 7'] });

    // Assess
    expect(run.verdict).toMatchObject({ status: 'ROLLED_BACK', phase: 'smoke', current: 'v2' });
    expect(run.verdict.message).toContain('smoke test 2 failed');
    expect(await servedVersion(host)).toBe('v2');
  });

  it('stops a first install that fails and leaves no current release', async () => {
    // Prepare
    const host = hosts[2]!;

    // Act
    const run = await host.release(deployOf(a.v3!));

    // Assess
    expect(run.verdict).toMatchObject({ status: 'FAILED', phase: 'health', previous: '', current: '' });
    expect(run.verdict.message).toContain('no previous release');
    expect(host.current()).toBeUndefined();
    expect(await servedVersion(host)).toBeUndefined();
  });

  it('keeps the newest KEEP_RELEASES releases, and never the current or previous one', async () => {
    // Prepare
    const host = hosts[3]!;
    for (const version of ['v1', 'v2', 'v5']) await host.release({ ...deployOf(a[version]!), keepReleases: 2 });
    await host.release({ mode: 'rollback' });

    // Act
    const run = await host.release({ ...deployOf(a.v6!), keepReleases: 2 });

    // Assess
    expect(run.verdict).toMatchObject({ status: 'SUCCEEDED', previous: 'v2', current: 'v6' });
    // v1 went when v5 came; v5 is among the newest two; v2 is the previous one.
    expect(readdirSync(path.join(host.installDir, 'releases')).sort()).toEqual(['v2', 'v5', 'v6']);
  });

  it('sets the release files\' owner and leaves them writable by the owner only', async () => {
    // Prepare: the user running the tests, the one owner a non-root run can give files to.
    const host = hosts[2]!;
    const user = os.userInfo();

    // Act
    const run = await host.release({ ...deployOf(a.v1!), owner: user.username });

    // Assess
    expect(run.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v1' });
    const release = path.join(host.installDir, 'releases', 'v1');
    for (const file of [release, path.join(release, 'server.cjs'), path.join(release, 'app.conf'), path.join(release, 'bin', 'start')]) {
      const stat = statSync(file);
      expect(stat.uid).toBe(user.uid);
      expect(stat.mode & 0o022).toBe(0);
    }
    expect(statSync(path.join(release, 'app.conf')).mode & 0o777).toBe(0o640);
    expect(await servedVersion(host)).toBe('v1');
  });

  it('rolls back on request to the previous release, once, and to a named one', async () => {
    // Prepare
    const host = hosts[4]!;
    await onV2(host);

    // Act
    const back = await host.release({ mode: 'rollback' });
    const again = await host.release({ mode: 'rollback' });
    const named = await host.release({ mode: 'rollback', rollbackTo: 'v2' });
    const repeated = await host.release({ mode: 'rollback', rollbackTo: 'v2' });

    // Assess
    expect(back.verdict).toMatchObject({ status: 'SUCCEEDED', previous: 'v2', current: 'v1', mode: 'rollback' });
    expect(back.outcome.phases.map((p) => p.name)).toEqual(['validate', 'preflight', 'stop', 'switch', 'start', 'health']);
    expect(again.verdict).toMatchObject({ status: 'FAILED', current: 'v1' });
    expect(again.verdict.message).toContain('no previous release');
    expect(named.verdict).toMatchObject({ status: 'SUCCEEDED', previous: 'v1', current: 'v2' });
    expect(repeated.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v2' });
    expect(repeated.verdict.message).toContain('nothing changed');
    expect(await servedVersion(host)).toBe('v2');
  });

  it('undoes only what the deployment named by ROLLBACK_OF changed, once, back to the release and previous it replaced', async () => {
    // Prepare: v2 over v1, then v5 by the deployment exec-5.
    const host = hosts[6]!;
    await onV2(host);
    const deployed = await host.release({ ...deployOf(a.v5!), deploymentId: 'exec-5' });

    // Act
    const other = await host.release({ mode: 'rollback', rollbackOf: 'exec-other' });
    const undone = await host.release({ mode: 'rollback', rollbackOf: 'exec-5' });
    const again = await host.release({ mode: 'rollback', rollbackOf: 'exec-5' });

    // Assess
    expect(deployed.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v5' });
    expect(other.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v5' });
    expect(other.verdict.message).toContain('exec-other did not change this host');
    expect(other.outcome.phases.map((p) => p.name)).not.toContain('stop');
    expect(undone.verdict).toMatchObject({ status: 'SUCCEEDED', previous: 'v5', current: 'v2' });
    expect(again.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v2' });
    expect(again.verdict.message).toContain('nothing changed');
    expect(await servedVersion(host)).toBe('v2');
    // previous is v1 again, as before v5: a manual rollback still goes there.
    const manual = await host.release({ mode: 'rollback' });
    expect(manual.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v1' });
  });

  it('leaves a host the deployment found already on its release: that deployment changed nothing to undo', async () => {
    // Prepare: v2 is current; the deployment exec-again deploys v2 again.
    const host = hosts[7]!;
    await onV2(host);
    const same = await host.release({ ...deployOf(a.v2!), deploymentId: 'exec-again' });

    // Act
    const rollback = await host.release({ mode: 'rollback', rollbackOf: 'exec-again' });

    // Assess
    expect(same.verdict.message).toContain('already current');
    expect(rollback.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v2' });
    expect(await servedVersion(host)).toBe('v2');
  });

  it("undoes a new host's first release: nothing current, the service stopped", async () => {
    // Prepare: a host that never had a release gets v1 from the deployment exec-first.
    const host = hosts[8]!;
    const first = await host.release({ ...deployOf(a.v1!), deploymentId: 'exec-first' });

    // Act
    const rollback = await host.release({ mode: 'rollback', rollbackOf: 'exec-first' });

    // Assess
    expect(first.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v1' });
    expect(rollback.verdict).toMatchObject({ status: 'SUCCEEDED', current: '' });
    expect(rollback.verdict.message).toContain('had no release before exec-first');
    expect(await servedVersion(host)).toBeUndefined();
  });

  it("puts back the release a run killed outright (SIGKILL, as SSM's cancel does) was replacing, before anything else", async () => {
    // Prepare: v3 never gets healthy; its run is killed while it checks, with no chance to restore v2.
    const host = hosts[9]!;
    await onV2(host);
    const killed = await host.release({ ...deployOf(a.v3!), deploymentId: 'exec-3', healthRetries: 200 }, { timeoutMs: 2_500, killSignal: 'SIGKILL' });

    // Act: the rollback of that deployment, as the deployer sends it.
    const rollback = await host.release({ mode: 'rollback', rollbackOf: 'exec-3' });

    // Assess
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.outcome.phases.map((p) => p.name)).toContain('switch');
    expect(rollback.outcome.tail).toContain('was killed while it changed this host (v2 -> v3): restoring v2 first');
    expect(rollback.verdict).toMatchObject({ status: 'SUCCEEDED', current: 'v2' });
    expect(await servedVersion(host)).toBe('v2');
  });

  it('returns to the release it served when the one rolled back to is unhealthy', async () => {
    // Prepare
    const host = hosts[5]!;
    await host.release(deployOf(a.v1!));
    await host.release(deployOf(a.v2!));
    // v3 (unhealthy) is installed by hand as a release the host may be asked to return to.
    const bad = await host.release(deployOf(a.v3!));
    expect(bad.verdict.status).toBe('ROLLED_BACK');

    // Act
    const run = await host.release({ mode: 'rollback', rollbackTo: 'v3' });

    // Assess
    expect(run.verdict).toMatchObject({ status: 'ROLLED_BACK', phase: 'health', current: 'v2' });
    expect(await servedVersion(host)).toBe('v2');
  });

  it('restores the old release when it is interrupted after the stop', async () => {
    // Prepare: v3 never gets healthy; the run is killed (SIGTERM) while it checks.
    const host = hosts[5]!;

    // Act
    const run = await host.release({ ...deployOf(a.v3!), healthRetries: 200 }, { timeoutMs: 2_500 });

    // Assess
    expect(run.timedOut).toBe(true);
    expect(run.verdict).toMatchObject({ status: 'ROLLED_BACK', current: 'v2' });
    expect(run.verdict.message).toContain('interrupted by signal TERM');
    expect(await servedVersion(host)).toBe('v2');
  });
});

describe('the local host runner', () => {
  it('runs a host of its own directory and port: `LocalHost` with the demo app', async () => {
    // Prepare
    const root = await mkdtemp(path.join(os.tmpdir(), 'deployer-localhost-'));
    const port = await freePort();
    const host = new LocalHost({ name: 'solo', dir: path.join(root, 'solo'), port, defaults: { ...demoServiceSettings(port), healthIntervalSeconds: 0.2, healthRetries: 25 } });
    const artifact = await buildDemoArtifact({ version: '1.0.0', dir: root });

    // Act
    const run = await host.release({ version: '1.0.0', artifactUrl: artifact.url, artifactSha256: artifact.sha256 });

    // Assess
    try {
      expect(run.verdict).toMatchObject({ status: 'SUCCEEDED', current: '1.0.0' });
      expect(host.installDir).toBe(path.join(root, 'solo', 'app'));
      expect(await servedVersion(host)).toBe('1.0.0');
      expect(run.outcome.phases.every((p) => typeof p.atMs === 'number')).toBe(true);
    } finally {
      await host.stopService();
    }
  });
});
