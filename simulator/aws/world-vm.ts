/**
 * `world.vm`: what tests and the rehearsal use to build and disturb the VM
 * side of the simulated world — instances backed by local hosts, target
 * groups of VM services, faults — and to wait for the commands that really
 * run on the hosts.
 */
import { pathToFileURL } from 'node:url';
import type { ElbStore } from './elbv2-store.ts';
import { seedLoadBalancing, type EntryPointSeed, type TargetGroupSettings } from './elbv2-seed.ts';
import type { ManualTargets } from './elbv2-instance-targets.ts';
import type { AddInstanceOptions, InstanceState, SimFleet, SimInstance } from './fleet.ts';
import type { Place } from './arns.ts';
import type { SimS3 } from './s3.ts';
import type { SimSsm } from './ssm.ts';
import type { VmTargets } from '../../lambdas/shared/vm-deployment.ts';
import { LocalHost } from '../vm/local-host.ts';

/** A target group of a VM service's hosts. */
export interface VmTargetGroupOptions {
  arn: string;
  /** `instance` (default) or `ip`. */
  targetType?: 'instance' | 'ip';
  /** The hosts' traffic port (default 8080). */
  port?: number;
  /** Default `/health`. */
  healthCheckPath?: string;
  /** A listener that forwards to the group (health checks run only while one does). */
  listenerArn?: string;
}

/**
 * The load balancer of a VM blue-green service: the production listener
 * (or rule) forwarding to the live group's target group, and the test
 * listener (if any) to the idle group's; the URLs that reach each through
 * the load balancer (the verification's health checks).
 */
export interface VmLoadBalancerOptions {
  listenerArn: string;
  liveTargetGroupArn: string;
  /** The URL that reaches the production listener (sets its port, or the rule's conditions). */
  url?: string;
  testListenerArn?: string;
  idleTargetGroupArn: string;
  testUrl?: string;
}

/** A VM service's listeners and the URLs answered through them (what HTTP requests and production traffic go through). */
export interface VmEntryPoints {
  production: string;
  url?: string;
  test?: string;
  testUrl?: string;
}

/** Presigned S3 URLs as they appear in a command's text (ends at a quote, space or backslash). */
const S3_URL = /https:\/\/[A-Za-z0-9.-]+\.amazonaws\.com\/[^\s'"\\]*/g;

/**
 * The command text a host runs at `at`: each presigned URL of a simulated
 * S3 object becomes the `file:///` URL of a local copy of the object, and a
 * URL S3 would refuse (expired, missing object...) the `file:///` URL of a
 * file that does not exist, named after the refusal. A rehearsal's hosts
 * have no network, and the release script downloads `file:///` URLs as it
 * downloads `https://` ones.
 */
export function rewritePresignedUrls(s3: SimS3, text: string, at: number): string {
  return text.replace(S3_URL, (url) => {
    const download = s3.download(url, at);
    if (download === undefined) return url;
    if ('file' in download) return pathToFileURL(download.file).href;
    return pathToFileURL(s3.missingFile(`s3-${download.refusal.code}-${download.refusal.message}`)).href;
  });
}

/** The VM side of the world. */
export class WorldVms {
  /** The listeners of VM services added with {@link WorldVms.addLoadBalancer}. */
  public readonly entryPoints: VmEntryPoints[] = [];

  public constructor(
    private readonly fleet: SimFleet,
    private readonly ssm: SimSsm,
    private readonly elb: ElbStore,
    private readonly manualTargets: ManualTargets,
    private readonly place: Place & { now: () => number },
    private readonly targetGroupSettings: TargetGroupSettings,
    private readonly passThrough: (urlPrefix: string) => void,
  ) {}

  /**
   * Add an EC2 (`i-…`) or on-premises (`mi-…`) instance, managed by SSM
   * unless `managed: false`. The simulated `fetch` lets requests to its
   * host's port on 127.0.0.1 through to the real app (health checks).
   */
  public addInstance(options: AddInstanceOptions = {}): SimInstance {
    const instance = this.fleet.addInstance(options);
    if (options.host !== undefined) this.allowHttp(options.host.port);
    return instance;
  }

  /** The simulated `fetch` lets requests to this port on 127.0.0.1 through (a host's app that is no instance: an SSH host). */
  public allowHttp(port: number): void {
    this.passThrough(`http://127.0.0.1:${port}/`);
    this.passThrough(`http://localhost:${port}/`);
  }

  /**
   * The instances a deployment's SSM targets name, one per host: carrying
   * all its `ec2Tags`, or with its `instanceIds` in order (one host each);
   * its target group is created (instance targets) if the world has none of
   * that ARN. Each host is a local host, or a runner for a modelled fleet.
   * @throws Error for SSH targets, or instance IDs and hosts that do not pair up
   */
  public addInstancesFor(targets: VmTargets, hosts: ReadonlyArray<LocalHost | Pick<AddInstanceOptions, 'runner'>>): SimInstance[] {
    if (targets.executor !== 'ssm') throw new Error('addInstancesFor: SSH hosts are reached over SSH, not as simulated instances');
    const ids = targets.instanceIds;
    if (ids !== undefined && ids.length !== hosts.length) {
      throw new Error(`addInstancesFor: ${ids.length} instance IDs for ${hosts.length} hosts`);
    }
    const instances = hosts.map((host, index) => {
      const options: AddInstanceOptions = { tags: { ...targets.ec2Tags } };
      if (ids !== undefined) options.instanceId = ids[index]!;
      if (host instanceof LocalHost) options.host = host;
      else if (host.runner !== undefined) options.runner = host.runner;
      return this.addInstance(options);
    });
    if (targets.targetGroupArn !== undefined && !this.elb.targetGroups.has(targets.targetGroupArn)) {
      this.addTargetGroup({ arn: targets.targetGroupArn, ...(targets.targetPort === undefined ? {} : { port: targets.targetPort }) });
    }
    return instances;
  }

  /** Every instance, in the order added. */
  public instances(): SimInstance[] {
    return this.fleet.all();
  }

  /** The instance with this ID. */
  public instance(instanceId: string): SimInstance | undefined {
    return this.fleet.get(instanceId);
  }

  /** The SSM agent stops answering: ConnectionLost, commands wait for delivery until their TimeoutSeconds. */
  public setOffline(instanceId: string): void {
    this.fleet.setOffline(instanceId);
  }

  /** The agent answers again; commands waiting for it run now. */
  public setOnline(instanceId: string): void {
    this.fleet.setOnline(instanceId);
  }

  /** Commands fail on the host (exit 1) without touching it. */
  public failHost(instanceId: string, message?: string): void {
    this.fleet.failHost(instanceId, message);
  }

  /** Commands never finish on the host: ExecutionTimedOut at their executionTimeout. */
  public hangHost(instanceId: string): void {
    this.fleet.hangHost(instanceId);
  }

  /** Commands take `seconds` more of virtual time on the host. */
  public slowHost(instanceId: string, seconds: number): void {
    this.fleet.slowHost(instanceId, seconds);
  }

  /** Forget the host's fault. */
  public healHost(instanceId: string): void {
    this.fleet.healHost(instanceId);
  }

  /** Change the instance's EC2 state (`stopped`: its agent goes offline too). */
  public setState(instanceId: string, state: InstanceState): void {
    this.fleet.setState(instanceId, state);
  }

  /** Force whether the instance passes its target group's health checks (undefined: follow its host). */
  public setTargetHealth(instanceId: string, passes: boolean | undefined): void {
    this.fleet.setTargetHealth(instanceId, passes);
  }

  /**
   * Create a VM service's target group (instance targets on port 8080 by
   * default), with the world's health check and draining timings, used by
   * `listenerArn` when given (a listener of that ARN is created if needed).
   */
  public addTargetGroup(options: VmTargetGroupOptions): void {
    const entries = options.listenerArn === undefined ? [] : [{ arn: options.listenerArn, targetGroupArn: options.arn, role: 'production' as const }];
    seedLoadBalancing(this.elb, this.place, entries, [{ arn: options.arn, healthCheckPath: options.healthCheckPath ?? '/health' }], this.targetGroupSettings, this.place.now());
    const group = this.elb.targetGroups.get(options.arn);
    if (group === undefined) throw new Error(`addTargetGroup: '${options.arn}' is not a target group ARN`);
    group.targetType = options.targetType ?? 'instance';
    group.port = options.port ?? 8080;
  }

  /**
   * Create a blue-green VM service's load balancer as it stands between two
   * deployments: both target groups (instance targets, see
   * {@link WorldVms.addTargetGroup}: give them in `targetGroups` to set
   * their port or health check path), the production listener (or rule)
   * forwarding all traffic to the live group's, and the test listener to the
   * idle group's. HTTP requests to `url` and `testUrl` go through them.
   */
  public addLoadBalancer(options: VmLoadBalancerOptions, targetGroups: readonly VmTargetGroupOptions[] = []): void {
    for (const arn of [options.liveTargetGroupArn, options.idleTargetGroupArn]) {
      if (!this.elb.targetGroups.has(arn)) this.addTargetGroup(targetGroups.find((g) => g.arn === arn) ?? { arn });
    }
    const entries: EntryPointSeed[] = [
      { arn: options.listenerArn, targetGroupArn: options.liveTargetGroupArn, role: 'production', ...(options.url === undefined ? {} : { url: options.url }) },
    ];
    if (options.testListenerArn !== undefined) {
      entries.push({
        arn: options.testListenerArn,
        targetGroupArn: options.idleTargetGroupArn,
        role: 'test',
        ...(options.testUrl === undefined ? {} : { url: options.testUrl }),
      });
    }
    seedLoadBalancing(this.elb, this.place, entries, [], this.targetGroupSettings, this.place.now());
    this.entryPoints.push({
      production: options.listenerArn,
      ...(options.url === undefined ? {} : { url: options.url }),
      ...(options.testListenerArn === undefined ? {} : { test: options.testListenerArn }),
      ...(options.testUrl === undefined ? {} : { testUrl: options.testUrl }),
    });
  }

  /**
   * Register instances in a target group as they were before the world's
   * start (an hour earlier): healthy now when their hosts pass and a
   * listener uses the group.
   */
  public registerTargets(targetGroupArn: string, instanceIds: readonly string[]): void {
    const group = this.elb.targetGroups.get(targetGroupArn);
    if (group === undefined) throw new Error(`registerTargets: no target group '${targetGroupArn}' (add it first)`);
    const since = this.place.now() - 3_600_000;
    for (const [index, id] of instanceIds.entries()) {
      this.manualTargets.register(targetGroupArn, { id, port: group.port, availabilityZone: `${this.place.region}${'abc'[index % 3]!}` }, since, true);
    }
  }

  /** Resolves once no SSM command runs for real on any host. */
  public settled(): Promise<void> {
    return this.ssm.settled();
  }
}
