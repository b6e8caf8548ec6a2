/**
 * The simulated virtual machines of the world: EC2 instances (and
 * on-premises managed instances, `mi-…`) as EC2 DescribeInstances, SSM
 * (DescribeInstanceInformation, Run Command) and ELBv2 instance targets see
 * them. Each instance may be backed by a {@link LocalHost}: a directory and
 * port on this machine where the commands SSM sends run for real.
 *
 * Faults a test or a rehearsal injects per instance:
 * - `setOffline`: the SSM agent stops answering (PingStatus ConnectionLost);
 *   commands sent to it wait for delivery until their TimeoutSeconds, then
 *   end DeliveryTimedOut (or run, if it comes back online before);
 * - `failHost`: commands reach the host but fail there (exit 1) without
 *   touching it;
 * - `hangHost`: commands start and never finish: they end ExecutionTimedOut
 *   after their executionTimeout;
 * - `slowHost`: commands take this many more virtual seconds.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LocalHost } from '../vm/local-host.ts';
import { hexFrom } from './random.ts';

/** EC2 instance states the simulation models. */
export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** What happens to commands sent to an instance. */
export type HostFault = { kind: 'fail'; message: string } | { kind: 'hang' } | { kind: 'slow'; seconds: number };

/** How a command's text is carried out on an instance (the default: bash, for real, in the host's directory). */
export interface CommandRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Killed at its execution timeout. */
  timedOut: boolean;
  /** Real time it took, ms. */
  durationMs: number;
}

/** What an instance runs a command with: its text, a real-time limit, and the scratch directory of that command. */
export type CommandRunner = (text: string, options: { timeoutMs: number; workDir: string }) => Promise<CommandRun>;

/** One simulated instance. */
export interface SimInstance {
  readonly instanceId: string;
  readonly privateIp: string;
  readonly tags: Record<string, string>;
  state: InstanceState;
  /** Registered with SSM (has a running, registered agent). */
  managed: boolean;
  /** The SSM agent answers (PingStatus Online); false: ConnectionLost. */
  online: boolean;
  /** Virtual time of the agent's last ping, epoch ms. */
  lastPingAt: number;
  readonly launchedAt: number;
  readonly availabilityZone: string;
  /** The directory and port commands run in, when backed by a local host. */
  readonly host: LocalHost | undefined;
  /** Where commands of an instance without a host run. */
  readonly workDir: string;
  /** Overrides how commands run (a modelled fleet); default: bash, for real. */
  readonly runner: CommandRunner | undefined;
  fault: HostFault | undefined;
  /** Overrides whether the instance passes its target group health checks (default: see {@link SimFleet.passesHealthCheck}). */
  healthOverride: boolean | undefined;
}

/** An instance to add. */
export interface AddInstanceOptions {
  /** `i-` + 17 hex digits (EC2) or `mi-` + 17 hex digits (on-premises); default derived from the count and the host name. */
  instanceId?: string;
  tags?: Record<string, string>;
  /** The local host its commands run on. */
  host?: LocalHost;
  /** The SSM agent answers (default true). */
  online?: boolean;
  /** Registered with SSM (default true); false: an EC2 instance without the agent. */
  managed?: boolean;
  /** Default 10.0.<n>.<m>, derived from the instance's position. */
  privateIp?: string;
  state?: InstanceState;
  /** Run commands with this instead of bash (e.g. a modelled 1,000-host fleet). */
  runner?: CommandRunner;
}

const INSTANCE_ID = /^(i|mi)-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** Listeners told when an instance's agent comes back online (SSM delivers what waits for it). */
export type OnlineListener = (instance: SimInstance, at: number) => void;

/** The instances of the world. */
export class SimFleet {
  private readonly instances = new Map<string, SimInstance>();
  private readonly onlineListeners: OnlineListener[] = [];
  private scratch: string | undefined;

  public constructor(
    private readonly now: () => number,
    private readonly region: string,
  ) {}

  /** Add an instance; returns it. @throws Error on a malformed or duplicate instance ID */
  public addInstance(options: AddInstanceOptions = {}): SimInstance {
    const index = this.instances.size;
    const instanceId = options.instanceId ?? `i-${hexFrom(17, 'instance', index, options.host?.name ?? '')}`;
    if (!INSTANCE_ID.test(instanceId)) {
      throw new Error(`addInstance: '${instanceId}' is not an instance ID (i-… or mi-… with 8 or 17 hex digits)`);
    }
    if (this.instances.has(instanceId)) throw new Error(`addInstance: ${instanceId} exists already`);
    const at = this.now();
    const instance: SimInstance = {
      instanceId,
      privateIp: options.privateIp ?? `10.0.${1 + Math.floor(index / 250)}.${10 + (index % 250)}`,
      tags: { ...options.tags },
      state: options.state ?? 'running',
      managed: options.managed ?? true,
      online: options.online ?? true,
      lastPingAt: at,
      launchedAt: at - 7 * 86_400_000,
      availabilityZone: `${this.region}${'abc'[index % 3]}`,
      host: options.host,
      workDir: options.host?.dir ?? path.join(this.scratchDir(), instanceId),
      runner: options.runner,
      fault: undefined,
      healthOverride: undefined,
    };
    this.instances.set(instanceId, instance);
    return instance;
  }

  /** Every instance, in the order added. */
  public all(): SimInstance[] {
    return [...this.instances.values()];
  }

  /** The instance with this ID, if any. */
  public get(instanceId: string): SimInstance | undefined {
    return this.instances.get(instanceId);
  }

  /** The instance a local host backs, if any. */
  public byHost(hostName: string): SimInstance | undefined {
    return this.all().find((i) => i.host?.name === hostName);
  }

  /** The agent stops answering: PingStatus ConnectionLost; commands wait for delivery. */
  public setOffline(instanceId: string): void {
    const instance = this.must(instanceId);
    if (instance.online) instance.lastPingAt = this.now();
    instance.online = false;
  }

  /** The agent answers again; commands waiting for delivery run now. */
  public setOnline(instanceId: string): void {
    const instance = this.must(instanceId);
    const at = this.now();
    instance.online = true;
    instance.lastPingAt = at;
    for (const listener of this.onlineListeners) listener(instance, at);
  }

  /** Commands reach the host and fail there (exit 1, `message` on stderr) without running. */
  public failHost(instanceId: string, message = 'simulated failure of the host'): void {
    this.must(instanceId).fault = { kind: 'fail', message };
  }

  /** Commands start and never finish (ExecutionTimedOut after their executionTimeout). */
  public hangHost(instanceId: string): void {
    this.must(instanceId).fault = { kind: 'hang' };
  }

  /** Commands take `seconds` more virtual seconds than they really take. */
  public slowHost(instanceId: string, seconds: number): void {
    if (!(seconds > 0)) throw new Error('slowHost: seconds must be positive');
    this.must(instanceId).fault = { kind: 'slow', seconds };
  }

  /** Forget the instance's fault. */
  public healHost(instanceId: string): void {
    this.must(instanceId).fault = undefined;
  }

  /** Set the instance's EC2 state (`stopped`, `terminated`...); a stopped or terminated instance's agent is offline. */
  public setState(instanceId: string, state: InstanceState): void {
    const instance = this.must(instanceId);
    instance.state = state;
    if (state !== 'running' && instance.online) this.setOffline(instanceId);
  }

  /** Force the instance's target health: true passes, false fails, undefined: follow the host (the default). */
  public setTargetHealth(instanceId: string, passes: boolean | undefined): void {
    this.must(instanceId).healthOverride = passes;
  }

  /**
   * Whether the instance answers its target group's health checks now:
   * running, not failing, and — when a local host backs it — with a current
   * release and no command running on it (between the stop and the start of
   * a release the service is down). Instances without a host pass.
   */
  public passesHealthCheck(instance: SimInstance, busy: boolean): boolean {
    if (instance.healthOverride !== undefined) return instance.healthOverride;
    if (instance.state !== 'running' || instance.fault?.kind === 'fail' || busy) return false;
    return instance.host === undefined || instance.host.current() !== undefined;
  }

  /** Be told when an instance's agent comes back online. */
  public onOnline(listener: OnlineListener): void {
    this.onlineListeners.push(listener);
  }

  private must(instanceId: string): SimInstance {
    const instance = this.instances.get(instanceId);
    if (instance === undefined) throw new Error(`no simulated instance ${instanceId}`);
    return instance;
  }

  private scratchDir(): string {
    this.scratch ??= mkdtempSync(path.join(os.tmpdir(), 'deployer-instances-'));
    return this.scratch;
  }
}
