/**
 * VM deployments rehearsed end to end: the real `vm-*.asl.json` in the local
 * runner, the real handlers, the simulated SSM/EC2/S3/ELB, and on every
 * simulated instance the real release script deploying the demo app, which
 * answers over HTTP with its version.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readLedger } from '../../lambdas/vm/host-ledger.ts';
import { Rehearsal } from '../../simulator/rehearsal.ts';
import { seedVmHosts, type VmRehearsalHosts } from '../../simulator/vm/rehearsal-hosts.ts';
import { exampleConfig } from '../support/example-config.ts';
import { servedVersion } from '../support/vm-hosts.ts';

const config = exampleConfig();

describe('VM deployments, rehearsed', () => {
  let session: Rehearsal | undefined;
  let seeded: VmRehearsalHosts | undefined;

  afterEach(async () => {
    await session?.world.vm.settled();
    session?.close();
    await seeded?.cleanup();
    session = undefined;
    seeded = undefined;
  });

  /** Rehearse a deployment of `service`; the hosts serve 1.0.0 before. */
  async function rehearse(service: string, options: Parameters<typeof seedVmHosts>[2] = {}) {
    session = await Rehearsal.create({ config });
    const svc = config.vm.find((s) => s.name === service)!;
    seeded = await seedVmHosts(session.world, svc, options);
    const execution = session.startExecution({ service, artifact: seeded.artifact.uri, startedBy: 'rehearsal' });
    const record = await execution.done;
    await session.settle();
    const ledger = await readLedger(record.name);
    return { record, ledger, served: await Promise.all(seeded.hosts.map((h) => servedVersion(h.host))) };
  }

  it('rolling: deploys 2.0.0 over 1.0.0 batch by batch; every host serves 2.0.0 over HTTP', async () => {
    // Act
    const { record, ledger, served } = await rehearse('api-vm');

    // Assess
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('SUCCEEDED');
    expect(served).toEqual(['2.0.0', '2.0.0', '2.0.0']);
    expect(ledger.map((h) => [h.status, h.releaseBefore, h.releaseAfter])).toEqual([
      ['succeeded', '1.0.0', '2.0.0'],
      ['succeeded', '1.0.0', '2.0.0'],
      ['succeeded', '1.0.0', '2.0.0'],
    ]);
    expect(new Set(ledger.map((h) => h.batch))).toEqual(new Set([0, 1, 2]));
  }, 120_000);

  it('rolling: a release that fails its health check stops at the first batch; every host serves 1.0.0 again', async () => {
    // Act
    const { record, ledger, served } = await rehearse('api-vm', { health: 'down' });

    // Assess
    expect(record.error?.error).toBe('RolledBack');
    expect(record.error?.cause).toMatch(/BatchFailed|batch 1/);
    expect(served).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    expect(ledger.filter((h) => h.batch === 0).map((h) => h.phase)).toContain('health');
    expect(ledger.filter((h) => h.batch > 0).every((h) => h.status === 'pending')).toBe(true);
  }, 120_000);

  it('canary: the first host, its bake and approval, then the others; every host serves 2.0.0', async () => {
    // Act
    const { record, ledger, served } = await rehearse('worker-vm');

    // Assess
    expect(record.error).toBeUndefined();
    expect(served).toEqual(['2.0.0', '2.0.0', '2.0.0']);
    expect(ledger.map((h) => h.batch).sort()).toEqual([0, 1, 1]);
    expect(record.visits.map((v) => v.name)).toEqual(expect.arrayContaining(['RequestApproval', 'DeployRest']));
  }, 120_000);

  it('a host whose SSM agent is offline stops the deployment before anything changes, naming it', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const svc = config.vm.find((s) => s.name === 'api-vm')!;
    seeded = await seedVmHosts(session.world, svc);
    session.world.vm.setOffline(seeded.hosts[1]!.instanceId);

    // Act
    const record = await session.startExecution({ service: 'api-vm', artifact: seeded.artifact.uri }).done;

    // Assess
    expect(record.error?.error).toBe('HostsUnreachable');
    expect(record.error?.cause).toContain(seeded.hosts[1]!.instanceId);
    expect(await Promise.all(seeded.hosts.map((h) => servedVersion(h.host)))).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  }, 120_000);

  it('a host whose command never ends fails its batch at the batch timeout; every host is back on 1.0.0', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const svc = config.vm.find((s) => s.name === 'api-vm')!;
    seeded = await seedVmHosts(session.world, svc);
    session.world.vm.hangHost(seeded.hosts[0]!.instanceId);

    // Act
    const record = await session.startExecution({ service: 'api-vm', artifact: seeded.artifact.uri }).done;
    await session.settle();

    // Assess
    expect(record.error?.error).toBe('RolledBack');
    expect(record.error?.cause).toMatch(/BatchFailed/);
    expect(await Promise.all(seeded.hosts.map((h) => servedVersion(h.host)))).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  }, 120_000);
});
