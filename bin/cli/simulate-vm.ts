/**
 * `deployer simulate <vm-service>`: rehearse a VM deployment locally. The
 * service's hosts are simulated instances, each a local host (a directory
 * and a port) serving the demo app's 1.0.0 (blue-green: blue's, live; green's
 * idle on 0.9.0, see `seedVmHosts`); the artifact (the demo app's
 * 2.0.0, or `--artifact PATH`) is in the simulated S3 with its checksum; the
 * real VM state machine and handlers deploy it with the real release script.
 * No root, no sshd, no network.
 *
 * With `--ssh` (implied when the service lists SSH `hosts`), the hosts are
 * SSH hosts instead, behind a loopback OpenSSH sshd started for the run with
 * a generated host key (pinned in each host's entry) and client key (in the
 * simulated Secrets Manager): the SSH functions reach each host over real
 * SSH (see `withSshHosts`). That needs OpenSSH's server installed, not root.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readLedger } from '../../lambdas/vm/host-ledger.ts';
import { targetBlocks } from '../../lambdas/vm/vm-services.ts';
import type { VmServiceConfig } from '../../lambdas/shared/vm-config.ts';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { deploymentOutcome } from '../../lambdas/shared/outcome.ts';
import { stateMachinePath, stoppableStateNames, taskStateNames, type AslDefinition } from '../../simulator/asl.ts';
import { allStates } from '../../simulator/local-state-machine.ts';
import { Rehearsal } from '../../simulator/rehearsal.ts';
import { freePort } from '../../simulator/vm/free-port.ts';
import { sshdAvailability } from '../../simulator/vm/loopback-sshd.ts';
import { seedVmHosts } from '../../simulator/vm/rehearsal-hosts.ts';
import type { LocalHost } from '../../simulator/vm/local-host.ts';
import { startRehearsalSshd, type RehearsalSshd } from '../../simulator/vm/rehearsal-sshd.ts';
import { sshHostCount, withSshHosts } from '../../simulator/vm/ssh-hosts-config.ts';
import type { DeployerConfig } from '../../lambdas/shared/config.ts';
import { approvalFlags } from './approval-flags.ts';
import { EXIT, UsageError } from './exit-codes.ts';

export interface SimulateVmOptions {
  artifact?: string;
  approve?: boolean;
  reject?: boolean;
  unhealthy?: boolean;
  failHost?: string;
  failAt?: string;
  stopAt?: string;
  json?: boolean;
  verbose?: boolean;
  /** The hosts are SSH hosts behind a loopback sshd (implied when the service lists SSH hosts). */
  ssh?: boolean;
}

/** SSH hosts for the rehearsal: a loopback sshd, and the config with the service's hosts behind it. */
interface SshRehearsal {
  sshd: RehearsalSshd;
  root: string;
  config: DeployerConfig;
  svc: VmServiceConfig;
}

async function startSshRehearsal(config: DeployerConfig, svc: VmServiceConfig): Promise<SshRehearsal> {
  const availability = sshdAvailability();
  if (!availability.available) throw new UsageError(`--ssh: SSH hosts are rehearsed over a loopback OpenSSH sshd, and ${availability.reason}`);
  const sshd = await startRehearsalSshd();
  const root = await mkdtemp(path.join(os.tmpdir(), `deployer-ssh-${svc.name}-`));
  try {
    const ports: number[] = [];
    for (let i = sshHostCount(config, [svc.name]); i > 0; i -= 1) ports.push(await freePort());
    const converted = withSshHosts(config, [svc.name], sshd, { root, ports }).config;
    return { sshd, root, config: converted, svc: converted.vm.find((s) => s.name === svc.name)! };
  } catch (error) {
    await sshd.stop();
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** `portal-blue 100%, portal-green 0%`: a listener's forward weights as shares of its traffic. */
function forwardsTo(weights: Record<string, number>): string {
  const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
  return Object.entries(weights)
    .map(([arn, w]) => `${arn.split('/').at(-2) ?? arn} ${total === 0 ? 0 : Math.round((100 * w) / total)}%`)
    .join(', ');
}

/**
 * Make an SSH host's release script fail there, as `failHost` does for an
 * SSM instance: nothing stands between the SSH function and the host, so the
 * host itself is broken: its script's lock file is a directory, which the
 * script cannot open (it fails at preflight, before changing anything).
 */
function breakSshHost(host: LocalHost): void {
  const lock = path.join(host.installDir, '.deployer', 'lock');
  rmSync(lock, { recursive: true, force: true });
  mkdirSync(lock, { recursive: true });
}

/** Rehearse a deployment of the VM service `svc`; returns the exit code. */
export async function simulateVm(givenConfig: DeployerConfig, givenSvc: VmServiceConfig, options: SimulateVmOptions): Promise<number> {
  const ssh = options.ssh === true || targetBlocks(givenSvc).some((t) => t.hosts !== undefined);
  const hasApproval = givenSvc.strategy === 'canary' ? givenSvc.canary.approval : givenSvc.strategy === 'blue-green' && givenSvc.steps.some((s) => s.kind === 'approval');
  const approvals = approvalFlags(options, hasApproval, `${givenSvc.name} has no approval to reject; add approval: true to its canary (or {approval: true} to its steps)`);
  const file = `vm-${givenSvc.strategy}.asl.json`;
  // The Task and Wait states of the batches' Map stop as the others do.
  const definition = JSON.parse(readFileSync(stateMachinePath(file), 'utf8')) as AslDefinition;
  const inner = Object.entries(allStates(definition.States))
    .filter(([name, state]) => definition.States[name] === undefined && (state.Type === 'Task' || state.Type === 'Wait'))
    .map(([name]) => name);
  const states = [...stoppableStateNames(file), ...inner];
  const tasks = [...taskStateNames(file), ...inner.filter((name) => allStates(definition.States)[name]?.Type === 'Task')];
  if (options.failAt !== undefined && !tasks.includes(options.failAt)) {
    throw new UsageError(`--fail-at: '${options.failAt}' is not a Task state of ${file}; one of: ${tasks.join(', ')}`);
  }
  if (options.stopAt !== undefined && !states.includes(options.stopAt)) {
    throw new UsageError(`--stop-at: '${options.stopAt}' is not a state of ${file}; one of: ${states.join(', ')}`);
  }
  const sshRehearsal = ssh ? await startSshRehearsal(givenConfig, givenSvc) : undefined;
  try {
    const config = sshRehearsal?.config ?? givenConfig;
    const svc = sshRehearsal?.svc ?? givenSvc;
    const session = await Rehearsal.create({
      config,
      verbose: options.verbose === true,
      world: { account: '123456789012', region: 'us-east-1' },
      approvals,
    });
    sshRehearsal?.sshd.bind(session);
    const seeded = await seedVmHosts(session.world, svc, {
      ...(sshRehearsal === undefined ? {} : { sshPrivateKey: sshRehearsal.sshd.privateKey }),
      ...(options.artifact === undefined ? {} : { artifactPath: options.artifact }),
      ...(options.unhealthy === true ? { health: 'down' as const } : {}),
    }).catch((error: unknown) => {
      // The hosts could not be set up (an unreadable --artifact): nothing ran, but the session must not linger.
      session.close();
      throw error;
    });
    // Blue-green: the forward weights of its listeners, before and after.
    const listenerArns = svc.strategy === 'blue-green' ? [svc.loadBalancer.listener, ...(svc.loadBalancer.testListener === undefined ? [] : [svc.loadBalancer.testListener])] : [];
    const weights = (): Record<string, Record<string, number>> =>
      Object.fromEntries(listenerArns.map((arn) => [arn, session.world.elbv2.weightsOf(arn) ?? {}]));
    const listenersBefore = weights();
    try {
      if (options.failHost !== undefined) {
        const host = seeded.hosts.find((h) => h.instanceId === options.failHost);
        if (host === undefined) throw new UsageError(`--fail-host: '${options.failHost}' is not a host of ${svc.name}; hosts: ${seeded.hosts.map((h) => h.instanceId).join(', ')}`);
        if (ssh) breakSshHost(host.host);
        else session.world.vm.failHost(host.instanceId);
      }
      // That state's AWS calls fail (AccessDenied), as with ECS services.
      if (options.failAt !== undefined) session.world.failCalls({ stateName: options.failAt });
      const running = session.startExecution(
        { service: svc.name, artifact: seeded.artifact.uri, startedBy: 'deployer simulate' },
        undefined,
        options.stopAt === undefined ? {} : { stopAt: options.stopAt },
      );
      const record = await running.done;
      await session.settle();
      await session.world.vm.settled();
      const ledger = await readLedger(record.name);
      const hosts = seeded.hosts.map((h) => {
        const entry = ledger.find((l) => l.host === h.instanceId);
        return {
          host: h.instanceId,
          group: h.group,
          releaseBefore: h.before,
          releaseAfter: h.host.current() ?? null,
          phase: entry?.phase ?? null,
          status: entry?.status ?? 'untouched',
        };
      });
      const status = deploymentOutcome({ status: record.status, error: record.error?.error }) ?? record.status;
      const report = {
        service: svc.name,
        strategy: svc.strategy,
        executor: ssh ? 'ssh' : 'ssm',
        artifact: seeded.artifact,
        status,
        ...(record.error === undefined ? {} : { error: record.error }),
        hosts,
        ...(listenerArns.length === 0 ? {} : { listeners: { before: listenersBefore, after: weights() } }),
        transitions: record.transitions,
        historyEvents: record.historyEvents,
        maxPayloadBytes: record.maxPayloadBytes,
        virtualSeconds: Math.round(((record.stoppedAt ?? record.startedAt) - record.startedAt) / 1000),
      };
      if (options.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        process.stdout.write(`${svc.name} (vm ${svc.strategy}${ssh ? ', over SSH' : ''}): ${status}${record.error === undefined ? '' : ` - ${record.error.error}: ${record.error.cause}`}\n`);
        for (const h of hosts) process.stdout.write(`  ${h.host}${h.group === 'fleet' ? '' : ` (${h.group})`}  ${h.releaseBefore} -> ${h.releaseAfter ?? '-'}  (${h.status}${h.phase === null ? '' : `, ${h.phase}`})\n`);
        for (const arn of listenerArns) process.stdout.write(`  listener ${arn.slice(arn.lastIndexOf('/') + 1)}: ${forwardsTo(listenersBefore[arn] ?? {})} -> ${forwardsTo(report.listeners?.after[arn] ?? {})}\n`);
        process.stdout.write(`  ${report.transitions} transitions, ${report.historyEvents} history events, about ${report.virtualSeconds} s in AWS\n`);
      }
      return status === 'SUCCEEDED' ? EXIT.ok : EXIT.deploymentFailed;
    } finally {
      session.close();
      await seeded.cleanup();
    }
  } finally {
    if (sshRehearsal !== undefined) {
      await sshRehearsal.sshd.stop();
      await rm(sshRehearsal.root, { recursive: true, force: true });
    }
  }
}
