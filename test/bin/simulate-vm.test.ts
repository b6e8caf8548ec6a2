/**
 * `deployer simulate <vm-service>`: the example's VM services rehearse out of
 * the box (no root, no sshd, no network), and the JSON report says per host
 * what it served before and after and the phase it reached.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDemoArtifact } from '../../simulator/vm/demo-artifact.ts';
import { run } from '../support/cli-run.ts';

interface VmReport {
  status: string;
  error?: { error: string; cause: string };
  hosts: { host: string; group: string; releaseBefore: string; releaseAfter: string | null; phase: string | null; status: string }[];
  listeners?: { before: Record<string, Record<string, number>>; after: Record<string, Record<string, number>> };
}

const PORTAL_LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/portal-alb/8f3e2d1c0b9a8776/5c4b3a2918070605';
const PORTAL_BLUE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/portal-blue/3e1f8c2a9b7d6e54';
const PORTAL_GREEN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/portal-green/7a2b9c4d1e3f5a68';

const EXAMPLE = path.join(import.meta.dirname, '../../examples/deployer.config.yaml');

describe('deployer simulate <vm-service>', () => {
  it('rehearses the example api-vm: SUCCEEDED, exit 0, every host from 1.0.0 to 2.0.0', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'api-vm', '--config', EXAMPLE, '--json');

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.status).toBe('SUCCEEDED');
    expect(report.hosts.map((h) => [h.releaseBefore, h.releaseAfter, h.status])).toEqual([
      ['1.0.0', '2.0.0', 'succeeded'],
      ['1.0.0', '2.0.0', 'succeeded'],
      ['1.0.0', '2.0.0', 'succeeded'],
    ]);
  }, 120_000);

  it('--unhealthy: ROLLED_BACK, exit 1, every host back on 1.0.0, the failed host named with its phase', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'api-vm', '--config', EXAMPLE, '--unhealthy', '--json');

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.hosts.map((h) => h.releaseAfter)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    expect(report.hosts[0]).toMatchObject({ phase: 'health', status: 'rolled-back' });
  }, 120_000);

  it('--fail-host: that host fails its batch; every host is back on 1.0.0', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'api-vm', '--config', EXAMPLE, '--fail-host', 'i-01000000000000002', '--json');

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.error?.cause).toContain('i-01000000000000002');
    expect(report.hosts.map((h) => h.releaseAfter)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  }, 120_000);

  it('--artifact PATH deploys that file (its sha256 computed)', async () => {
    // Prepare
    const dir = mkdtempSync(path.join(os.tmpdir(), 'deployer-artifact-'));
    const artifact = await buildDemoArtifact({ version: '2.0.0', dir });

    // Act
    const { code, stdout } = await run('simulate', 'worker-vm', '--config', EXAMPLE, '--artifact', artifact.path, '--json');

    // Assess
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as VmReport & { artifact: { sha256: string } }).artifact.sha256).toBe(artifact.sha256);
  }, 120_000);

  it('--stop-at a batch poll: stopped as from the console; the restore run returns every host to 1.0.0', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'api-vm', '--config', EXAMPLE, '--stop-at', 'PollSsmBatch', '--json');

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.status).toBe('ABORTED');
    expect(report.hosts.map((h) => h.releaseAfter)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  }, 120_000);

  it('rehearses the example blue-green portal-vm: the idle green hosts get 2.0.0, the listener moves to green, blue stays on 1.0.0', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'portal-vm', '--config', EXAMPLE, '--json');

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.status).toBe('SUCCEEDED');
    expect(report.hosts.map((h) => [h.group, h.releaseBefore, h.releaseAfter, h.status])).toEqual([
      ['blue', '1.0.0', '1.0.0', 'untouched'],
      ['blue', '1.0.0', '1.0.0', 'untouched'],
      ['blue', '1.0.0', '1.0.0', 'untouched'],
      ['green', '0.9.0', '2.0.0', 'succeeded'],
      ['green', '0.9.0', '2.0.0', 'succeeded'],
      ['green', '0.9.0', '2.0.0', 'succeeded'],
    ]);
    expect(report.listeners?.before[PORTAL_LISTENER]).toEqual({ [PORTAL_BLUE]: 1 });
    expect(report.listeners?.after[PORTAL_LISTENER]).toEqual({ [PORTAL_BLUE]: 0, [PORTAL_GREEN]: 100 });
  }, 120_000);

  it('portal-vm --unhealthy: ROLLED_BACK, exit 1, green back on 0.9.0, the listeners as they were', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'portal-vm', '--config', EXAMPLE, '--unhealthy', '--json');

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.hosts.map((h) => h.releaseAfter)).toEqual(['1.0.0', '1.0.0', '1.0.0', '0.9.0', '0.9.0', '0.9.0']);
    expect(report.hosts.filter((h) => h.group === 'green').map((h) => [h.phase, h.status])).toEqual([
      ['health', 'rolled-back'],
      ['health', 'rolled-back'],
      ['health', 'rolled-back'],
    ]);
    expect(report.listeners?.after).toEqual(report.listeners?.before);
  }, 120_000);

  it('--fail-at a batch state: its AWS calls fail; ROLLED_BACK, exit 1, every host back on 1.0.0, the call named', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'api-vm', '--config', EXAMPLE, '--fail-at', 'RegisterBatch', '--json');

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toContain('AccessDenied');
    expect(report.hosts.map((h) => h.releaseAfter)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  }, 120_000);

  it('--reject: the canary approval is rejected; ROLLED_BACK, exit 1, the canary host back on 1.0.0', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'worker-vm', '--config', EXAMPLE, '--reject', '--json');

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toContain('ApprovalRejected');
    expect(report.hosts.map((h) => h.releaseAfter)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  }, 120_000);

  it.each([
    [['--fail-at', 'Nope'], "--fail-at: 'Nope' is not a Task state of vm-rolling.asl.json"],
    [['--reject'], '--reject: api-vm has no approval to reject'],
  ])('refuses %j for api-vm with a usage error naming the problem', async (flags, message) => {
    // Act
    const { code, stderr } = await run('simulate', 'api-vm', '--config', EXAMPLE, ...flags);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
