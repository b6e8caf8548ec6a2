/**
 * VM service entries as written under `vm:` (before defaults), valid as
 * they are: tests break one field at a time.
 */
import { BLUE_TG, GREEN_TG, LISTENER_ARN } from './lambda-fixtures.ts';

/** An OpenSSH ed25519 public key line (its blob names its own type, as a real one does). */
function ed25519KeyLine(seed: number): string {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, seed);
  const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), key]);
  return `ssh-ed25519 ${blob.toString('base64')} root@host-${seed}`;
}

export const HOST_KEY = ed25519KeyLine(7);
export const OTHER_HOST_KEY = ed25519KeyLine(9);
export const API_TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-vm/6d0ecf831eec9f09';
export const ARTIFACTS_BUCKET = 'acme-artifacts';

/** A valid rolling VM service by EC2 tags. */
export function vmRolling(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'api-vm',
    strategy: 'rolling',
    artifacts: { bucket: ARTIFACTS_BUCKET, prefix: 'api/' },
    targets: { ec2Tags: { app: 'api' }, targetGroup: API_TG },
    install: { dir: '/opt/api' },
    ...overrides,
  };
}

/** A valid canary VM service on listed instances. */
export function vmCanary(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'worker-vm',
    strategy: 'canary',
    artifacts: { bucket: ARTIFACTS_BUCKET, prefix: 'worker/' },
    targets: { instanceIds: ['i-0a1b2c3d4e5f60718', 'i-0b2c3d4e5f6071829', 'i-0c3d4e5f607182930', 'i-0d4e5f60718293041'] },
    install: { dir: '/opt/worker' },
    ...overrides,
  };
}

/** A valid blue-green VM service between two tag groups. */
export function vmBlueGreen(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'portal-vm',
    strategy: 'blue-green',
    artifacts: { bucket: ARTIFACTS_BUCKET, prefix: 'portal/' },
    blue: { ec2Tags: { app: 'portal', color: 'blue' }, targetGroup: BLUE_TG },
    green: { ec2Tags: { app: 'portal', color: 'green' }, targetGroup: GREEN_TG },
    loadBalancer: { listener: LISTENER_ARN },
    install: { dir: '/opt/portal' },
    ...overrides,
  };
}

/** An SSH host entry. */
export function sshHost(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, address: '10.0.1.5', hostKey: HOST_KEY, ...overrides };
}

/** The ssh block SSH hosts need. */
export const SSH_BLOCK = {
  subnetIds: ['subnet-0123456789abcdef0'],
  securityGroupIds: ['sg-0123456789abcdef0'],
  user: 'deploy',
  privateKeySecret: 'deployer/web-key',
};

/** A valid rolling VM service on SSH hosts (three directories of one machine). */
export function vmSsh(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return vmRolling({
    name: 'site-vm',
    artifacts: { bucket: ARTIFACTS_BUCKET, prefix: 'site/' },
    targets: {
      hosts: [
        sshHost('web-1', { installDir: '/opt/site-a', vars: { PORT: '8081' } }),
        sshHost('web-2', { installDir: '/opt/site-b', vars: { PORT: '8082' } }),
        sshHost('web-3', { address: '10.0.1.6' }),
      ],
    },
    ssh: SSH_BLOCK,
    install: { dir: '/opt/site' },
    ...overrides,
  });
}
