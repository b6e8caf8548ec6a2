/**
 * What a deployment of a VM service carries from the config: the part of
 * `VmDeployment` that does not depend on the artifact or the execution
 * (the VM counterpart of `serviceSettings` for ECS). ValidateInput adds the
 * artifact, version, checksum and execution to it.
 */
import type { HealthCheckConfig, TrafficVerificationConfig } from './config.ts';
import type { VerificationSettings } from './deployment.ts';
import type { VmServiceConfig, VmTargetsConfig } from './vm-config.ts';
import type { SshHost, VmDeployment, VmReleaseSettings, VmTargets } from './vm-deployment.ts';

/** The part of a VM deployment that comes from the service's config. */
export type VmServiceSettings = Pick<
  VmDeployment,
  | 'service'
  | 'kind'
  | 'strategy'
  | 'release'
  | 'targets'
  | 'blue'
  | 'green'
  | 'loadBalancer'
  | 'batches'
  | 'maxErrors'
  | 'unreachableHosts'
  | 'canaryBakeSeconds'
  | 'canaryApproval'
  | 'steps'
  | 'verification'
  | 'bakeSeconds'
  | 'batchTimeoutSeconds'
  | 'ssh'
  | 'keepWarmSeconds'
  | 'approvalTimeoutSeconds'
>;

/** Shell-quoted for `bash -c` (the unit name is checked by the release script's pattern, so this is belt and braces). */
function quoted(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The release script's settings: the service's own, with systemd commands for the unit when none are given. */
function releaseSettings(svc: VmServiceConfig): VmReleaseSettings {
  const control = svc.serviceControl;
  const unit = quoted(control.name ?? svc.name);
  const systemd = control.start === undefined;
  const release: VmReleaseSettings = {
    installDir: svc.install.dir,
    keepReleases: svc.install.keepReleases,
    minFreeMb: svc.install.minFreeMb,
    startCommand: control.start ?? `systemctl start ${unit}`,
    stopCommand: control.stop ?? `systemctl stop ${unit}`,
    useSudo: control.sudo,
    serviceTimeoutSeconds: control.timeout,
    downloadTimeoutSeconds: svc.artifacts.downloadTimeout,
    healthRetries: svc.healthCheck?.retries ?? 10,
    healthIntervalSeconds: svc.healthCheck?.interval ?? 3,
    smokeCommands: svc.smokeTests,
    configVars: svc.configFile?.vars ?? {},
  };
  if (svc.install.owner !== undefined) release.owner = svc.install.owner;
  const status = control.status ?? (systemd ? `systemctl is-active --quiet ${unit}` : undefined);
  if (status !== undefined) release.statusCommand = status;
  if (svc.healthCheck !== undefined) {
    release.healthUrl = svc.healthCheck.url;
    if (svc.healthCheck.expect !== undefined) release.healthExpect = svc.healthCheck.expect;
  }
  if (svc.configFile !== undefined) {
    release.configTemplate = svc.configFile.template;
    release.configTarget = svc.configFile.target;
  }
  return release;
}

/** A targets block as the VM handlers read it: executor chosen, each SSH host's user and key resolved. */
function targetsOf(svc: VmServiceConfig, block: VmTargetsConfig): VmTargets {
  const targets: VmTargets = { executor: block.hosts === undefined ? 'ssm' : 'ssh' };
  if (block.ec2Tags !== undefined) targets.ec2Tags = block.ec2Tags;
  if (block.instanceIds !== undefined) targets.instanceIds = block.instanceIds;
  if (block.hosts !== undefined) {
    targets.hosts = block.hosts.map((host): SshHost => {
      // Validation made sure each host has a user and a key, its own or the ssh block's.
      const resolved: SshHost = {
        name: host.name,
        address: host.address,
        port: host.port,
        user: host.user ?? svc.ssh?.user ?? '',
        hostKey: host.hostKey.trim(),
        privateKeySecret: host.privateKeySecret ?? svc.ssh?.privateKeySecret ?? '',
      };
      if (host.target !== undefined) {
        resolved.target = host.target.port === undefined ? { id: host.target.id } : { id: host.target.id, port: host.target.port };
      }
      if (host.installDir !== undefined) resolved.installDir = host.installDir;
      if (host.healthUrl !== undefined) resolved.healthUrl = host.healthUrl;
      if (host.vars !== undefined) resolved.vars = host.vars;
      return resolved;
    });
  }
  if (block.targetGroup !== undefined) targets.targetGroupArn = block.targetGroup;
  if (block.targetPort !== undefined) targets.targetPort = block.targetPort;
  return targets;
}

function verificationOf(
  svc: VmServiceConfig,
  check: (HealthCheckConfig & { testUrl?: string }) | undefined,
  comparison?: TrafficVerificationConfig & { healthCheck?: unknown },
): VmDeployment['verification'] {
  const verification: VerificationSettings = {
    alarms: svc.alarms,
    preexistingAlarms: svc.verification.preexistingAlarms,
    intervalSeconds: svc.verifyIntervalSeconds,
  };
  if (check !== undefined) {
    const { testUrl, ...healthCheck } = check;
    verification.healthCheck = healthCheck;
    if (testUrl !== undefined) verification.testUrl = testUrl;
  }
  if (comparison !== undefined) {
    const { maxErrorRateIncrease, maxLatencyRatio, minRequests, maxExtraBake } = comparison;
    verification.comparison = { maxErrorRateIncrease, maxLatencyRatio, minRequests, maxExtraBakeSeconds: maxExtraBake };
  }
  return verification;
}

/** What a deployment of the VM service `svc` carries from the config (the state machine reads it from `$.deployment`). */
export function vmServiceSettings(svc: VmServiceConfig): VmServiceSettings {
  const common = {
    service: svc.name,
    kind: 'vm' as const,
    strategy: svc.strategy,
    release: releaseSettings(svc),
    batches: svc.batches,
    maxErrors: svc.maxErrors,
    unreachableHosts: svc.unreachableHosts,
    batchTimeoutSeconds: svc.batchTimeout,
    approvalTimeoutSeconds: svc.approvalTimeout,
  };
  const ssh =
    svc.ssh === undefined ? {} : { ssh: { connectTimeoutSeconds: svc.ssh.connectTimeout, commandTimeoutSeconds: svc.ssh.commandTimeout ?? svc.batchTimeout } };
  switch (svc.strategy) {
    case 'rolling':
    case 'canary': {
      const canary = svc.strategy === 'canary' ? svc.canary : undefined;
      return {
        ...common,
        ...ssh,
        targets: targetsOf(svc, svc.targets),
        canaryBakeSeconds: canary?.bake ?? 0,
        canaryApproval: canary?.approval ?? false,
        steps: [],
        verification: verificationOf(svc, svc.verification.healthCheck),
        bakeSeconds: svc.bake,
        keepWarmSeconds: 0,
      };
    }
    case 'blue-green': {
      const loadBalancer: NonNullable<VmDeployment['loadBalancer']> = { listenerArn: svc.loadBalancer.listener };
      if (svc.loadBalancer.testListener !== undefined) loadBalancer.testListenerArn = svc.loadBalancer.testListener;
      return {
        ...common,
        ...ssh,
        blue: targetsOf(svc, svc.blue),
        green: targetsOf(svc, svc.green),
        loadBalancer,
        canaryBakeSeconds: 0,
        canaryApproval: false,
        steps: svc.steps,
        verification: verificationOf(svc, svc.verification.healthCheck, svc.verification),
        bakeSeconds: 0,
        keepWarmSeconds: svc.keepWarm,
      };
    }
  }
}
