/**
 * `deployer simulate <vm-service> --ssh`: the service's hosts are SSH hosts
 * behind a loopback OpenSSH sshd started for the run; a service whose config
 * lists SSH hosts is rehearsed that way without the flag.
 *
 * Skipped when sshd is not installed, unless DEPLOYER_REQUIRE_SSHD=1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sshdAvailability, sshdRequired } from '../support/sshd.ts';
import { run } from '../support/cli-run.ts';

interface VmReport {
  status: string;
  executor: string;
  error?: { error: string; cause: string };
  hosts: { host: string; releaseBefore: string; releaseAfter: string | null; phase: string | null; status: string }[];
}

const EXAMPLE = path.join(import.meta.dirname, '../../examples/deployer.config.yaml');

const availability = sshdAvailability();
const skip = !availability.available && !sshdRequired();
const title = skip ? `deployer simulate <vm-service> --ssh (skipped: ${availability.available ? '' : availability.reason})` : 'deployer simulate <vm-service> --ssh';

describe.skipIf(skip)(title, () => {
  it('rehearses api-vm on three SSH hosts: SUCCEEDED, exit 0, every host from 1.0.0 to 2.0.0 over SSH', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'api-vm', '--config', EXAMPLE, '--ssh', '--json');

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as VmReport;
    expect(report).toMatchObject({ status: 'SUCCEEDED', executor: 'ssh' });
    expect(report.hosts.map((h) => [h.host, h.releaseBefore, h.releaseAfter, h.status])).toEqual([
      ['api-vm-1', '1.0.0', '2.0.0', 'succeeded'],
      ['api-vm-2', '1.0.0', '2.0.0', 'succeeded'],
      ['api-vm-3', '1.0.0', '2.0.0', 'succeeded'],
    ]);
  }, 180_000);

  it('--stop-at PollSshBatch: stopped as from the console; the restore run returns every host to 1.0.0 over SSH', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'api-vm', '--config', EXAMPLE, '--ssh', '--stop-at', 'PollSshBatch', '--json');

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.status).toBe('ABORTED');
    expect(report.hosts.map((h) => h.releaseAfter)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  }, 180_000);

  it('a service whose config lists SSH hosts is rehearsed over SSH without --ssh, its hosts by their names', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-ssh-config-'));
    const config = path.join(dir, 'deployer.config.yaml');
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    const ssh = '    ssh: { subnetIds: [subnet-0123456789abcdef0], securityGroupIds: [sg-0123456789abcdef0], user: deploy, privateKeySecret: deployer/api-key }\n';
    writeFileSync(
      config,
      readFileSync(EXAMPLE, 'utf8')
        .replace(
          '      ec2Tags: { app: api, env: prod } # every running instance with these tags (SSM agent Online)\n',
          [
            `      hosts:`,
            `        - { name: web-a, address: 10.0.1.5, hostKey: "${key}", target: { id: i-0123456789abcdef0 } }`,
            `        - { name: web-b, address: 10.0.1.6, hostKey: "${key}", target: { id: i-0123456789abcdef1 } }`,
            '',
          ].join('\n'),
        )
        .replace('    install:\n      dir: /opt/api', `${ssh}    install:\n      dir: /opt/api`),
    );

    // Act
    const { code, stdout, stderr } = await run('simulate', 'api-vm', '--config', config, '--json');
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as VmReport;
    expect(report).toMatchObject({ status: 'SUCCEEDED', executor: 'ssh' });
    expect(report.hosts.map((h) => [h.host, h.releaseAfter])).toEqual([
      ['web-a', '2.0.0'],
      ['web-b', '2.0.0'],
    ]);
  }, 180_000);

  it('--fail-host NAME with SSH hosts: that host fails at preflight, naming it; ROLLED_BACK, exit 1, every host still on 1.0.0', async () => {
    // Act
    const { code, stdout } = await run('simulate', 'api-vm', '--config', EXAMPLE, '--ssh', '--fail-host', 'api-vm-1', '--json');

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as VmReport;
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toMatch(/api-vm-1 \(preflight\): .*cannot open the lock file/);
    expect(report.hosts.map((h) => [h.host, h.releaseBefore, h.releaseAfter])).toEqual([
      ['api-vm-1', '1.0.0', '1.0.0'],
      ['api-vm-2', '1.0.0', '1.0.0'],
      ['api-vm-3', '1.0.0', '1.0.0'],
    ]);
    expect(report.hosts[0]).toMatchObject({ status: 'failed', phase: 'preflight' });
  }, 180_000);
});
