/**
 * The simulated AWS account the local rehearsal and the tests run the real
 * handlers against: ECS, ECR, CloudWatch, DynamoDB, EventBridge, Step
 * Functions and HTTP health checks, built from the deployer config, driven by
 * a virtual clock, recording every call with its IAM action and resources,
 * and ready to fail on demand.
 *
 * `install()` answers the SDK clients' calls (aws-sdk-client-mock) and
 * `globalThis.fetch` until the returned function is called.
 */
import type { DeployerConfig } from '../../lambdas/shared/config.ts';
import type { ApiEnvironment, SimulatedApi } from './api-call.ts';
import { nameFromArnOrName } from './arns.ts';
import { CallRecorder, type Caller, type RecordedCall } from './calls.ts';
import { SimCloudWatch } from './cloudwatch.ts';
import { SimDynamoDb, DEFAULT_TABLE_KEYS } from './dynamodb.ts';
import type { TableKeys } from './dynamodb-table.ts';
import { SimEcr } from './ecr.ts';
import { SimEcs, type SimService } from './ecs.ts';
import { SimEventBridge } from './eventbridge.ts';
import { FaultInjector, type FaultError, type FaultMatch } from './faults.ts';
import { SimHttp } from './http.ts';
import { ImageHealth } from './image-health.ts';
import { SimSfn } from './sfn.ts';

export type { Caller, RecordedCall } from './calls.ts';
export { THROTTLING, type FaultError, type FaultMatch } from './faults.ts';

/** How to build the world. */
export interface WorldOptions {
  config: DeployerConfig;
  /** Virtual clock, epoch ms: the world never reads Date.now(). */
  now: () => number;
  /** Default '123456789012'. */
  account?: string;
  /** Default 'us-east-1'. */
  region?: string;
  /** The DynamoDB table that exists (default 'deployer'). */
  tableName?: string;
  /** Its key schema (default `pk`/`sk`, strings). */
  tableKeys?: TableKeys;
  /** An event bus that exists besides 'default' (default 'default'). */
  eventBusName?: string;
  /** The state machines that exist (default: any state machine ARN of the account and region). */
  stateMachineArns?: string[];
  /** Time a healthy ECS rollout takes (default 90). */
  rolloutSeconds?: number;
  /** Time until the circuit breaker fails a rollout of an unhealthy image (default 150). */
  circuitBreakerSeconds?: number;
  /** Desired count of every service (default 3). */
  desiredCount?: number;
}

/** One service's state in a snapshot. */
export interface ServiceSnapshot {
  /** `family:revision` of the PRIMARY deployment's task definition. */
  taskDefinition: string;
  /** That task definition's image of the configured container. */
  image: string;
  desiredCount: number;
}

/**
 * What `deployer simulate --json` prints as the state of the world: services
 * keyed `"<cluster>/<service>"`; listeners (ELBv2, for canary and blue-green)
 * keyed by listener, then target group, with their weights.
 */
export type Snapshot = {
  services: Record<string, ServiceSnapshot>;
  listeners: Record<string, Record<string, number>>;
};

/** The tag the seeded services run. */
export const INITIAL_TAG = 'v1.0.0';
/** The revision of the seeded task definitions. */
export const INITIAL_REVISION = 7;

/** Only one world can own the SDK clients' prototypes at a time. */
let installedWorld: SimulatedWorld | undefined;

/** A simulated AWS account and region. */
export class SimulatedWorld {
  /** The simulated account id. */
  public readonly account: string;
  /** The simulated region. */
  public readonly region: string;
  /** ECS: clusters, services and their rollouts, task definitions. */
  public readonly ecs: SimEcs;
  /** ECR: the configured repositories; any tag resolves. */
  public readonly ecr: SimEcr;
  /** CloudWatch alarms of the configured services. */
  public readonly cloudwatch: SimCloudWatch;
  /** DynamoDB tables, reached through the document client. */
  public readonly dynamodb: SimDynamoDb;
  /** EventBridge buses and the events put on them. */
  public readonly events: SimEventBridge;
  /** Step Functions executions (StartExecution, DescribeExecution). */
  public readonly sfn: SimSfn;
  /** `fetch`: the services' health check URLs. */
  public readonly http: SimHttp;
  private readonly recorder = new CallRecorder();
  private readonly faults = new FaultInjector();
  private readonly health: ImageHealth;
  /** The ECS service of each configured service, in config order. */
  private readonly configured: Array<{ service: SimService; alarms: string[]; healthCheckUrl?: string }> = [];

  public constructor(options: WorldOptions) {
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    const env: ApiEnvironment = {
      account: this.account,
      region: this.region,
      now: options.now,
      recorder: this.recorder,
      faults: this.faults,
    };
    const { config } = options;
    this.ecr = new SimEcr(env, config.ecs.map((s) => s.repository));
    this.health = new ImageHealth(this.ecr);
    this.ecs = new SimEcs(env, this.health, {
      rolloutMs: (options.rolloutSeconds ?? 90) * 1000,
      circuitBreakerMs: (options.circuitBreakerSeconds ?? 150) * 1000,
      initialRevision: INITIAL_REVISION,
    });
    this.cloudwatch = new SimCloudWatch(env, config.ecs.flatMap((s) => s.alarms));
    this.dynamodb = new SimDynamoDb(env, options.tableName ?? 'deployer', options.tableKeys ?? DEFAULT_TABLE_KEYS);
    this.events = new SimEventBridge(env, [options.eventBusName ?? 'default']);
    this.sfn = new SimSfn(env, options.stateMachineArns === undefined ? undefined : new Set(options.stateMachineArns));
    this.http = new SimHttp(options.now, this.recorder, (url) => this.healthOf(url));
    for (const svc of config.ecs) {
      const service = this.ecs.seedService({
        cluster: nameFromArnOrName(svc.cluster),
        service: svc.service,
        container: svc.container,
        image: this.ecr.pinnedUri(svc.repository, INITIAL_TAG),
        desiredCount: options.desiredCount ?? 3,
      });
      const entry: (typeof this.configured)[number] = { service, alarms: [...svc.alarms] };
      if (svc.healthCheck !== undefined) entry.healthCheckUrl = new URL(svc.healthCheck.url).href;
      this.configured.push(entry);
    }
  }

  /** Answer the SDK clients and fetch from this world; returns the function that restores everything. */
  public install(): () => void {
    if (installedWorld !== undefined) {
      throw new Error('another SimulatedWorld is installed: call the uninstall function it returned first');
    }
    installedWorld = this;
    // A SimElbv2 (canary, blue-green) joins this list and fills the snapshot's listeners.
    const apis: SimulatedApi[] = [this.ecs, this.ecr, this.cloudwatch, this.dynamodb, this.events, this.sfn, this.http];
    const undo = apis.map((api) => api.install());
    let installed = true;
    return () => {
      if (!installed) return;
      installed = false;
      for (const restore of undo.reverse()) restore();
      installedWorld = undefined;
    };
  }

  /** Run `fn` with every AWS call (and fetch) it makes attributed to `caller`, across its async work. */
  public withCaller<T>(caller: Caller, fn: () => Promise<T>): Promise<T> {
    return this.recorder.withCaller(caller, fn);
  }

  /** Every call made, oldest first: one entry per IAM authorization it needed. */
  public get calls(): ReadonlyArray<RecordedCall> {
    return this.recorder.calls;
  }

  /** The state of the configured services (and later listeners), as `deployer simulate --json` prints it. */
  public snapshot(): Snapshot {
    const services: Record<string, ServiceSnapshot> = {};
    for (const { service } of this.configured) {
      const taskDefinition = this.ecs.primaryTaskDefinition(service);
      services[`${service.cluster}/${service.name}`] = {
        taskDefinition: `${taskDefinition.family}:${taskDefinition.revision}`,
        image: this.ecs.taskDefinitions.containerImage(taskDefinition, service.container) ?? '',
        desiredCount: service.desiredCount,
      };
    }
    // No load balancer is simulated yet; a SimElbv2 will fill this for canary and blue-green.
    return { services, listeners: {} };
  }

  /**
   * Make matching calls fail, checked before the call changes anything. The
   * default error is a non-retryable AccessDeniedException; `times` defaults
   * to every matching call.
   */
  public failCalls(match: FaultMatch, error?: FaultError, times?: number): void {
    this.faults.add(match, error, times);
  }

  /** Forget every `failCalls` rule. */
  public clearFaults(): void {
    this.faults.clear();
  }

  /** Tasks of this image (by tag or digest) never become healthy. */
  public markImageUnhealthy(image: string): void {
    this.health.markUnhealthy(image);
  }

  /**
   * The alarm reads ALARM whenever tasks of a task definition other than the
   * initial one run in a service it is configured for, OK otherwise.
   */
  public tripAlarmWhenNewRevisionServes(alarmName: string): void {
    const services = this.configured.filter((c) => c.alarms.includes(alarmName)).map((c) => c.service);
    if (services.length === 0) {
      throw new Error(`tripAlarmWhenNewRevisionServes: no configured service has the alarm '${alarmName}'`);
    }
    this.cloudwatch.setRule(alarmName, () => services.some((s) => this.ecs.newRevisionServes(s)));
  }

  private healthOf(url: string): 'UP' | 'DOWN' | undefined {
    const entry = this.configured.find((c) => c.healthCheckUrl === url);
    if (entry === undefined) return undefined;
    return this.ecs.isPrimaryHealthy(entry.service) ? 'UP' : 'DOWN';
  }
}
