/**
 * VM deployments rehearsed end to end: the real `vm-*.asl.json` in the local
 * runner, the real handlers, the simulated SSM/EC2/S3/ELB, and on every
 * simulated instance the real release script deploying the demo app, which
 * answers over HTTP with its version.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLedger } from '../../lambdas/vm/host-ledger.ts';
import { Rehearsal } from '../../simulator/rehearsal.ts';
import { buildDemoArtifact } from '../../simulator/vm/demo-artifact.ts';
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
  async function rehearse(service: string, options: Parameters<typeof seedVmHosts>[2] = {}, prepare?: (session: Rehearsal) => void) {
    session = await Rehearsal.create({ config });
    prepare?.(session);
    const svc = config.vm.find((s) => s.name === service)!;
    seeded = await seedVmHosts(session.world, svc, options);
    const execution = session.startExecution({ service, artifact: seeded.artifact.uri, startedBy: 'rehearsal' });
    const record = await execution.done;
    await session.settle();
    const ledger = await readLedger(record.name);
    return { record, ledger, served: await Promise.all(seeded.hosts.map((h) => servedVersion(h.host))) };
  }

  /**
   * Each host of api-vm's target group with its health state (the fleet is in it before the deployment).
   * No listener of the rehearsal uses the group, so a registered host is `unused` (Target.NotInUse), as in
   * AWS; one taken out for its stop would be `draining`, or gone.
   */
  function apiTargets(): string[] {
    const svc = config.vm.find((s) => s.name === 'api-vm')!;
    if (svc.strategy === 'blue-green' || svc.targets.targetGroup === undefined) throw new Error('the example api-vm has a target group');
    return session!.world.elbv2
      .targetHealth(svc.targets.targetGroup)
      .map((t) => `${t.Target?.Id ?? '?'} ${t.TargetHealth?.State ?? '?'}`)
      .sort();
  }

  it('rolling: deploys 2.0.0 over 1.0.0 batch by batch; every host serves 2.0.0 over HTTP', async () => {
    // Act
    const { record, ledger, served } = await rehearse('api-vm');

    // Assess
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('SUCCEEDED');
    expect(served).toEqual(['2.0.0', '2.0.0', '2.0.0']);
    // Each host left its target group for its stop and is back in it.
    expect(apiTargets()).toEqual(seeded!.hosts.map((h) => `${h.instanceId} unused`).sort());
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
    // The host that failed was put back in its target group on its old release: none is left drained.
    expect(apiTargets()).toEqual(seeded!.hosts.map((h) => `${h.instanceId} unused`).sort());
    expect(ledger.filter((h) => h.batch === 0).map((h) => h.phase)).toContain('health');
    expect(ledger.filter((h) => h.batch > 0).every((h) => h.status === 'pending')).toBe(true);
  }, 120_000);

  it('runs nothing on the hosts when the release script in S3 is not the one the stack shipped', async () => {
    // Prepare: someone replaced the script object the stack uploaded.
    const marker = path.join(os.tmpdir(), `deployer-pwned-${process.pid}-${Date.now()}`);
    const tamper = (s: Rehearsal): void => {
      const [bucket, key] = process.env.DEPLOYER_RELEASE_SCRIPT_OBJECT!.replace('s3://', '').split(/\/(.*)/s);
      s.world.s3.putObject(bucket!, key!, `#!/bin/bash\ntouch '${marker}'\n`);
    };

    // Act
    const { record, ledger, served } = await rehearse('api-vm', {}, tamper);

    // Assess
    expect(record.error?.error).toBe('RolledBack');
    expect(record.error?.cause).toMatch(/sha256 mismatch; nothing was changed/);
    expect(existsSync(marker)).toBe(false);
    expect(served).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    expect(ledger.filter((h) => h.batch === 0).map((h) => h.releaseAfter ?? h.releaseBefore)).not.toContain('2.0.0');
    expect(apiTargets()).toEqual(seeded!.hosts.map((h) => `${h.instanceId} unused`).sort());
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

  describe('blue-green (portal-vm: blue live on 1.0.0, green idle on 0.9.0)', () => {
    const portal = config.vm.find((s) => s.name === 'portal-vm')!;
    if (portal.strategy !== 'blue-green') throw new Error('the example portal-vm is blue-green');
    const BLUE = portal.blue.targetGroup;
    const GREEN = portal.green.targetGroup;
    const LISTENER = portal.loadBalancer.listener;
    const TEST_LISTENER = portal.loadBalancer.testListener!;

    /** The share of a listener's traffic each target group gets now. */
    function shares(arn: string): Record<string, number> {
      const weights = session!.world.elbv2.weightsOf(arn) ?? {};
      const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
      return Object.fromEntries(Object.entries(weights).map(([tg, w]) => [tg, Math.round((100 * w) / total)]));
    }

    /** The versions served through the load balancer at `url` over a few requests. */
    async function servedThrough(url: string): Promise<string[]> {
      const versions = new Set<string>();
      for (let i = 0; i < 6; i += 1) versions.add(((await (await fetch(url)).json()) as { version?: string }).version ?? '?');
      return [...versions].sort();
    }

    /** The group's targets by health state. */
    function targetStates(targetGroupArn: string): string[] {
      return session!.world.elbv2.targetHealth(targetGroupArn).map((t) => `${t.Target?.Id ?? '?'} ${t.TargetHealth?.State ?? '?'}`);
    }

    it('deploys 2.0.0 to the idle green hosts, tests them through the test listener, moves the traffic to green; blue stays on 1.0.0, warm', async () => {
      // Act
      const { record, ledger, served } = await rehearse('portal-vm');

      // Assess
      expect(record.error).toBeUndefined();
      expect(record.status).toBe('SUCCEEDED');
      const byGroup = (group: string): string[] => seeded!.hosts.flatMap((h, i) => (h.group === group ? [served[i]!] : []));
      expect(byGroup('green')).toEqual(['2.0.0', '2.0.0', '2.0.0']);
      expect(byGroup('blue')).toEqual(['1.0.0', '1.0.0', '1.0.0']);
      expect(ledger.map((h) => [h.group, h.status, h.releaseBefore, h.releaseAfter])).toEqual([
        ['green', 'succeeded', '0.9.0', '2.0.0'],
        ['green', 'succeeded', '0.9.0', '2.0.0'],
        ['green', 'succeeded', '0.9.0', '2.0.0'],
      ]);
      // Production traffic is on green; the test listener reaches blue, the idle group of the next deployment.
      expect(shares(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
      expect(shares(TEST_LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
      expect(await servedThrough(portal.verification.healthCheck!.url!)).toEqual(['2.0.0']);
      expect(await servedThrough(portal.verification.healthCheck!.testUrl!)).toEqual(['1.0.0']);
      // Every host is in its target group and healthy: green serving, blue warm.
      expect(targetStates(GREEN)).toEqual(seeded!.hosts.filter((h) => h.group === 'green').map((h) => `${h.instanceId} healthy`));
      expect(targetStates(BLUE)).toEqual(seeded!.hosts.filter((h) => h.group === 'blue').map((h) => `${h.instanceId} healthy`));
      const visited = record.visits.map((v) => v.name);
      expect(visited).toEqual(expect.arrayContaining(['TestIdle', 'ShiftTraffic', 'VerifyKeepWarm', 'TestTrafficToOld']));
      // The step was judged on green's own requests against blue's.
      const stepVerdict = record.visits.findLast((v) => v.name === 'Verify')?.output as { verification: { verdict: string } };
      expect(stepVerdict.verification.verdict).toMatch(/over [1-9][0-9]* requests/);
    }, 180_000);

    it('a 2.0.0 that fails its health check: green hosts back on 0.9.0 and in their target group, no traffic moved, blue still serves 1.0.0', async () => {
      // Act
      const { record, ledger, served } = await rehearse('portal-vm', { health: 'down' });

      // Assess
      expect(record.error?.error).toBe('RolledBack');
      expect(record.error?.cause).toMatch(/BatchFailed/);
      expect(served).toEqual(seeded!.hosts.map((h) => h.before));
      expect(served).toEqual(['1.0.0', '1.0.0', '1.0.0', '0.9.0', '0.9.0', '0.9.0']);
      expect(ledger.map((h) => [h.group, h.phase, h.status])).toEqual([
        ['green', 'health', 'rolled-back'],
        ['green', 'health', 'rolled-back'],
        ['green', 'health', 'rolled-back'],
      ]);
      expect(shares(LISTENER)).toEqual({ [BLUE]: 100 });
      expect(shares(TEST_LISTENER)).toEqual({ [GREEN]: 100 });
      expect(await servedThrough(portal.verification.healthCheck!.url!)).toEqual(['1.0.0']);
      // No host is left drained: green's rejoined their group (checks start again), blue's never left.
      expect(targetStates(GREEN).map((t) => t.split(' ')[0])).toEqual(seeded!.hosts.filter((h) => h.group === 'green').map((h) => h.instanceId));
      expect(targetStates(GREEN).some((t) => t.endsWith('draining'))).toBe(false);
      expect(targetStates(BLUE)).toEqual(seeded!.hosts.filter((h) => h.group === 'blue').map((h) => `${h.instanceId} healthy`));
      expect(record.visits.map((v) => v.name)).not.toContain('ShiftTraffic');
    }, 180_000);

    it('a first blue-green deployment, to new idle hosts with nothing installed: green gets 2.0.0 and the traffic', async () => {
      // Act
      const { record, ledger, served } = await rehearse('portal-vm', { idleVersion: null });

      // Assess
      expect(record.error).toBeUndefined();
      expect(served).toEqual(['1.0.0', '1.0.0', '1.0.0', '2.0.0', '2.0.0', '2.0.0']);
      expect(ledger.map((h) => [h.group, h.status, h.releaseAfter])).toEqual([
        ['green', 'succeeded', '2.0.0'],
        ['green', 'succeeded', '2.0.0'],
        ['green', 'succeeded', '2.0.0'],
      ]);
      expect(shares(LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
      expect(await servedThrough(portal.verification.healthCheck!.url!)).toEqual(['2.0.0']);
    }, 180_000);

    it('a first blue-green deployment that fails its health check: the new hosts are left with nothing running, the traffic stays on blue', async () => {
      // Act
      const { record, ledger, served } = await rehearse('portal-vm', { idleVersion: null, health: 'down' });

      // Assess: each host's script stopped the release it could not start; the rollback has nothing to return them to.
      expect(record.error?.error).toBe('RolledBack');
      expect(record.error?.cause).toMatch(/BatchFailed: .*i-02000000000000001 \(health\)/);
      expect(served).toEqual(['1.0.0', '1.0.0', '1.0.0', undefined, undefined, undefined]);
      // Without the host's journal, the rollback went to `previous`, which a new host does not have: RollbackFailed.
      expect(ledger.map((h) => [h.group, h.status, h.releaseAfter ?? ''])).toEqual([
        ['green', 'rolled-back', ''],
        ['green', 'rolled-back', ''],
        ['green', 'rolled-back', ''],
      ]);
      expect(shares(LISTENER)).toEqual({ [BLUE]: 100 });
      expect(await servedThrough(portal.verification.healthCheck!.url!)).toEqual(['1.0.0']);
      expect(record.visits.map((v) => v.name)).not.toContain('ShiftTraffic');
    }, 180_000);

    it('the next deployment goes to blue, idle since the last one: blue gets 3.0.0 and the traffic, green keeps 2.0.0 warm', async () => {
      // Prepare: 2.0.0 deployed to green, as in the first test; then 3.0.0 uploaded.
      const first = await rehearse('portal-vm');
      expect(first.record.status).toBe('SUCCEEDED');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-portal-3-'));
      const next = await buildDemoArtifact({ version: '3.0.0', dir });
      const key = 'portal/portal-vm-3.0.0.tar.gz';
      session!.world.s3.putObject('acme-artifacts', key, await readFile(next.path));
      session!.world.s3.putObject('acme-artifacts', `${key}.sha256`, `${next.sha256}  portal-vm-3.0.0.tar.gz\n`);

      // Act
      const record = await session!.startExecution({ service: 'portal-vm', artifact: `s3://acme-artifacts/${key}` }).done;
      await session!.settle();

      // Assess
      expect(record.error).toBeUndefined();
      expect(await Promise.all(seeded!.hosts.map((h) => servedVersion(h.host)))).toEqual(['3.0.0', '3.0.0', '3.0.0', '2.0.0', '2.0.0', '2.0.0']);
      expect((await readLedger(record.name)).map((h) => [h.group, h.releaseBefore, h.releaseAfter])).toEqual([
        ['blue', '1.0.0', '3.0.0'],
        ['blue', '1.0.0', '3.0.0'],
        ['blue', '1.0.0', '3.0.0'],
      ]);
      expect(shares(LISTENER)).toEqual({ [BLUE]: 100, [GREEN]: 0 });
      expect(shares(TEST_LISTENER)).toEqual({ [BLUE]: 0, [GREEN]: 100 });
      expect(await servedThrough(portal.verification.healthCheck!.url!)).toEqual(['3.0.0']);
      await rm(dir, { recursive: true, force: true });
    }, 240_000);

    it('an alarm once green takes the traffic: the weights flip back to blue first, then green hosts return to 0.9.0', async () => {
      // Prepare
      session = await Rehearsal.create({ config });
      seeded = await seedVmHosts(session.world, portal);
      const world = session.world;
      world.cloudwatch.setRule('portal-vm-5xx-rate', () => (world.elbv2.weightsOf(LISTENER)?.[GREEN] ?? 0) > 0);

      // Act
      const record = await session.startExecution({ service: 'portal-vm', artifact: seeded.artifact.uri }).done;
      await session.settle();

      // Assess
      expect(record.error?.error).toBe('RolledBack');
      expect(record.error?.cause).toContain('portal-vm-5xx-rate');
      const visited = record.visits.map((v) => v.name);
      expect(visited.indexOf('ShiftTraffic')).toBeGreaterThan(-1);
      expect(visited.indexOf('RollbackWeights')).toBeLessThan(visited.indexOf('RollbackSsmHosts'));
      // The listeners exactly as before the deployment.
      expect(shares(LISTENER)).toEqual({ [BLUE]: 100 });
      expect(shares(TEST_LISTENER)).toEqual({ [GREEN]: 100 });
      expect(await servedThrough(portal.verification.healthCheck!.url!)).toEqual(['1.0.0']);
      expect(await Promise.all(seeded.hosts.map((h) => servedVersion(h.host)))).toEqual(['1.0.0', '1.0.0', '1.0.0', '0.9.0', '0.9.0', '0.9.0']);
      expect((await readLedger(record.name)).map((h) => h.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
    }, 180_000);
  });

  it('an upload of an artifact (its .sha256 first) starts the service\'s deployment on its VM state machine, once however often S3 reports it', async () => {
    // Prepare
    session = await Rehearsal.create({ config });
    const svc = config.vm.find((s) => s.name === 'api-vm')!;
    seeded = await seedVmHosts(session.world, svc);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-upload-'));
    const artifact = await buildDemoArtifact({ version: '2.1.0', dir });
    const key = 'api/api-vm-2.1.0.tar.gz';

    // Act
    const checksum = await session.upload('acme-artifacts', `${key}.sha256`, `${artifact.sha256}  api-vm-2.1.0.tar.gz\n`);
    const event = { eventId: 'upload-1', sequencer: '0062E99A88DC407460' };
    const bytes = await readFile(artifact.path);
    // S3 reports the same upload twice at once: the second start reaches Step Functions while the first execution runs.
    const [first, whileRunning] = await Promise.all([
      session.upload('acme-artifacts', key, bytes, event),
      session.upload('acme-artifacts', key, bytes, event),
    ]);
    const records = await session.settle();
    const afterwards = await session.upload('acme-artifacts', key, await readFile(artifact.path), event);
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(checksum).toMatchObject({ started: [], ignored: [{ reason: expect.stringContaining('is a checksum') }] });
    expect(first).toMatchObject({ started: [{ service: 'api-vm', executionArn: expect.stringContaining(':execution:EcsDeployer-vm-rolling:api-vm-') }] });
    // Step Functions answers the same start while it runs with the same execution (idempotent), and refuses it once it ended.
    expect(whileRunning).toEqual(first);
    expect(afterwards).toMatchObject({ started: [], duplicates: [{ service: 'api-vm' }] });
    expect(records).toHaveLength(1);
    expect(session.executions).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 'SUCCEEDED' });
    expect((records[0]!.input as { startedBy?: string }).startedBy).toBe('s3-upload');
    expect(await Promise.all(seeded.hosts.map((h) => servedVersion(h.host)))).toEqual(['2.1.0', '2.1.0', '2.1.0']);
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
