/**
 * The hosts of a VM service in a rehearsal: for each host its targets name
 * (each instance ID, or three per tag group), a local host of its own (a
 * directory and a port on this machine) running the demo app, added to the
 * simulated EC2/SSM as an instance with the service's tags, in the
 * service's target group; and the artifacts in the simulated S3 (with their
 * `KEY.sha256` beside them).
 *
 * Blue-green: blue is live, green idle, as a blue-green deployment leaves
 * them. Blue's hosts serve `beforeVersion` (1.0.0), green's the release
 * before it (0.9.0 by default, `idleVersion`), kept warm; each group's
 * hosts are registered (and healthy) in its target group; the production
 * listener (or rule) forwards all traffic to blue's, the test listener (if
 * any) to green's, and the verification's URLs reach them through the
 * simulated load balancer. A deployment of 2.0.0 goes to green.
 *
 * An SSM command runs the release script on the host for real. The config
 * describes real machines (one install directory, one port, systemd); the
 * simulated ones share this machine, so each runs the script with its own
 * directory, port and the demo app's start and stop commands, and with what
 * the deployment sent: the mode, version, artifact URL (the simulated S3's
 * presigned URL, read from local disk) and sha256, or the release to return to.
 *
 * SSH hosts (`hosts` in the config, see `withSshHosts`) are local hosts too,
 * at the install directory and port their entries give, reached by the SSH
 * functions over a real sshd (`startRehearsalSshd`): the release script runs
 * with exactly what the config says. Their private key goes into the
 * simulated Secrets Manager; a host with a `target` is an (unmanaged)
 * instance of EC2, so its target group can check it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { VmServiceConfig } from '../../lambdas/shared/vm-config.ts';
import { targetBlocks } from '../../lambdas/vm/vm-services.ts';
import type { SimulatedWorld } from '../aws/world.ts';
import type { VmTargetGroupOptions } from '../aws/world-vm.ts';
import { exportedVariables, withExports } from './command-exports.ts';
import { buildDemoArtifact, demoServiceSettings, type DemoArtifact, type DemoHealth } from './demo-artifact.ts';
import { freePort } from './free-port.ts';
import { LocalHost } from './local-host.ts';
import { runShellScript } from './run-commands.ts';

/** Hosts per tag group when the config does not list them. */
export const HOSTS_PER_TAG_GROUP = 3;
/** Health checked quickly: a failing release is rolled back within seconds. */
const REHEARSAL_HEALTH = { healthRetries: 12, healthIntervalSeconds: 0.25 } as const;

/** One simulated host of the service. */
export interface RehearsalHost {
  /** Instance ID (the ledger's host id). */
  instanceId: string;
  group: 'fleet' | 'blue' | 'green';
  host: LocalHost;
  /** The release it serves when the rehearsal starts ('' for none: a new host). */
  before: string;
  /** An SSH host: how its target group knows it (its entry's `target.id`), if it does. */
  targetId?: string;
}

export interface VmRehearsalHosts {
  hosts: RehearsalHost[];
  /** The artifact deployed (`s3://bucket/key`) and the one every host serves before. */
  artifact: { uri: string; version: string; sha256: string };
  before: DemoArtifact;
  /** Stop the hosts' apps and remove their directories. */
  cleanup(): Promise<void>;
}

export interface VmRehearsalHostOptions {
  /** The release every host (blue-green: every live host) serves before (default 1.0.0). */
  beforeVersion?: string;
  /** Blue-green: the release the idle group's hosts serve before (default 0.9.0); null: none, new hosts (a first blue-green deployment). */
  idleVersion?: string | null;
  /** The release deployed (default 2.0.0), and whether it passes its health check. */
  version?: string;
  health?: DemoHealth;
  /** A real artifact to deploy instead of the demo app's (its sha256 is computed). */
  artifactPath?: string;
  /** SSH hosts: the private key the sshd accepts (put in each host's privateKeySecret). */
  sshPrivateKey?: string;
}

/** Runs a command sent to `host`: the release script with the host's own settings and what the deployment sent. */
function hostRunner(host: LocalHost): NonNullable<Parameters<SimulatedWorld['vm']['addInstance']>[0]>['runner'] {
  return async (text, { timeoutMs, workDir }) => {
    const sent = exportedVariables(text);
    const mode = sent.DEPLOYER_MODE === 'rollback' ? 'rollback' : 'deploy';
    const env = host.environment({
      mode,
      ...(sent.VERSION === undefined ? {} : { version: sent.VERSION }),
      ...(sent.ARTIFACT_URL === undefined ? {} : { artifactUrl: sent.ARTIFACT_URL }),
      ...(sent.ARTIFACT_SHA256 === undefined ? {} : { artifactSha256: sent.ARTIFACT_SHA256 }),
      ...(sent.ROLLBACK_TO === undefined ? {} : { rollbackTo: sent.ROLLBACK_TO }),
      ...(sent.ROLLBACK_OF === undefined ? {} : { rollbackOf: sent.ROLLBACK_OF }),
      ...(sent.DEPLOYMENT_ID === undefined ? {} : { deploymentId: sent.DEPLOYMENT_ID }),
      ...(sent.LOCK_WAIT_SECONDS === undefined ? {} : { lockWaitSeconds: Number(sent.LOCK_WAIT_SECONDS) }),
    });
    return runShellScript(withExports(text, env), { cwd: host.dir, workDir, timeoutMs });
  };
}

/** The SSH hosts of a targets block as local hosts, serving `serves`; their key in the simulated Secrets Manager. */
async function seedSshHosts(
  world: SimulatedWorld,
  svc: VmServiceConfig,
  targets: ReturnType<typeof targetBlocks>[number],
  group: RehearsalHost['group'],
  serves: DemoArtifact | undefined,
  privateKey: string | undefined,
): Promise<RehearsalHost[]> {
  if (privateKey === undefined) {
    throw new Error(`${svc.name}: SSH hosts are rehearsed over a real sshd: start one (startRehearsalSshd, or deployer simulate --ssh) and give its key`);
  }
  const hosts: RehearsalHost[] = [];
  for (const entry of targets.hosts ?? []) {
    const port = Number(entry.vars?.PORT ?? svc.configFile?.vars.PORT);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`${svc.name}: host ${entry.name} needs vars.PORT, the port its app listens on in the rehearsal`);
    const installDir = entry.installDir ?? svc.install.dir;
    const host = new LocalHost({
      name: entry.name,
      dir: path.dirname(installDir),
      installDir,
      port,
      defaults: { serviceName: 'demo', ...demoServiceSettings(port), ...REHEARSAL_HEALTH },
    });
    await installBefore(host, serves);
    world.secretsManager.putSecret(entry.privateKeySecret ?? svc.ssh?.privateKeySecret ?? '', privateKey);
    const targetId = entry.target?.id;
    if (targetId?.startsWith('i-') === true) world.vm.addInstance({ instanceId: targetId, host, managed: false });
    else world.vm.allowHttp(port);
    hosts.push({ instanceId: entry.name, group, host, before: serves?.version ?? '', ...(targetId === undefined ? {} : { targetId }) });
  }
  return hosts;
}

/** Install the release `host` serves before the rehearsal (none: a new host, nothing installed). */
async function installBefore(host: LocalHost, serves: DemoArtifact | undefined): Promise<void> {
  if (serves === undefined) return;
  const installed = await host.release({ version: serves.version, artifactUrl: serves.url, artifactSha256: serves.sha256 });
  if (installed.verdict.status !== 'SUCCEEDED') throw new Error(`${host.name}: the release before the rehearsal did not install: ${installed.verdict.message}`);
}

/** `i-0…01`, … for hosts found by tags. */
function tagInstanceId(group: number, index: number): string {
  return `i-0${String(group)}${String(index).padStart(15, '0')}`;
}

/** Blue live, green idle: both target groups with their hosts registered, the listeners forwarding to them. */
function seedBlueGreenLoadBalancer(world: SimulatedWorld, svc: Extract<VmServiceConfig, { strategy: 'blue-green' }>, hosts: readonly RehearsalHost[]): void {
  const healthCheckPath = svc.healthCheck?.url === undefined ? '/health' : new URL(svc.healthCheck.url).pathname;
  const group = (targets: typeof svc.blue): VmTargetGroupOptions => ({
    arn: targets.targetGroup,
    healthCheckPath,
    ...(targets.targetPort === undefined ? {} : { port: targets.targetPort }),
  });
  const check = svc.verification.healthCheck;
  world.vm.addLoadBalancer(
    {
      listenerArn: svc.loadBalancer.listener,
      liveTargetGroupArn: svc.blue.targetGroup,
      idleTargetGroupArn: svc.green.targetGroup,
      ...(check?.url === undefined ? {} : { url: check.url }),
      ...(svc.loadBalancer.testListener === undefined ? {} : { testListenerArn: svc.loadBalancer.testListener }),
      ...(check?.testUrl === undefined ? {} : { testUrl: check.testUrl }),
    },
    [group(svc.blue), group(svc.green)],
  );
  for (const colour of ['blue', 'green'] as const) {
    world.vm.registerTargets(
      svc[colour].targetGroup,
      hosts.filter((h) => h.group === colour).flatMap((h) => (svc[colour].hosts === undefined ? [h.instanceId] : h.targetId === undefined ? [] : [h.targetId])),
    );
  }
}

/** Seed the hosts and artifacts of `svc` into `world`; every host serves `beforeVersion` when it returns. */
export async function seedVmHosts(world: SimulatedWorld, svc: VmServiceConfig, options: VmRehearsalHostOptions = {}): Promise<VmRehearsalHosts> {
  const root = await mkdtemp(path.join(os.tmpdir(), `deployer-rehearsal-${svc.name}-`));
  const beforeVersion = options.beforeVersion ?? '1.0.0';
  const version = options.version ?? '2.0.0';
  const before = await buildDemoArtifact({ version: beforeVersion, dir: path.join(root, 'artifacts') });
  const idle =
    svc.strategy !== 'blue-green'
      ? before
      : options.idleVersion === null
        ? undefined
        : await buildDemoArtifact({ version: options.idleVersion ?? '0.9.0', dir: path.join(root, 'artifacts') });
  const deployed =
    options.artifactPath === undefined
      ? await buildDemoArtifact({ version, dir: path.join(root, 'artifacts'), health: options.health ?? 'up' })
      : undefined;
  const hosts: RehearsalHost[] = [];
  const blocks = svc.strategy === 'blue-green' ? (['blue', 'green'] as const) : (['fleet'] as const);
  for (const [groupIndex, group] of blocks.entries()) {
    const targets = targetBlocks(svc)[groupIndex]!;
    if (targets.hosts !== undefined) {
      hosts.push(...(await seedSshHosts(world, svc, targets, group, group === 'green' ? idle : before, options.sshPrivateKey)));
    }
    const ids = targets.hosts !== undefined ? [] : (targets.instanceIds ?? Array.from({ length: HOSTS_PER_TAG_GROUP }, (_, i) => tagInstanceId(groupIndex + 1, i + 1)));
    for (const instanceId of ids) {
      const port = await freePort();
      const host = new LocalHost({
        name: instanceId,
        dir: path.join(root, instanceId),
        port,
        defaults: { serviceName: 'demo', ...demoServiceSettings(port), ...REHEARSAL_HEALTH },
      });
      const serves = group === 'green' ? idle : before;
      await installBefore(host, serves);
      world.vm.addInstance({ instanceId, tags: { ...targets.ec2Tags }, host, runner: hostRunner(host) });
      hosts.push({ instanceId, group, host, before: serves?.version ?? '' });
    }
    if (targets.targetGroup !== undefined && svc.strategy !== 'blue-green') {
      // The fleet serves behind its target group before the deployment, as it does in an account:
      // each host is taken out before its stop and put back after its health check.
      world.vm.addTargetGroup({ arn: targets.targetGroup, ...(targets.targetPort === undefined ? {} : { port: targets.targetPort }) });
      world.vm.registerTargets(targets.targetGroup, ids);
    }
  }
  if (svc.strategy === 'blue-green') seedBlueGreenLoadBalancer(world, svc, hosts);
  // The service's alarms exist, in OK, as in an account where it runs.
  for (const alarm of svc.alarms) world.cloudwatch.createAlarm(alarm);
  const bytes = options.artifactPath === undefined ? await readFile(deployed!.path) : await readFile(options.artifactPath);
  const sha256 = (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');
  const pattern = svc.artifacts.pattern;
  const suffix = pattern.endsWith('.tgz') ? '.tgz' : '.tar.gz';
  const key = `${svc.artifacts.prefix}${svc.name}-${version}${suffix}`;
  world.s3.putObject(svc.artifacts.bucket, key, bytes);
  world.s3.putObject(svc.artifacts.bucket, `${key}.sha256`, `${sha256}  ${path.basename(key)}\n`);
  return {
    hosts,
    artifact: { uri: `s3://${svc.artifacts.bucket}/${key}`, version, sha256 },
    before,
    cleanup: async () => {
      await Promise.all(hosts.map((h) => h.host.stopService()));
      await rm(root, { recursive: true, force: true });
      // SSH hosts live where the config put them.
      await Promise.all(hosts.filter((h) => !h.host.dir.startsWith(root + path.sep)).map((h) => rm(h.host.dir, { recursive: true, force: true })));
    },
  };
}
