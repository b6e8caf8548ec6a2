/**
 * The release script's inputs for one host: the deployment's release
 * settings, the host's own values over them (install directory, health URL,
 * variables: several hosts may share one machine), and the run's mode.
 * Everything goes through `parseReleaseInput`, so a bad value is refused
 * with its field's name before any host is touched.
 */
import { InvalidInput } from '../shared/errors.ts';
import type { SshHost, VmDeployment, VmTargets } from '../shared/vm-deployment.ts';
import type { LedgerItem } from './host-ledger.ts';
import { parseReleaseInput, releaseEnvironment } from './release-environment.ts';

/** What one run does: deploy the artifact, or return the host to `rollbackTo`. */
export type RunMode =
  | { mode: 'deploy'; artifactUrl: string }
  /**
   * `lockWaitSeconds`: how long the script waits for a run still ending on the host (a stopped deployment's).
   * `rollbackOf`: this execution's name, when the ledger does not know what the host served before (stopped
   * before a poll saw it, or a host that served nothing): the host's journal says what the execution changed there.
   */
  | { mode: 'rollback'; rollbackTo?: string; rollbackOf?: string; lockWaitSeconds?: number };

/**
 * How long a rollback's script waits for another run on the host to end: a
 * deployment stopped mid-batch leaves its run going (cancelled, it restores
 * the release it replaced, which takes its health checks). Half the batch
 * timeout, so the rollback itself keeps the other half.
 */
function rollbackLockWaitSeconds(deployment: VmDeployment): number {
  return Math.floor(deployment.batchTimeoutSeconds / 2);
}

/** The run that returns `item` to the release it served before this execution (SSM and SSH alike). */
export function rollbackRunOf(deployment: VmDeployment, item: LedgerItem): RunMode {
  return {
    mode: 'rollback',
    lockWaitSeconds: rollbackLockWaitSeconds(deployment),
    // Without the release it served, `previous` is right only if this execution's deploy switched the host:
    // the host's journal says whether it did, and from what (a deploy stopped before its switch, or that
    // switched back itself, or a host already on the release, is left as it is).
    ...(item.releaseBefore === undefined ? { rollbackOf: deployment.executionName } : { rollbackTo: item.releaseBefore }),
  };
}

/** The targets block of a host's group. */
export function targetsOf(deployment: VmDeployment, group: LedgerItem['group']): VmTargets {
  const targets = group === 'fleet' ? deployment.targets : deployment[group];
  if (targets === undefined) {
    throw new InvalidInput(`deployment.${group === 'fleet' ? 'targets' : group}: required for a ${deployment.strategy} deployment`);
  }
  return targets;
}

/** The SSH host of the config named `name`. */
export function sshHostOf(targets: VmTargets, name: string): SshHost {
  const host = targets.hosts?.find((h) => h.name === name);
  if (host === undefined) throw new InvalidInput(`host ${name} is in the ledger but not in the deployment's targets.hosts`);
  return host;
}

/** `http://{address}:8080/health` for one host. Unknown placeholders are left as written (and refused by validation). */
export function renderHostTemplate(template: string, fields: Readonly<Record<string, string | number | undefined>>): string {
  return template.replace(/\{(address|port|name|instanceId|privateIp)\}/g, (whole, key: string) => {
    const value = fields[key];
    return value === undefined ? whole : String(value);
  });
}

/** The script's environment for `item` (a host of `deployment`). @throws InvalidInput naming the bad field */
export function hostReleaseEnvironment(deployment: VmDeployment, item: LedgerItem, run: RunMode): Record<string, string> {
  const { release } = deployment;
  const ssh = item.executor === 'ssh' ? sshHostOf(targetsOf(deployment, item.group), item.host) : undefined;
  const address = ssh?.address ?? item.address;
  const fields = {
    address,
    privateIp: item.address,
    port: ssh?.port,
    name: item.host,
    instanceId: item.executor === 'ssm' ? item.host : ssh?.target?.id,
  };
  const healthTemplate = ssh?.healthUrl ?? release.healthUrl;
  const input = {
    mode: run.mode,
    serviceName: release.serviceName ?? deployment.service,
    installDir: ssh?.installDir ?? release.installDir,
    keepReleases: release.keepReleases,
    startCommand: release.startCommand,
    stopCommand: release.stopCommand,
    useSudo: release.useSudo,
    minFreeMb: release.minFreeMb,
    healthRetries: release.healthRetries,
    healthIntervalSeconds: release.healthIntervalSeconds,
    smokeCommands: release.smokeCommands,
    configVars: { ...release.configVars, ...ssh?.vars },
    serviceTimeoutSeconds: release.serviceTimeoutSeconds,
    downloadTimeoutSeconds: release.downloadTimeoutSeconds,
    ...(release.statusCommand === undefined ? {} : { statusCommand: release.statusCommand }),
    ...(release.owner === undefined ? {} : { owner: release.owner }),
    ...(healthTemplate === undefined ? {} : { healthUrl: renderHostTemplate(healthTemplate, fields) }),
    ...(release.healthExpect === undefined ? {} : { healthExpect: release.healthExpect }),
    ...(release.configTemplate === undefined ? {} : { configTemplate: release.configTemplate }),
    ...(release.configTarget === undefined ? {} : { configTarget: release.configTarget }),
    ...(run.mode === 'deploy'
      ? { version: deployment.artifact.version, artifactUrl: run.artifactUrl, artifactSha256: deployment.artifact.sha256, deploymentId: deployment.executionName }
      : {
          ...(run.rollbackTo === undefined ? {} : { rollbackTo: run.rollbackTo }),
          ...(run.rollbackOf === undefined ? {} : { rollbackOf: run.rollbackOf }),
          ...(run.lockWaitSeconds === undefined ? {} : { lockWaitSeconds: run.lockWaitSeconds }),
        }),
  };
  return releaseEnvironment(parseReleaseInput(input, `host ${item.host}`));
}
