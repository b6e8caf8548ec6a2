import { describe, expect, it } from 'vitest';
import { parseReleaseInput } from '../../../lambdas/vm/release-environment.ts';
import { parseConfig } from '../../../lambdas/shared/config.ts';
import { VmDeploymentSchema } from '../../../lambdas/shared/vm-deployment.ts';
import { vmServiceSettings } from '../../../lambdas/shared/vm-service-settings.ts';
import { exampleConfig } from '../../support/example-config.ts';
import { HOST_KEY, vmBlueGreen, vmSsh } from '../../support/vm-config-fixtures.ts';

const SHA256 = 'a'.repeat(64);

/** The fields ValidateInput adds to the settings. */
const EXECUTION_PART = {
  image: 's3://acme-artifacts/api/api-vm-1.4.0.tar.gz',
  imageTag: '1.4.0',
  artifact: { bucket: 'acme-artifacts', key: 'api/api-vm-1.4.0.tar.gz', version: '1.4.0', sha256: SHA256 },
  startedBy: 'alice',
  requestedAt: '2026-01-31T12:00:00.000Z',
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:EcsDeployer-vm-rolling:api-vm-1',
  executionName: 'api-vm-1',
  executionStartTime: '2026-01-31T12:00:00.000Z',
};

describe('vmServiceSettings', () => {
  it.each(exampleConfig().vm.map((svc) => [svc.name, svc] as const))(
    'makes a VmDeployment of the example %s whose release settings the release script accepts',
    (_name, svc) => {
      // Act
      const settings = vmServiceSettings(svc);
      const deployment = VmDeploymentSchema.safeParse({ ...settings, ...EXECUTION_PART });
      const { release } = settings;
      const parse = (): unknown =>
        parseReleaseInput({
          serviceName: settings.service,
          version: '1.4.0',
          artifactUrl: 'https://acme-artifacts.s3.amazonaws.com/api/api-vm-1.4.0.tar.gz?X-Amz-Signature=abc',
          artifactSha256: SHA256,
          ...release,
          healthUrl: release.healthUrl?.replaceAll('{address}', '10.0.0.1'),
        });

      // Assess
      expect(deployment.success, JSON.stringify(deployment.error?.issues)).toBe(true);
      expect(parse).not.toThrow();
    },
  );

  it('runs systemd for the configured unit by default, quoted, with a status check', () => {
    // Prepare
    const [svc] = parseConfig({ vm: [vmSsh({ serviceControl: { name: 'site@blue', sudo: true } })] }).vm;

    // Act
    const { release } = vmServiceSettings(svc!);

    // Assess
    expect(release).toMatchObject({
      startCommand: "systemctl start 'site@blue'",
      stopCommand: "systemctl stop 'site@blue'",
      statusCommand: "systemctl is-active --quiet 'site@blue'",
      useSudo: true,
      installDir: '/opt/site',
      keepReleases: 5,
      minFreeMb: 100,
      serviceTimeoutSeconds: 120,
      downloadTimeoutSeconds: 900,
    });
  });

  it('runs the configured commands instead, with no status check unless one is given', () => {
    // Prepare
    const [svc] = parseConfig({ vm: [vmSsh({ serviceControl: { start: 'bin/start --daemon', stop: 'bin/stop', timeout: '30s' } })] }).vm;

    // Act
    const { release } = vmServiceSettings(svc!);

    // Assess
    expect(release).toMatchObject({ startCommand: 'bin/start --daemon', stopCommand: 'bin/stop', serviceTimeoutSeconds: 30 });
    expect(release.statusCommand).toBeUndefined();
  });

  it('gives every SSH host its user and key, its own or the ssh block\'s, and the SSH timeouts', () => {
    // Prepare
    const [svc] = parseConfig({
      vm: [
        vmSsh({
          targets: {
            hosts: [
              { name: 'web-1', address: '10.0.1.5', hostKey: HOST_KEY, installDir: '/opt/site-a', target: { id: 'i-0a1b2c3d4e5f60718', port: 8081 } },
              { name: 'web-2', address: 'web-2.internal', port: 2222, user: 'ops', privateKeySecret: 'deployer/ops-key', hostKey: HOST_KEY },
            ],
          },
          batchTimeout: '20m',
        }),
      ],
    }).vm;

    // Act
    const settings = vmServiceSettings(svc!);

    // Assess
    expect(settings.targets).toEqual({
      executor: 'ssh',
      hosts: [
        {
          name: 'web-1',
          address: '10.0.1.5',
          port: 22,
          user: 'deploy',
          hostKey: HOST_KEY,
          privateKeySecret: 'deployer/web-key',
          installDir: '/opt/site-a',
          target: { id: 'i-0a1b2c3d4e5f60718', port: 8081 },
        },
        { name: 'web-2', address: 'web-2.internal', port: 2222, user: 'ops', hostKey: HOST_KEY, privateKeySecret: 'deployer/ops-key' },
      ],
    });
    expect(settings.ssh).toEqual({ connectTimeoutSeconds: 10, commandTimeoutSeconds: 1200 });
  });

  it('gives a blue-green both groups with their target groups, the listener and the comparison thresholds', () => {
    // Prepare
    const [svc] = parseConfig({
      vm: [vmBlueGreen({ steps: [{ weight: 10, bake: '2m' }, { approval: true }, { weight: 100, bake: '5m' }], verification: { maxErrorRateIncrease: 2 } })],
    }).vm;

    // Act
    const settings = vmServiceSettings(svc!);

    // Assess
    expect(settings).toMatchObject({
      kind: 'vm',
      strategy: 'blue-green',
      blue: { executor: 'ssm', ec2Tags: { app: 'portal', color: 'blue' }, targetGroupArn: expect.stringContaining(':targetgroup/') },
      green: { executor: 'ssm', ec2Tags: { app: 'portal', color: 'green' } },
      loadBalancer: { listenerArn: expect.stringContaining(':listener/app/') },
      steps: [{ kind: 'weight', weight: 10, bakeSeconds: 120 }, { kind: 'approval' }, { kind: 'weight', weight: 100, bakeSeconds: 300 }],
      verification: { comparison: { maxErrorRateIncrease: 2, maxLatencyRatio: 1.5, minRequests: 100, maxExtraBakeSeconds: 600 } },
      keepWarmSeconds: 900,
      batches: ['100%'],
    });
    expect(settings.targets).toBeUndefined();
    expect(settings.ssh).toBeUndefined();
  });
});
