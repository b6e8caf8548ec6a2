/**
 * A VM service of a config, reached over SSH instead: its targets (or blue
 * and green groups) become SSH hosts (the ones it lists, by name, or three
 * per group), each a local host behind the
 * rehearsal's loopback sshd (address 127.0.0.1, the sshd's port and pinned
 * host key) with its own install directory and port, given to the release
 * script as the host's `installDir`, `vars.PORT` and `healthUrl`; the
 * service runs the demo app's start and stop commands, renders its config
 * file and checks its health quickly. The result is validated again, as the
 * config file it stands for would be (so the handlers read it as they read
 * any config).
 *
 * Used by `deployer simulate --ssh` and the tests of SSH rehearsals.
 */
import path from 'node:path';
import { configDocument, parseConfig, type DeployerConfig } from '../../lambdas/shared/config.ts';

/** The Secrets Manager secret the rehearsal puts the sshd's client key in. */
export const REHEARSAL_KEY_SECRET = 'deployer/rehearsal-ssh-key';
/** Hosts per targets block (blue-green: per colour). */
export const SSH_HOSTS_PER_GROUP = 3;

/** The sshd the hosts are reached through. */
export interface SshdPlace {
  port: number;
  username: string;
  /** Its host key, pinned in each host's entry. */
  hostKey: string;
}

/** One host as the config lists it, and the local host behind it. */
export interface SshHostPlan {
  service: string;
  name: string;
  group: 'fleet' | 'blue' | 'green';
  /** Its install directory (a local directory). */
  installDir: string;
  /** The port its app listens on. */
  port: number;
  /** How its target group knows it, when the service has one. */
  instanceId?: string;
}

export interface SshHostsOptions {
  /** Directory the hosts' install directories go under (`<root>/<host>/app`). */
  root: string;
  /** A port for each host, in order (services in the order given, blue before green). */
  ports: readonly number[];
  /** The host key pinned for a host (default the sshd's): a wrong one is refused. */
  hostKeyOf?: (host: string) => string;
}

type Raw = Record<string, unknown>;

function isRaw(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The names of a block's listed SSH hosts (kept, so its batches still fit), or `SSH_HOSTS_PER_GROUP` new ones. */
function hostNames(block: Raw, service: string, group: SshHostPlan['group']): string[] {
  const listed = Array.isArray(block.hosts) ? block.hosts.flatMap((h: unknown) => (isRaw(h) && typeof h.name === 'string' ? [h.name] : [])) : [];
  if (listed.length > 0) return listed;
  return Array.from({ length: SSH_HOSTS_PER_GROUP }, (_, i) => `${service}-${group === 'fleet' ? '' : `${group}-`}${i + 1}`);
}

/** The raw entry of each of `services` in the config's document. */
function rawServices(document: Raw, services: readonly string[]): { raw: Raw; index: number }[] {
  const vm = Array.isArray(document.vm) ? (document.vm as unknown[]) : [];
  return services.map((service) => {
    const index = vm.findIndex((entry) => isRaw(entry) && entry.name === service);
    const raw = vm[index];
    if (!isRaw(raw)) throw new Error(`${service}: not a VM service of the config`);
    return { raw, index };
  });
}

function groupsOf(raw: Raw): readonly SshHostPlan['group'][] {
  return raw.strategy === 'blue-green' ? ['blue', 'green'] : ['fleet'];
}

/** `i-` and 17 hex digits, distinct for each service, group and host. */
function instanceIdOf(serviceIndex: number, groupIndex: number, hostIndex: number): string {
  return `i-${(serviceIndex + 1).toString(16).padStart(2, '0')}${groupIndex + 1}${String(hostIndex + 1).padStart(14, '0')}`;
}

/** The targets block of a group in a raw service entry. */
function blockOf(raw: Raw, group: SshHostPlan['group']): Raw {
  const block = raw[group === 'fleet' ? 'targets' : group];
  return isRaw(block) ? block : {};
}

/** How many hosts (so ports) `withSshHosts` needs for these services. */
export function sshHostCount(config: DeployerConfig, services: readonly string[]): number {
  let count = 0;
  for (const { raw } of rawServices(JSON.parse(configDocument(config)) as Raw, services)) {
    for (const group of groupsOf(raw)) count += hostNames(blockOf(raw, group), '', group).length;
  }
  return count;
}

/**
 * The config with each of `services` reached over SSH through `sshd`; the
 * hosts in the order of `options.ports`. @throws ConfigError (as for a config file), Error for an unknown service
 */
export function withSshHosts(
  config: DeployerConfig,
  services: readonly string[],
  sshd: SshdPlace,
  options: SshHostsOptions,
): { config: DeployerConfig; hosts: SshHostPlan[] } {
  const document = JSON.parse(configDocument(config)) as Raw;
  const hosts: SshHostPlan[] = [];
  for (const [position, { raw, index: serviceIndex }] of rawServices(document, services).entries()) {
    const service = services[position]!;
    for (const [groupIndex, group] of groupsOf(raw).entries()) {
      const block = blockOf(raw, group);
      const targetGroup = block.targetGroup;
      const entries = hostNames(block, service, group).map((name, hostIndex) => {
        const port = options.ports[hosts.length];
        if (port === undefined) throw new Error(`withSshHosts: ${options.ports.length} ports for more hosts (see sshHostCount)`);
        const installDir = path.join(options.root, name, 'app');
        const instanceId = targetGroup === undefined ? undefined : instanceIdOf(serviceIndex, groupIndex, hostIndex);
        hosts.push({ service, name, group, installDir, port, ...(instanceId === undefined ? {} : { instanceId }) });
        return {
          name,
          address: '127.0.0.1',
          port: sshd.port,
          hostKey: options.hostKeyOf?.(name) ?? sshd.hostKey,
          installDir,
          healthUrl: `http://127.0.0.1:${port}/health`,
          vars: { PORT: String(port) },
          ...(instanceId === undefined ? {} : { target: { id: instanceId, port } }),
        };
      });
      raw[group === 'fleet' ? 'targets' : group] = { hosts: entries, ...(targetGroup === undefined ? {} : { targetGroup }) };
    }
    const ssh = isRaw(raw.ssh) ? raw.ssh : {};
    raw.ssh = {
      subnetIds: ssh.subnetIds ?? ['subnet-0123456789abcdef0'],
      securityGroupIds: ssh.securityGroupIds ?? ['sg-0123456789abcdef0'],
      user: sshd.username,
      privateKeySecret: REHEARSAL_KEY_SECRET,
      connectTimeout: '10s',
    };
    // The demo app's service control and config (as the simulated SSM hosts run it), no owner (no root needed).
    const install = isRaw(raw.install) ? raw.install : {};
    raw.install = { ...install, owner: undefined, minFreeMb: 1 };
    raw.serviceControl = {
      ...(isRaw(raw.serviceControl) && raw.serviceControl.name !== undefined ? { name: raw.serviceControl.name } : {}),
      start: '"$INSTALL_DIR/current/bin/start"',
      stop: '"$INSTALL_DIR/current/bin/stop"',
      sudo: false,
      timeout: '30s',
    };
    raw.configFile = { template: 'app.conf.tmpl', target: 'app.conf', vars: { MESSAGE: 'hello' } };
    const health = isRaw(raw.healthCheck) ? raw.healthCheck : {};
    raw.healthCheck = { url: health.url ?? 'http://127.0.0.1:8080/health', expect: '"status":"UP"', retries: 10, interval: '1s' };
    raw.smokeTests = [];
  }
  // JSON drops the keys set to undefined, as a file that leaves them out.
  return { config: parseConfig(JSON.parse(JSON.stringify(document)), 'the config with SSH hosts'), hosts };
}
