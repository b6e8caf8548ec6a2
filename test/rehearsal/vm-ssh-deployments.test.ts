/**
 * VM deployments to SSH hosts, rehearsed end to end: the real `vm-*.asl.json`
 * in the local runner, the real handlers (ResolveSshHosts, StartSshBatch,
 * PollSshBatch among them) reaching each host over real SSH through one
 * loopback OpenSSH sshd with a generated host key, the private key read from
 * the simulated Secrets Manager. Each host is a directory and a port on this
 * machine running the demo app, which answers over HTTP with its version.
 *
 * Skipped when sshd is not installed, unless DEPLOYER_REQUIRE_SSHD=1.
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeployerConfig } from '../../lambdas/shared/config.ts';
import { readLedger } from '../../lambdas/vm/host-ledger.ts';
import { Rehearsal } from '../../simulator/rehearsal.ts';
import { freePort } from '../../simulator/vm/free-port.ts';
import { seedVmHosts, type VmRehearsalHosts } from '../../simulator/vm/rehearsal-hosts.ts';
import { startRehearsalSshd, type RehearsalSshd } from '../../simulator/vm/rehearsal-sshd.ts';
import { sshHostCount, withSshHosts, type SshHostsOptions } from '../../simulator/vm/ssh-hosts-config.ts';
import { exampleConfig } from '../support/example-config.ts';
import { otherHostKey, sshdAvailability, sshdRequired } from '../support/sshd.ts';
import { servedVersion } from '../support/vm-hosts.ts';

const availability = sshdAvailability();
const skip = !availability.available && !sshdRequired();
const title = skip ? `VM deployments to SSH hosts (skipped: ${availability.available ? '' : availability.reason})` : 'VM deployments to SSH hosts, rehearsed';

describe.skipIf(skip)(title, () => {
  let sshd: RehearsalSshd;
  let root: string | undefined;
  let session: Rehearsal | undefined;
  let seeded: VmRehearsalHosts | undefined;

  beforeAll(async () => {
    sshd = await startRehearsalSshd();
  }, 60_000);

  afterAll(async () => {
    await sshd?.stop();
  });

  afterEach(async () => {
    session?.close();
    sshd.gateway.unbind();
    await seeded?.cleanup();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
    session = undefined;
    seeded = undefined;
    root = undefined;
  });

  /** The example config with `service` on three SSH hosts (blue-green: three per colour) behind the sshd. */
  async function sshConfig(service: string, options: Pick<SshHostsOptions, 'hostKeyOf'> = {}): Promise<DeployerConfig> {
    root = await mkdtemp(path.join(os.tmpdir(), `deployer-ssh-${service}-`));
    const base = exampleConfig();
    const ports: number[] = [];
    for (let i = sshHostCount(base, [service]); i > 0; i -= 1) ports.push(await freePort());
    return withSshHosts(base, [service], sshd, { root, ports, ...options }).config;
  }

  /** Rehearse a deployment of `service` to its SSH hosts; every host serves 1.0.0 (blue-green: green 0.9.0) before. */
  async function rehearse(service: string, config: DeployerConfig, options: Parameters<typeof seedVmHosts>[2] = {}) {
    session = await Rehearsal.create({ config });
    sshd.bind(session);
    const svc = config.vm.find((s) => s.name === service)!;
    seeded = await seedVmHosts(session.world, svc, { ...options, sshPrivateKey: sshd.privateKey });
    const execution = session.startExecution({ service, artifact: seeded.artifact.uri, startedBy: 'rehearsal' });
    const record = await execution.done;
    await session.settle();
    const ledger = await readLedger(record.name);
    return { record, ledger, served: await Promise.all(seeded.hosts.map((h) => servedVersion(h.host))) };
  }

  /** What an install directory holds: its releases and where `current` points. */
  function installState(installDir: string): { releases: string[]; current: string | undefined } {
    const releases = existsSync(path.join(installDir, 'releases')) ? readdirSync(path.join(installDir, 'releases')).sort() : [];
    return { releases, current: existsSync(path.join(installDir, 'current')) ? readlinkSync(path.join(installDir, 'current')) : undefined };
  }

  /** The detached runs the sshd's sessions have started so far. */
  function runs(): string[] {
    const dir = path.join(sshd.gateway.home, '.deployer-runs');
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  it('rolling: deploys 2.0.0 over 1.0.0 batch by batch over SSH; every host serves 2.0.0 over HTTP', async () => {
    // Prepare
    const config = await sshConfig('api-vm');

    // Act
    const { record, ledger, served } = await rehearse('api-vm', config);

    // Assess
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('SUCCEEDED');
    expect(served).toEqual(['2.0.0', '2.0.0', '2.0.0']);
    expect(ledger.map((h) => [h.host, h.executor, h.status, h.releaseBefore, h.releaseAfter])).toEqual([
      ['api-vm-1', 'ssh', 'succeeded', '1.0.0', '2.0.0'],
      ['api-vm-2', 'ssh', 'succeeded', '1.0.0', '2.0.0'],
      ['api-vm-3', 'ssh', 'succeeded', '1.0.0', '2.0.0'],
    ]);
    expect(new Set(ledger.map((h) => h.batch))).toEqual(new Set([0, 1, 2]));
    const visited = record.visits.map((v) => v.name);
    expect(visited).toEqual(expect.arrayContaining(['ResolveSshHosts', 'StartSshBatch', 'PollSshBatch']));
    expect(visited).not.toContain('StartSsmBatch');
    // Virtual time waited for the scripts running on the hosts: one poll per batch found its runs ended.
    expect(visited.filter((name) => name === 'PollSshBatch')).toHaveLength(3);
    // Each host's release landed in its own install directory, not a shared one.
    expect(seeded!.hosts.map((h) => installState(h.host.installDir))).toEqual(
      seeded!.hosts.map(() => ({ releases: ['1.0.0', '2.0.0'], current: 'releases/2.0.0' })),
    );
  }, 180_000);

  it('canary: the first SSH host, its bake and approval, then the other two; every host serves 2.0.0', async () => {
    // Prepare
    const config = await sshConfig('worker-vm');

    // Act
    const { record, ledger, served } = await rehearse('worker-vm', config);

    // Assess
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('SUCCEEDED');
    expect(served).toEqual(['2.0.0', '2.0.0', '2.0.0']);
    expect(ledger.map((h) => [h.host, h.batch, h.releaseAfter])).toEqual([
      ['worker-vm-1', 0, '2.0.0'],
      ['worker-vm-2', 1, '2.0.0'],
      ['worker-vm-3', 1, '2.0.0'],
    ]);
    expect(record.visits.map((v) => v.name)).toEqual(expect.arrayContaining(['RequestApproval', 'DeployRest']));
  }, 180_000);

  it('blue-green: the idle green SSH hosts get 2.0.0 and the traffic; blue stays on 1.0.0, warm', async () => {
    // Prepare
    const config = await sshConfig('portal-vm');
    const portal = config.vm.find((s) => s.name === 'portal-vm')!;
    if (portal.strategy !== 'blue-green') throw new Error('the example portal-vm is blue-green');

    // Act
    const { record, ledger, served } = await rehearse('portal-vm', config);

    // Assess
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('SUCCEEDED');
    expect(seeded!.hosts.map((h, i) => `${h.instanceId} ${served[i]}`)).toEqual([
      'portal-vm-blue-1 1.0.0',
      'portal-vm-blue-2 1.0.0',
      'portal-vm-blue-3 1.0.0',
      'portal-vm-green-1 2.0.0',
      'portal-vm-green-2 2.0.0',
      'portal-vm-green-3 2.0.0',
    ]);
    expect(ledger.map((h) => [h.host, h.status, h.releaseBefore, h.releaseAfter])).toEqual([
      ['portal-vm-green-1', 'succeeded', '0.9.0', '2.0.0'],
      ['portal-vm-green-2', 'succeeded', '0.9.0', '2.0.0'],
      ['portal-vm-green-3', 'succeeded', '0.9.0', '2.0.0'],
    ]);
    // Production traffic reaches green's hosts through the load balancer.
    const weights = session!.world.elbv2.weightsOf(portal.loadBalancer.listener) ?? {};
    expect(weights[portal.green.targetGroup]).toBeGreaterThan(0);
    expect(weights[portal.blue.targetGroup] ?? 0).toBe(0);
    const through = (await (await fetch(portal.verification.healthCheck!.url!)).json()) as { version?: string };
    expect(through.version).toBe('2.0.0');
  }, 240_000);

  it('a release that fails its health check: the host is back on 1.0.0 and serving it, and the failure names the host and the phase', async () => {
    // Prepare
    const config = await sshConfig('api-vm');

    // Act
    const { record, ledger, served } = await rehearse('api-vm', config, { health: 'down' });

    // Assess
    expect(record.error?.error).toBe('RolledBack');
    expect(record.error?.cause).toMatch(/api-vm-1 \(health\)/);
    expect(served).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    expect(ledger.map((h) => [h.host, h.status, h.phase ?? null])).toEqual([
      ['api-vm-1', 'rolled-back', 'health'],
      ['api-vm-2', 'pending', null],
      ['api-vm-3', 'pending', null],
    ]);
    expect(seeded!.hosts.map((h) => installState(h.host.installDir).current)).toEqual(['releases/1.0.0', 'releases/1.0.0', 'releases/1.0.0']);
  }, 180_000);

  it('a host presenting another key than the pinned one: refused before any host is touched, its directory as it was', async () => {
    // Prepare
    const wrong = await otherHostKey();
    const config = await sshConfig('api-vm', { hostKeyOf: (host) => (host === 'api-vm-2' ? wrong : sshd.hostKey) });

    // Act
    session = await Rehearsal.create({ config });
    sshd.bind(session);
    seeded = await seedVmHosts(session.world, config.vm.find((s) => s.name === 'api-vm')!, { sshPrivateKey: sshd.privateKey });
    const before = seeded.hosts.map((h) => installState(h.host.installDir));
    const runsBefore = runs();
    const record = await session.startExecution({ service: 'api-vm', artifact: seeded.artifact.uri, startedBy: 'rehearsal' }).done;
    await session.settle();

    // Assess
    expect(record.status).not.toBe('SUCCEEDED');
    expect(record.error?.error).toBe('HostKeyMismatch');
    expect(record.error?.cause).toContain('not the pinned');
    expect(record.visits.map((v) => v.name)).not.toContain('StartSshBatch');
    expect(seeded.hosts.map((h) => installState(h.host.installDir))).toEqual(before);
    expect(await Promise.all(seeded.hosts.map((h) => servedVersion(h.host)))).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    // Nothing was started on any host: no new run directory.
    expect(runs()).toEqual(runsBefore);
  }, 120_000);
});
