/**
 * The simulated AWS account the local rehearsal and the tests run the real
 * handlers against: ECS (task by task), ECR, ELBv2 (the Application Load
 * Balancer of canary and blue-green services), CloudWatch (alarms and the
 * load balancer's metrics), DynamoDB, EventBridge (with the notification
 * rule to SNS), SNS, Step Functions (executions, task tokens) and HTTP
 * health checks, built from the deployer config, driven by a virtual clock,
 * recording every call with its IAM action and resources, and ready to fail
 * on demand.
 *
 * `install()` answers the SDK clients' calls (aws-sdk-client-mock) and
 * `globalThis.fetch` until the returned function is called.
 */
import { EVENT_SOURCE } from '../../lambdas/registry.ts';
import type { DeployerConfig } from '../../lambdas/shared/config.ts';
import { albMetricSamples } from './alb-metrics.ts';
import { AlbRouter } from './alb-http.ts';
import type { ApiEnvironment, SimulatedApi } from './api-call.ts';
import { topicArn } from './arns.ts';
import { CallRecorder, type Caller, type RecordedCall } from './calls.ts';
import { SimCloudWatch } from './cloudwatch.ts';
import { SimDynamoDb, DEFAULT_TABLE_KEYS } from './dynamodb.ts';
import type { TableKeys } from './dynamodb-table.ts';
import { SimEc2 } from './ec2.ts';
import { SimEcr } from './ecr.ts';
import { SimEcs } from './ecs.ts';
import type { SimService } from './ecs-model.ts';
import { SimElbv2 } from './elbv2.ts';
import { SimEventBridge } from './eventbridge.ts';
import { FaultInjector, type FaultError, type FaultMatch } from './faults.ts';
import { SimFleet } from './fleet.ts';
import { SimHttp, type SimResponse } from './http.ts';
import { ImageHealth } from './image-health.ts';
import { notificationRule } from './notification-rule.ts';
import { SimS3 } from './s3.ts';
import { SimSecretsManager } from './secrets-manager.ts';
import { ServiceTargets } from './service-targets.ts';
import { SimSfn } from './sfn.ts';
import { SimSns } from './sns.ts';
import { SimSsm } from './ssm.ts';
import { Traffic, type TrafficEntry } from './traffic.ts';
import { seedWorld, type ConfiguredService, type ServiceOverride } from './world-seed.ts';
import { taskTimingOf, worldTiming, type WorldTimingOptions } from './world-timing.ts';
import { rewritePresignedUrls, WorldVms } from './world-vm.ts';

export type { Caller, RecordedCall } from './calls.ts';
export { THROTTLING, type FaultError, type FaultMatch } from './faults.ts';
export { INITIAL_REVISION, INITIAL_TAG, PREVIOUS_TAG, type ServiceOverride } from './world-seed.ts';
export { DEFAULT_TIMING, type WorldTiming, type WorldTimingOptions } from './world-timing.ts';
export type { AddInstanceOptions, CommandRunner, SimInstance } from './fleet.ts';
export type { VmTargetGroupOptions } from './world-vm.ts';

/** How to build the world. */
export interface WorldOptions {
  config: DeployerConfig;
  /** Virtual clock, epoch ms: the world never reads Date.now(). */
  now: () => number;
  /** Sleep on the virtual clock (slow responses, slow calls); without it they answer at once. */
  sleep?: (seconds: number) => Promise<void>;
  /**
   * Hold the virtual clock while real work goes on (an SSM command's script
   * running on a local host); returns the function that lets it go. Without
   * it, virtual time may pass while a script runs (a clock moved by hand).
   */
  holdClock?: () => () => void;
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
  /** Desired count of every seeded service that runs (default 3 for rolling services, 4 for canary primaries and blue). */
  desiredCount?: number;
  /** Task, health check and draining timings of the seeded services and target groups (see `world-timing.ts`). */
  timing?: WorldTimingOptions;
  /** Seeded services that differ (deployment controller, Classic Load Balancer), keyed `"<cluster>/<service>"`. */
  services?: Record<string, ServiceOverride>;
  /** Seed of the traffic's noise (default 'ecs-deployer'): the same seed gives the same metrics. */
  seed?: string;
  /** Requests per second each production listener or rule receives (default 50). */
  requestsPerSecond?: number;
  /** The notification topic (default `arn:aws:sns:REGION:ACCOUNT:EcsDeployer-Notifications`). */
  notificationTopicArn?: string;
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
 * keyed `"<cluster>/<service>"`; listeners and rules (canary, blue-green)
 * keyed by ARN, then target group, with their forward weights.
 */
export type Snapshot = {
  services: Record<string, ServiceSnapshot>;
  listeners: Record<string, Record<string, number>>;
};

/** Only one world can own the SDK clients' prototypes at a time. */
let installedWorld: SimulatedWorld | undefined;

/** A simulated AWS account and region. */
export class SimulatedWorld {
  /** The simulated account id. */
  public readonly account: string;
  /** The simulated region. */
  public readonly region: string;
  /** ECS: clusters, services and their tasks, task definitions. */
  public readonly ecs: SimEcs;
  /** ECR: the configured repositories; any tag resolves. */
  public readonly ecr: SimEcr;
  /** ELBv2: the load balancer, listeners, rules and target groups of canary and blue-green services. */
  public readonly elbv2: SimElbv2;
  /** CloudWatch: alarms of the configured services, the load balancer's metrics. */
  public readonly cloudwatch: SimCloudWatch;
  /** DynamoDB tables, reached through the document client. */
  public readonly dynamodb: SimDynamoDb;
  /** EventBridge buses and the events put on them. */
  public readonly events: SimEventBridge;
  /** Step Functions executions and task tokens. */
  public readonly sfn: SimSfn;
  /** SNS: the notification topic and its messages. */
  public readonly sns: SimSns;
  /** `fetch`: the services' health check URLs. */
  public readonly http: SimHttp;
  /** S3: buckets and objects (VM artifacts); presigned GET URLs resolve to local files for the hosts. */
  public readonly s3: SimS3;
  /** EC2: DescribeInstances over the VM instances. */
  public readonly ec2: SimEc2;
  /** SSM: Run Command on the VM instances (scripts run for real on their local hosts), agents' status. */
  public readonly ssm: SimSsm;
  /** Secrets Manager: the SSH keys of VM hosts. */
  public readonly secretsManager: SimSecretsManager;
  /** The VM instances, their target groups and faults. */
  public readonly vm: WorldVms;
  /** The ARN of the notification topic. */
  public readonly notificationTopicArn: string;
  private readonly recorder = new CallRecorder();
  private readonly faults = new FaultInjector();
  private readonly health: ImageHealth;
  private readonly configured: ConfiguredService[];
  /** Task definitions the world started with: anything else is a new revision. */
  private readonly seededTaskDefinitions: Set<string>;
  private readonly router: AlbRouter;
  private readonly targets: ServiceTargets;
  private readonly now: () => number;
  /** Requests answered by `answerFromTasks`, to spread them over the tasks. */
  private requestCounter = 0;

  public constructor(options: WorldOptions) {
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    this.now = options.now;
    const env: ApiEnvironment = {
      account: this.account,
      region: this.region,
      now: options.now,
      recorder: this.recorder,
      faults: this.faults,
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    };
    const { config } = options;
    const timing = worldTiming(options.timing);
    this.ecr = new SimEcr(env, config.ecs.map((s) => ({ name: s.repository, registry: s.registry })));
    this.health = new ImageHealth(this.ecr);
    this.elbv2 = new SimElbv2(env);
    this.ecs = new SimEcs(env, this.health, this.elbv2, taskTimingOf(timing));
    this.targets = new ServiceTargets(this.ecs, this.elbv2, this.ecr, this.health);
    this.elbv2.targets = (targetGroupArn) => this.targets.registered(targetGroupArn);
    this.cloudwatch = new SimCloudWatch(env, config.ecs.flatMap((s) => s.alarms));
    this.dynamodb = new SimDynamoDb(env, options.tableName ?? 'deployer', options.tableKeys ?? DEFAULT_TABLE_KEYS);
    this.events = new SimEventBridge(env, [options.eventBusName ?? 'default']);
    this.sfn = new SimSfn(env, options.stateMachineArns === undefined ? undefined : new Set(options.stateMachineArns));
    this.notificationTopicArn = options.notificationTopicArn ?? topicArn(env, 'EcsDeployer-Notifications');
    this.sns = new SimSns(env, [this.notificationTopicArn]);
    this.events.addRule(notificationRule(this.sns, this.notificationTopicArn, EVENT_SOURCE, options.now));
    this.configured = seedWorld(config.ecs, {
      place: env,
      ecr: this.ecr,
      ecs: this.ecs,
      elb: this.elbv2.store,
      timing,
      desiredCount: options.desiredCount,
      overrides: options.services ?? {},
      at: options.now(),
    });
    this.seededTaskDefinitions = new Set(this.ecs.taskDefinitions.arns());
    const traffic = new Traffic(
      {
        entries: () => this.productionEntries(),
        // ECS tasks, and the VM hosts registered by hand.
        targets: (targetGroupArn) => [...this.targets.serving(targetGroupArn), ...this.elbv2.manualServing(targetGroupArn)],
        group: (targetGroupArn) => this.elbv2.view(targetGroupArn),
      },
      options.seed ?? 'ecs-deployer',
      options.requestsPerSecond ?? 50,
    );
    this.cloudwatch.samples = albMetricSamples(traffic, {
      loadBalancerArns: () => [...this.elbv2.store.loadBalancers.keys()],
      targetGroupArns: () => [...this.elbv2.store.targetGroups.keys()],
    });
    this.cloudwatch.beforeMetricRead = () => void this.ecs.services();
    this.router = new AlbRouter({
      actions: (arn) => {
        const entry = this.elbv2.store.entryPoint(arn);
        if (entry === undefined) return undefined;
        return 'defaultActions' in entry ? entry.defaultActions : entry.actions;
      },
      serving: (targetGroupArn) => [
        ...this.targets.healthy(targetGroupArn, this.now()),
        // A VM host answers for the release its `current` points to.
        ...this.elbv2.healthyManualTargets(targetGroupArn).map((id) => ({ id, version: this.vm.instance(id)?.host?.current() })),
      ],
    });
    this.http = new SimHttp(options.now, this.recorder, (url) => this.respond(url), options.sleep);
    const fleet = new SimFleet(options.now, this.region);
    this.s3 = new SimS3(env);
    this.ec2 = new SimEc2(env, fleet);
    const hold = options.holdClock ?? (() => () => undefined);
    this.ssm = new SimSsm(env, fleet, { hold, rewriteUrls: (text, at) => rewritePresignedUrls(this.s3, text, at) });
    this.secretsManager = new SimSecretsManager(env);
    this.vm = new WorldVms(fleet, this.ssm, this.elbv2.store, this.elbv2.manual, { ...env, now: options.now }, timing.targetGroup, (prefix) => this.http.passThrough(prefix));
    this.elbv2.instanceCondition = (targetId) => {
      const instance = fleet.get(targetId) ?? fleet.all().find((i) => i.privateIp === targetId);
      if (instance === undefined) return undefined;
      return { state: instance.state, passes: fleet.passesHealthCheck(instance, this.ssm.busy(instance.instanceId)) };
    };
    this.elbv2.registrable = (targetType, targetId) => {
      if (targetType === 'ip') return /^\d{1,3}(\.\d{1,3}){3}$/.test(targetId) ? undefined : `The IP address '${targetId}' is not a valid IPv4 address`;
      const instance = fleet.get(targetId);
      if (instance === undefined || !targetId.startsWith('i-')) return `The following targets are not valid: '${targetId}'`;
      if (instance.state !== 'running') return `The following targets are not in a running state and cannot be registered: '${targetId}'`;
      return undefined;
    };
  }

  /** Answer the SDK clients and fetch from this world; returns the function that restores everything. */
  public install(): () => void {
    if (installedWorld !== undefined) {
      throw new Error('another SimulatedWorld is installed: call the uninstall function it returned first');
    }
    installedWorld = this;
    const apis: SimulatedApi[] = [
      this.ecs,
      this.ecr,
      this.elbv2,
      this.cloudwatch,
      this.dynamodb,
      this.events,
      this.sfn,
      this.sns,
      this.http,
      this.s3,
      this.ec2,
      this.ssm,
      this.secretsManager,
    ];
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

  /**
   * The state of the configured services and listeners, as `deployer
   * simulate --json` prints it: every ACTIVE ECS service of the config (a
   * canary service only while it exists and DeleteService has not been
   * accepted), and the forward weights of every configured listener, rule
   * and test listener.
   */
  public snapshot(): Snapshot {
    const services: Record<string, ServiceSnapshot> = {};
    const listeners: Record<string, Record<string, number>> = {};
    for (const entry of this.configured) {
      for (const name of entry.ecsServices) {
        const service = this.ecs.service(entry.cluster, name);
        // A service DeleteService accepted (DRAINING, then INACTIVE) is gone as far as the deployment goes.
        if (service === undefined || service.status !== 'ACTIVE') continue;
        const taskDefinition = this.ecs.primaryTaskDefinition(service);
        services[`${entry.cluster}/${name}`] = {
          taskDefinition: `${taskDefinition.family}:${taskDefinition.revision}`,
          image: this.ecs.taskDefinitions.containerImage(taskDefinition, entry.config.container) ?? '',
          desiredCount: service.desiredCount,
        };
      }
      for (const arn of [entry.production, entry.test]) {
        const weights = arn === undefined ? undefined : this.elbv2.weightsOf(arn);
        if (arn !== undefined && weights !== undefined) listeners[arn] = weights;
      }
    }
    return { services, listeners };
  }

  /**
   * Make matching calls fail, checked before the call changes anything. The
   * default error is a non-retryable AccessDeniedException; `times` defaults
   * to every matching call.
   */
  public failCalls(match: FaultMatch, error?: FaultError, times?: number): void {
    this.faults.add(match, error, times);
  }

  /** Make matching calls take `seconds` of the world's clock before they answer (a slow or hanging AWS API). */
  public delayCalls(match: FaultMatch, seconds: number, times?: number): void {
    this.faults.addDelay(match, seconds, times);
  }

  /** Forget every `failCalls` rule. */
  public clearFaults(): void {
    this.faults.clear();
  }

  /** Tasks of this image (by tag or digest) start but never pass a health check. */
  public markImageUnhealthy(image: string): void {
    this.health.markUnhealthy(image);
  }

  /** Tasks of this image (by tag or digest) pass their health checks but serve ~8% 5xx and ~900 ms p99 under traffic. */
  public markImageBad(image: string): void {
    this.health.markBad(image);
  }

  /**
   * The alarm reads ALARM whenever a revision the world did not start with
   * serves in any ECS service of a configured service that has the alarm
   * (the canary service and the new colour included): a RUNNING task for a
   * service without load balancer; a healthy target in a target group the
   * production listener or rule forwards to with a weight above 0 otherwise.
   * OK otherwise.
   */
  public tripAlarmWhenNewRevisionServes(alarmName: string): void {
    const entries = this.configured.filter((c) => c.config.alarms.includes(alarmName));
    if (entries.length === 0) {
      throw new Error(`tripAlarmWhenNewRevisionServes: no configured service has the alarm '${alarmName}'`);
    }
    this.cloudwatch.setRule(alarmName, () =>
      entries.some((entry) => this.targets.newRevisionServes(entry, this.seededTaskDefinitions, this.now())),
    );
  }

  /** Each listener or rule that serves production traffic, once. */
  private productionEntries(): TrafficEntry[] {
    const arns = new Set([
      ...this.configured.flatMap((entry) => (entry.production === undefined ? [] : [entry.production])),
      ...this.vm.entryPoints.map((entry) => entry.production),
    ]);
    return [...arns].flatMap((arn) => {
      const point = this.elbv2.store.entryPoint(arn);
      if (point === undefined) return [];
      const listener = this.elbv2.store.listeners.get('listenerArn' in point ? point.listenerArn : point.arn);
      return listener === undefined ? [] : [{ arn: point.arn, loadBalancerArn: listener.loadBalancerArn, history: point.history }];
    });
  }

  /** Requests sent to a service's serving tasks in turn (its own load balancer): old ones keep serving during a rollout. */
  private answerFromTasks(service: SimService): SimResponse {
    const now = this.now();
    const serving = this.ecs
      .tasksOf(service)
      .filter((t) => t.runningAt !== undefined && t.runningAt <= now && t.stopRequestedAt === undefined && t.stoppedAt === undefined)
      .filter((t) => this.ecs.fateOf(t.taskDefinitionArn) === 'healthy');
    if (serving.length === 0) return { status: 503, body: { status: 'DOWN' } };
    this.requestCounter += 1;
    const task = serving[this.requestCounter % serving.length]!;
    return { status: 200, body: { status: 'UP', taskDefinition: task.taskDefinitionArn.slice(task.taskDefinitionArn.lastIndexOf('/') + 1) } };
  }

  private respond(url: string): SimResponse | undefined {
    const normalized = URL.canParse(url) ? new URL(url).href : url;
    const same = (other: string | undefined): boolean => other !== undefined && new URL(other).href === normalized;
    for (const entry of this.configured) {
      const check = entry.config.healthCheck;
      if (check === undefined) continue;
      if (entry.config.strategy === 'rolling') {
        if (!same(check.url)) continue;
        const service = this.ecs.service(entry.cluster, entry.config.service);
        return service === undefined ? { status: 503, body: { status: 'DOWN' } } : this.answerFromTasks(service);
      }
      if (same(check.url) && entry.production !== undefined) return this.router.answer(entry.production);
      const testUrl = 'testUrl' in check ? check.testUrl : undefined;
      if (same(testUrl) && entry.test !== undefined) return this.router.answer(entry.test);
    }
    for (const entry of this.vm.entryPoints) {
      if (same(entry.url)) return this.router.answer(entry.production);
      if (same(entry.testUrl) && entry.test !== undefined) return this.router.answer(entry.test);
    }
    return undefined;
  }
}
