import { describe, expect, it } from 'vitest';
import { ConfigError, findService, findVmService, parseConfig, serviceNames } from '../../../lambdas/shared/config.ts';
import { CONFIG_DOCUMENT } from '../../support/lambda-fixtures.ts';
import { exampleConfig } from '../../support/example-config.ts';
import { OTHER_HOST_KEY, SSH_BLOCK, sshHost, vmBlueGreen, vmCanary, vmRolling, vmSsh } from '../../support/vm-config-fixtures.ts';

/** The problems a bad config is reported with. */
function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'deployer.config.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('VM services in the config', () => {
  it('accepts a config with VM services only, and finds them by name', () => {
    // Act
    const config = parseConfig({ vm: [vmRolling(), vmCanary(), vmBlueGreen()] });

    // Assess
    expect(config.ecs).toEqual([]);
    expect(serviceNames(config)).toEqual(['api-vm', 'worker-vm', 'portal-vm']);
    expect(findVmService(config, 'worker-vm')).toMatchObject({ strategy: 'canary' });
    expect(findService(config, 'worker-vm')).toBeUndefined();
  });

  it('gives each strategy its default batches, bakes and limits', () => {
    // Act
    const [rolling, canary, blueGreen] = parseConfig({ vm: [vmRolling(), vmCanary(), vmBlueGreen()] }).vm;

    // Assess
    expect(rolling).toMatchObject({
      batches: ['25%', '50%', '100%'],
      maxErrors: 0,
      unreachableHosts: 'fail',
      batchTimeout: 1800,
      bake: 300,
      verifyIntervalSeconds: 30,
      artifacts: { pattern: '*.tar.gz', downloadTimeout: 900 },
      install: { keepReleases: 5, minFreeMb: 100 },
      serviceControl: { sudo: false, timeout: 120 },
    });
    expect(canary).toMatchObject({ batches: [1, '50%', '100%'], canary: { bake: 600, approval: false } });
    expect(blueGreen).toMatchObject({ batches: ['100%'], steps: [{ kind: 'weight', weight: 100, bakeSeconds: 300 }], keepWarm: 900, approvalTimeout: 14_400 });
  });

  it('reads batch counts written as text as counts, and keeps percentages', () => {
    // Act
    const [svc] = parseConfig({ vm: [vmCanary({ batches: ['1', 2, '75%', '100%'], maxErrors: '10%' })] }).vm;

    // Assess
    expect(svc).toMatchObject({ batches: [1, 2, '75%', '100%'], maxErrors: '10%' });
  });

  it('accepts the example config: one VM service per strategy next to the ECS ones', () => {
    // Act
    const config = exampleConfig();

    // Assess
    expect(config.vm.map((s) => [s.name, s.strategy])).toEqual([
      ['api-vm', 'rolling'],
      ['worker-vm', 'canary'],
      ['portal-vm', 'blue-green'],
    ]);
  });

  it.each([
    {
      what: 'two kinds of targets in one block',
      vm: [vmRolling({ targets: { ec2Tags: { app: 'api' }, instanceIds: ['i-0a1b2c3d4e5f60718'] } })],
      problems: [
        'vm[0].targets.instanceIds: ec2Tags and instanceIds are both given: keep one (a targets block is found by tags, listed by instance ID, or reached over SSH)',
      ],
    },
    {
      what: 'no targets at all',
      vm: [vmRolling({ targets: {} })],
      problems: ['vm[0].targets: no hosts: give one of ec2Tags (SSM, e.g. { app: api }), instanceIds (SSM) or hosts (SSH)'],
    },
    {
      what: 'SSH hosts without the ssh block',
      vm: [vmSsh({ ssh: undefined })],
      problems: [
        'vm[0].ssh: required with targets.hosts: { subnetIds, securityGroupIds } the SSH Lambda runs in (and user, privateKeySecret for every host)',
      ],
    },
    {
      what: 'an ssh block with SSM targets',
      vm: [vmRolling({ ssh: SSH_BLOCK })],
      problems: ['vm[0].ssh: only with hosts (SSH): ec2Tags and instanceIds are reached through SSM; remove it'],
    },
    {
      what: 'a host without a user, here or in the ssh block',
      vm: [vmSsh({ ssh: { ...SSH_BLOCK, user: undefined } })],
      problems: [0, 1, 2].map((i) => `vm[0].targets.hosts[${i}].user: required: the SSH user, here or for every host as ssh.user`),
    },
    {
      what: 'two hosts with one name',
      vm: [vmSsh({ targets: { hosts: [sshHost('web-1'), sshHost('web-1', { address: '10.0.1.9' })] } })],
      problems: ["vm[0].targets.hosts[1].name: duplicate host name 'web-1' (already targets.hosts[0]); host names must be unique within a service"],
    },
    {
      what: 'two hosts in the same directory of one machine',
      vm: [vmSsh({ targets: { hosts: [sshHost('web-1'), sshHost('web-2')] } })],
      problems: [
        'vm[0].targets.hosts[1]: 10.0.1.5:22 with install directory /opt/site is already targets.hosts[0]: give one of them its own installDir (several hosts may share a machine, each in its own directory)',
      ],
    },
    {
      what: 'an unpinnable host key',
      vm: [vmSsh({ targets: { hosts: [sshHost('web-1', { hostKey: `${OTHER_HOST_KEY.slice(0, 30)}` })] } })],
      problems: [
        'vm[0].targets.hosts[0].hostKey: the host\'s public key as an OpenSSH line ("ssh-ed25519 AAAA...", from ssh-keyscan or /etc/ssh/ssh_host_ed25519_key.pub) or its fingerprint ("SHA256:...", from ssh-keygen -lf): the deployer never connects to an unpinned host',
      ],
    },
    {
      what: 'an install directory that would reach the shell',
      vm: [vmRolling({ install: { dir: '/opt/api;rm -rf /' } })],
      problems: ['vm[0].install.dir: an absolute path of letters, digits, ".", "_" and "-", e.g. /opt/api (no . or .. components, no trailing /)'],
    },
    {
      what: 'a host install directory with a .. component',
      vm: [vmSsh({ targets: { hosts: [sshHost('web-1', { installDir: '/opt/../etc' })] } })],
      problems: ['vm[0].targets.hosts[0].installDir: an absolute path of letters, digits, ".", "_" and "-", e.g. /opt/api (no . or .. components, no trailing /)'],
    },
    {
      what: 'a config variable name the release script refuses',
      vm: [vmRolling({ configFile: { template: 'conf/app.env.tmpl', target: 'conf/app.env', vars: { 'log-level': 'info' } } })],
      problems: ['vm[0].configFile.vars.log-level: variable names are upper case: letters, digits and "_", e.g. LOG_LEVEL'],
    },
    {
      what: 'a config variable of two lines',
      vm: [vmRolling({ configFile: { template: 'conf/app.env.tmpl', target: 'conf/app.env', vars: { LOG_LEVEL: 'info\nrm -rf /' } } })],
      problems: ['vm[0].configFile.vars.LOG_LEVEL: one line of text (no newline)'],
    },
    {
      what: 'a health URL with a space and a double quote',
      vm: [vmRolling({ healthCheck: { url: 'http://127.0.0.1:8080/health" $(id)' } })],
      problems: ['vm[0].healthCheck.url: an http:// or https:// URL without spaces or quotes, e.g. "http://127.0.0.1:8080/health" or "http://{address}:8080/health"'],
    },
    {
      what: 'a health URL placeholder the deployer does not fill',
      vm: [vmRolling({ healthCheck: { url: 'http://{host}:8080/health' } })],
      problems: ['vm[0].healthCheck.url: unknown placeholder {host}: use {address}, {port}, {name}, {instanceId} or {privateIp}'],
    },
    {
      what: 'a start command without a stop command',
      vm: [vmRolling({ serviceControl: { start: 'bin/start' } })],
      problems: ['vm[0].serviceControl.stop: give start and stop together, or neither (systemd: systemctl start|stop NAME)'],
    },
    {
      what: 'an artifact pattern the release script cannot unpack',
      vm: [vmRolling({ artifacts: { bucket: 'acme-artifacts', prefix: 'api/', pattern: '*.zip' } })],
      problems: ["vm[0].artifacts.pattern: must end with .tar.gz or .tgz: the release script unpacks gzip'd tar archives"],
    },
    {
      what: 'an S3 URI as the bucket',
      vm: [vmRolling({ artifacts: { bucket: 's3://acme-artifacts', prefix: 'api/' } })],
      problems: ['vm[0].artifacts.bucket: an S3 bucket name: 3-63 lowercase letters, digits, "." and "-" (the name alone, not s3:// or an ARN)'],
    },
    {
      what: 'batches that do not rise',
      vm: [vmRolling({ batches: ['50%', '40%', '100%'] })],
      problems: ["vm[0].batches[1]: 40% does not rise above the previous batch's 50%: batches are cumulative (share of the fleet done so far)"],
    },
    {
      what: 'a count after a percentage',
      vm: [vmRolling({ batches: ['50%', 2, '100%'] })],
      problems: ['vm[0].batches[1]: a count after a percentage cannot be checked to rise: give the counts first, then percentages, e.g. [1, "50%", "100%"]'],
    },
    {
      what: 'batches that stop before the whole fleet',
      vm: [vmRolling({ batches: ['25%', '50%'] })],
      problems: ['vm[0].batches[1]: the last batch is 50%: end with "100%" so every host gets the release'],
    },
    {
      what: 'a last count below the listed fleet',
      vm: [vmCanary({ batches: [1, 3] })],
      problems: ['vm[0].batches[1]: the last batch is 3 of the 4 listed hosts: end with 4 or "100%" so every host gets the release'],
    },
    {
      what: 'a last count for hosts found by tags',
      vm: [vmRolling({ batches: [1, 10] })],
      problems: ['vm[0].batches[1]: end with "100%": hosts found by ec2Tags are not counted before the deployment, so 10 might leave some on the old release'],
    },
    {
      what: 'a canary with a single batch',
      vm: [vmCanary({ batches: ['100%'] })],
      problems: ['vm[0].batches: the first batch is the canary: give at least two batches, e.g. [1, "100%"]'],
    },
    {
      what: 'maxErrors above 100%',
      vm: [vmRolling({ maxErrors: '150%' })],
      problems: ['vm[0].maxErrors: a number of hosts (0, 2) or a percentage of the batch in quotes ("10%")'],
    },
    {
      what: 'a canary field on a rolling service',
      vm: [vmRolling({ canary: { bake: '5m' } })],
      problems: ["vm[0]: unknown field 'canary' (check the spelling, or remove it)"],
    },
    {
      what: 'blue and green in one target group',
      vm: [vmBlueGreen({ green: { ec2Tags: { color: 'green' }, targetGroup: (vmBlueGreen().blue as { targetGroup: string }).targetGroup } })],
      problems: ['vm[0].green.targetGroup: must differ from blue.targetGroup'],
    },
    {
      what: 'a blue-green group without its target group',
      vm: [vmBlueGreen({ green: { ec2Tags: { color: 'green' } } })],
      problems: ['vm[0].green.targetGroup: required: target group of the green hosts'],
    },
    {
      what: 'an instance in both colours',
      vm: [vmBlueGreen({ blue: { instanceIds: ['i-0a1b2c3d4e5f60718'], targetGroup: (vmBlueGreen().blue as { targetGroup: string }).targetGroup }, green: { instanceIds: ['i-0a1b2c3d4e5f60718'], targetGroup: (vmBlueGreen().green as { targetGroup: string }).targetGroup } })],
      problems: ['vm[0].green.instanceIds[0]: instance i-0a1b2c3d4e5f60718 is already listed (blue.instanceIds[0]): a host is deployed once per deployment'],
    },
  ])('refuses $what, naming the field and the fix', ({ vm, problems }) => {
    // Act
    const found = problemsOf({ vm });

    // Assess
    expect(found).toEqual(problems);
  });

  it('refuses a service name used under ecs: and vm:', () => {
    // Prepare
    const raw = { ecs: CONFIG_DOCUMENT.ecs, vm: [vmRolling({ name: 'web' })] };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(["vm[0].name: duplicate service name 'web' (already used by ecs[0]); names must be unique across ecs: and vm:"]);
  });

  it('refuses a host directory that two services deploy to', () => {
    // Prepare
    const other = vmSsh({ name: 'other-vm', artifacts: { bucket: 'acme-artifacts', prefix: 'other/' }, targets: { hosts: [sshHost('x', { installDir: '/opt/site-b' })] } });

    // Act
    const problems = problemsOf({ vm: [vmSsh(), other] });

    // Assess
    expect(problems).toEqual([
      "vm[1].targets.hosts[0]: host 10.0.1.5:22 with install directory /opt/site-b is already deployed by vm[0] (site-vm); two services would overwrite each other's releases there",
    ]);
  });

  it('accepts two services on one machine in different directories or ports', () => {
    // Prepare
    const other = vmSsh({
      name: 'other-vm',
      artifacts: { bucket: 'acme-artifacts', prefix: 'other/' },
      targets: { hosts: [sshHost('x', { installDir: '/opt/other' }), sshHost('y', { installDir: '/opt/site-b', port: 2222 })] },
    });

    // Act
    const config = parseConfig({ vm: [vmSsh(), other] });

    // Assess
    expect(config.vm).toHaveLength(2);
  });

  it('refuses an instance that two services deploy to', () => {
    // Prepare
    const second = vmCanary({ name: 'other-vm', targets: { instanceIds: ['i-0c3d4e5f607182930'] }, batches: [1, '100%'] });

    // Act
    const problems = problemsOf({ vm: [vmCanary(), second] });

    // Assess
    expect(problems).toEqual([
      "vm[1].targets.instanceIds[0]: instance i-0c3d4e5f607182930 is already deployed by vm[0] (worker-vm); two services would overwrite each other's releases there",
    ]);
  });

  it('refuses a VM service whose worst case writes too many history events, saying which interval fits', () => {
    // Prepare: 20 batches, each polled (and rolled back) for up to 45 minutes every 10 seconds.
    const batches = Array.from({ length: 20 }, (_unused, i) => `${(i + 1) * 5}%`);

    // Act
    const problems = problemsOf({ vm: [vmRolling({ batches, batchTimeout: '45m', verifyIntervalSeconds: 10 })] });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^vm\[0\]\.verifyIntervalSeconds: a deployment of api-vm could write up to \d+ Step Functions history events, mostly polling every 10s for batch \d+ \(at batchTimeout\)/);
    expect(problems[0]).toMatch(/raise verifyIntervalSeconds to at least \d+, or shorten them$/);
  });

  it('refuses a VM service that could run longer than 36 hours', () => {
    // Prepare: 10 batches and their rollbacks at 2 hours each.
    const batches = Array.from({ length: 10 }, (_unused, i) => `${(i + 1) * 10}%`);

    // Act
    const problems = problemsOf({ vm: [vmRolling({ batches, batchTimeout: '2h', verifyIntervalSeconds: 600 })] });

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/^vm\[0\]: a deployment of api-vm could take up to 40h\d*m? with its rollback \(every batch and its rollback at batchTimeout, every bake, approval timeout and keepWarm\); at most 36h: shorten them or use fewer batches$/),
    ]);
  });
});
