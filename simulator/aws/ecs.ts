/**
 * Simulated Amazon ECS: clusters, services with rolling deployments (and the
 * deployment circuit breaker), task definitions. Rollouts progress with the
 * virtual clock (see `ecs-rollout.ts`); image health comes from `ImageHealth`.
 */
import {
  ClientException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
  ServiceNotActiveException,
  ServiceNotFoundException,
  UpdateServiceCommand,
  type DeploymentConfiguration,
  type DescribeServicesCommandInput,
  type DescribeServicesCommandOutput,
  type DescribeTaskDefinitionCommandInput,
  type DescribeTaskDefinitionCommandOutput,
  type Failure,
  type NetworkConfiguration,
  type RegisterTaskDefinitionCommandInput,
  type RegisterTaskDefinitionCommandOutput,
  type Service,
  type TaskDefinition,
  type UpdateServiceCommandInput,
  type UpdateServiceCommandOutput,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  principalArn,
  refuseUnimplemented,
  serve,
  type ApiEnvironment,
  type SimulatedApi,
  type CallContext,
} from './api-call.ts';
import { clusterArn, nameFromArnOrName, serviceArn, taskDefinitionArn } from './arns.ts';
import type { Authorization } from './calls.ts';
import {
  advance,
  countsOf,
  primaryOf,
  startDeployment,
  type RolloutService,
  type RolloutTiming,
  type SimDeployment,
} from './ecs-rollout.ts';
import { TaskDefinitionStore, type StoredTaskDefinition } from './ecs-task-definitions.ts';
import type { ImageHealth } from './image-health.ts';
import { modeledError } from './sdk-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

/** A simulated ECS service. */
export interface SimService extends RolloutService {
  cluster: string;
  clusterArn: string;
  /** The container the deployer replaces the image of. */
  container: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  createdAt: number;
  deploymentConfiguration: DeploymentConfiguration;
  networkConfiguration: NetworkConfiguration;
  /** The task definition the world started with: "new revision serves" compares against it. */
  initialTaskDefinitionArn: string;
}

/** What the world seeds an ECS service from. */
export interface EcsServiceSeed {
  cluster: string;
  service: string;
  container: string;
  /** The image the container runs at first. */
  image: string;
  desiredCount: number;
}

/** Timing and defaults of the simulated ECS. */
export interface SimEcsOptions extends RolloutTiming {
  /** Revision of the seeded task definitions (any number above 1). */
  initialRevision: number;
}

/** The sidecar every seeded task definition has: a deployment must leave it alone. */
export const SIDECAR_CONTAINER = 'log-router';
/** The sidecar's image. */
export const SIDECAR_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4';

interface SimCluster {
  name: string;
  arn: string;
  services: Map<string, SimService>;
}

/** The simulated ECS of the world's account and region. */
export class SimEcs implements SimulatedApi {
  /** Every task definition, seeded or registered. */
  public readonly taskDefinitions: TaskDefinitionStore;
  private readonly clusters = new Map<string, SimCluster>();

  public constructor(
    private readonly env: ApiEnvironment,
    private readonly health: ImageHealth,
    private readonly options: SimEcsOptions,
  ) {
    this.taskDefinitions = new TaskDefinitionStore(env);
  }

  /**
   * Create a service (and its cluster) running a seeded task definition: the
   * configured container plus a log-router sidecar, roles, Fargate sizing, a tag,
   * and one COMPLETED PRIMARY deployment.
   */
  public seedService(seed: EcsServiceSeed): SimService {
    const cluster = this.cluster(seed.cluster) ?? this.createCluster(seed.cluster);
    const existing = cluster.services.get(seed.service);
    if (existing !== undefined) return existing;
    const at = this.env.now();
    // Two clusters may hold services of the same name; their families must not collide.
    const family =
      this.taskDefinitions.resolve(seed.service) === undefined ? seed.service : `${seed.service}-${seed.cluster}`;
    const sidecar = seed.container === SIDECAR_CONTAINER ? `${SIDECAR_CONTAINER}-sidecar` : SIDECAR_CONTAINER;
    const role = (suffix: string): string => `arn:aws:iam::${this.env.account}:role/${family}-${suffix}`;
    const taskDefinition = this.taskDefinitions.register(
      {
        family,
        taskRoleArn: role('task'),
        executionRoleArn: role('execution'),
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '512',
        memory: '1024',
        runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
        containerDefinitions: [
          {
            name: seed.container,
            image: seed.image,
            essential: true,
            portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp', name: 'http' }],
            environment: [{ name: 'PORT', value: '8080' }],
            logConfiguration: {
              logDriver: 'awsfirelens',
              options: { Name: 'cloudwatch_logs', region: this.env.region },
            },
            dependsOn: [{ containerName: sidecar, condition: 'START' }],
          },
          {
            name: sidecar,
            image: SIDECAR_IMAGE,
            essential: true,
            memoryReservation: 50,
            firelensConfiguration: { type: 'fluentbit' },
          },
        ],
        tags: [{ key: 'team', value: 'platform' }],
      },
      at - 30 * 86_400_000,
      `arn:aws:iam::${this.env.account}:root`,
      this.options.initialRevision,
    );
    const service: SimService = {
      name: seed.service,
      arn: serviceArn(this.env, cluster.name, seed.service),
      cluster: cluster.name,
      clusterArn: cluster.arn,
      container: seed.container,
      status: 'ACTIVE',
      createdAt: at - 30 * 86_400_000,
      desiredCount: seed.desiredCount,
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
          securityGroups: ['sg-0a1b2c3d4e5f60003'],
          assignPublicIp: 'DISABLED',
        },
      },
      initialTaskDefinitionArn: taskDefinition.arn,
      lastCompletedTaskDefinitionArn: taskDefinition.arn,
      deployments: [],
      events: [],
      deploymentCounter: 0,
    };
    const first = startDeployment(service, taskDefinition.arn, service.createdAt);
    first.rolloutState = 'COMPLETED';
    first.rolloutStateReason = `ECS deployment ${first.id} completed.`;
    cluster.services.set(service.name, service);
    return service;
  }

  /** A service by cluster and name, brought up to date with the virtual clock. */
  public service(cluster: string, name: string): SimService | undefined {
    const service = this.cluster(cluster)?.services.get(name);
    if (service !== undefined) this.advance(service);
    return service;
  }

  /** Every service, brought up to date. */
  public services(): SimService[] {
    return [...this.clusters.values()].flatMap((c) => [...c.services.values()]).map((s) => {
      this.advance(s);
      return s;
    });
  }

  /** The service as DescribeServices returns it. */
  public describeService(service: SimService): Service {
    this.advance(service);
    const now = this.env.now();
    const healthy = (arn: string): boolean => this.isTaskDefinitionHealthy(arn);
    let running = 0;
    let pending = 0;
    const deployments = service.deployments.map((d) => {
      const counts = countsOf(service, d, now, this.options, healthy);
      running += counts.running;
      pending += counts.pending;
      return {
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinitionArn,
        desiredCount: d.desiredCount,
        pendingCount: counts.pending,
        runningCount: counts.running,
        failedTasks: counts.failed,
        createdAt: new Date(d.createdAt),
        updatedAt: new Date(d.updatedAt),
        launchType: 'FARGATE' as const,
        platformVersion: '1.4.0',
        platformFamily: 'Linux',
        networkConfiguration: structuredClone(service.networkConfiguration),
        rolloutState: d.rolloutState,
        rolloutStateReason: d.rolloutStateReason,
      };
    });
    return {
      serviceArn: service.arn,
      serviceName: service.name,
      clusterArn: service.clusterArn,
      loadBalancers: [],
      serviceRegistries: [],
      status: service.status,
      desiredCount: service.desiredCount,
      runningCount: running,
      pendingCount: pending,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      platformFamily: 'Linux',
      taskDefinition: primaryOf(service).taskDefinitionArn,
      deploymentConfiguration: structuredClone(service.deploymentConfiguration),
      deployments,
      events: service.events.map((e) => ({ id: e.id, createdAt: new Date(e.at), message: e.message })),
      createdAt: new Date(service.createdAt),
      placementConstraints: [],
      placementStrategy: [],
      networkConfiguration: structuredClone(service.networkConfiguration),
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      createdBy: `arn:aws:iam::${this.env.account}:role/platform-admin`,
      enableECSManagedTags: true,
      propagateTags: 'NONE',
      enableExecuteCommand: false,
    };
  }

  /** The PRIMARY deployment's task definition of a service. */
  public primaryTaskDefinition(service: SimService): StoredTaskDefinition {
    this.advance(service);
    return this.storedOrThrow(primaryOf(service).taskDefinitionArn);
  }

  /** Whether the tasks of the PRIMARY deployment become healthy. */
  public isPrimaryHealthy(service: SimService): boolean {
    this.advance(service);
    return this.isTaskDefinitionHealthy(primaryOf(service).taskDefinitionArn);
  }

  /** Whether tasks of a task definition other than the initial one are running now. */
  public newRevisionServes(service: SimService): boolean {
    const now = this.env.now();
    this.advance(service);
    const healthy = (arn: string): boolean => this.isTaskDefinitionHealthy(arn);
    return service.deployments.some(
      (d) =>
        d.taskDefinitionArn !== service.initialTaskDefinitionArn &&
        countsOf(service, d, now, this.options, healthy).running > 0,
    );
  }

  /** Change a service's deployment configuration, as an operator would (e.g. turn the circuit breaker off). */
  public configureDeployments(service: SimService, configuration: DeploymentConfiguration): void {
    this.advance(service);
    service.deploymentConfiguration = { ...service.deploymentConfiguration, ...structuredClone(configuration) };
  }

  /** Install the ECSClient mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(ECSClient);
    refuseUnimplemented(stub, this.env, 'ecs', 'ECS');
    stub.on(DescribeServicesCommand).callsFake(
      serve(this.env, ECSServiceException, {
        action: 'ecs:DescribeServices',
        authorize: (input: DescribeServicesCommandInput) => [
          {
            action: 'ecs:DescribeServices',
            resources: (input.services ?? []).map((s) => this.serviceArnOf(input.cluster, s)),
          },
        ],
        run: (input: DescribeServicesCommandInput) => this.describeServices(input),
      }),
    );
    stub.on(DescribeTaskDefinitionCommand).callsFake(
      serve(this.env, ECSServiceException, {
        action: 'ecs:DescribeTaskDefinition',
        authorize: () => [{ action: 'ecs:DescribeTaskDefinition', resources: ['*'] }],
        run: (input: DescribeTaskDefinitionCommandInput) => this.describeTaskDefinition(input),
      }),
    );
    stub.on(RegisterTaskDefinitionCommand).callsFake(
      serve(this.env, ECSServiceException, {
        action: 'ecs:RegisterTaskDefinition',
        authorize: (input: RegisterTaskDefinitionCommandInput) => this.authorizeRegistration(input),
        run: (input: RegisterTaskDefinitionCommandInput, context: CallContext) =>
          this.registerTaskDefinition(input, context),
      }),
    );
    stub.on(UpdateServiceCommand).callsFake(
      serve(this.env, ECSServiceException, {
        action: 'ecs:UpdateService',
        authorize: (input: UpdateServiceCommandInput) => [
          { action: 'ecs:UpdateService', resources: [this.serviceArnOf(input.cluster, input.service ?? '')] },
        ],
        run: (input: UpdateServiceCommandInput) => this.updateService(input),
      }),
    );
    return () => stub.restore();
  }

  private createCluster(name: string): SimCluster {
    const cluster: SimCluster = { name, arn: clusterArn(this.env, name), services: new Map() };
    this.clusters.set(name, cluster);
    return cluster;
  }

  private cluster(nameOrArn: string | undefined): SimCluster | undefined {
    return this.clusters.get(nameFromArnOrName(nameOrArn ?? 'default'));
  }

  private clusterOrThrow(nameOrArn: string | undefined): SimCluster {
    const cluster = this.cluster(nameOrArn);
    if (cluster === undefined) throw modeledError(ClusterNotFoundException, 'Cluster not found.', {});
    return cluster;
  }

  /** The ARN IAM checks for a service given by name or ARN. */
  private serviceArnOf(cluster: string | undefined, service: string): string {
    if (service.startsWith('arn:')) return service;
    return serviceArn(this.env, nameFromArnOrName(cluster ?? 'default'), service);
  }

  private storedOrThrow(arn: string): StoredTaskDefinition {
    const stored = this.taskDefinitions.resolve(arn);
    if (stored === undefined) throw new Error(`simulated ECS lost task definition ${arn}`);
    return stored;
  }

  private isTaskDefinitionHealthy(arn: string): boolean {
    const stored = this.taskDefinitions.resolve(arn);
    return stored !== undefined && this.taskDefinitions.images(stored).every((image) => this.health.isHealthy(image));
  }

  private advance(service: SimService): void {
    const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
    advance(
      service,
      this.env.now(),
      this.options,
      { enable: breaker?.enable === true, rollback: breaker?.rollback === true },
      (arn) => this.isTaskDefinitionHealthy(arn),
    );
  }

  private describeServices(input: DescribeServicesCommandInput): Output<DescribeServicesCommandOutput> {
    const cluster = this.clusterOrThrow(input.cluster);
    const names = input.services ?? [];
    if (names.length === 0 || names.length > 10) {
      throw modeledError(InvalidParameterException, 'services must list between 1 and 10 services.', {});
    }
    const services: Service[] = [];
    const failures: Failure[] = [];
    for (const ref of names) {
      const service = cluster.services.get(nameFromArnOrName(ref));
      if (service === undefined || (ref.startsWith('arn:') && ref !== service.arn)) {
        failures.push({ arn: this.serviceArnOf(cluster.name, ref), reason: 'MISSING' });
        continue;
      }
      const described = this.describeService(service);
      if (input.include?.includes('TAGS') === true) described.tags = [];
      services.push(described);
    }
    return { services, failures };
  }

  private describeTaskDefinition(
    input: DescribeTaskDefinitionCommandInput,
  ): Output<DescribeTaskDefinitionCommandOutput> {
    const stored = this.taskDefinitions.resolve(input.taskDefinition);
    if (stored === undefined) throw modeledError(ClientException, 'Unable to describe task definition.', {});
    const output: Output<DescribeTaskDefinitionCommandOutput> = {
      taskDefinition: this.taskDefinitions.describe(stored),
    };
    if (input.include?.includes('TAGS') === true) output.tags = structuredClone(stored.tags);
    return output;
  }

  private authorizeRegistration(input: RegisterTaskDefinitionCommandInput): Authorization[] {
    const authorizations: Authorization[] = [{ action: 'ecs:RegisterTaskDefinition', resources: ['*'] }];
    const family = input.family ?? '';
    if ((input.tags ?? []).length > 0) {
      const arn = taskDefinitionArn(this.env, family, this.taskDefinitions.nextRevision(family));
      authorizations.push({ action: 'ecs:TagResource', resources: [arn] });
    }
    const roles = new Set([input.taskRoleArn, input.executionRoleArn].filter((r): r is string => r !== undefined));
    for (const role of roles) authorizations.push({ action: 'iam:PassRole', resources: [role] });
    return authorizations;
  }

  private registerTaskDefinition(
    input: RegisterTaskDefinitionCommandInput,
    context: CallContext,
  ): Output<RegisterTaskDefinitionCommandOutput> {
    const stored = this.taskDefinitions.register(input, context.at, principalArn(this.env, context.caller));
    const taskDefinition: TaskDefinition = this.taskDefinitions.describe(stored);
    return { taskDefinition, tags: structuredClone(stored.tags) };
  }

  private updateService(input: UpdateServiceCommandInput): Output<UpdateServiceCommandOutput> {
    const cluster = this.clusterOrThrow(input.cluster);
    const service = cluster.services.get(nameFromArnOrName(input.service ?? ''));
    if (service === undefined) throw modeledError(ServiceNotFoundException, 'Service not found.', {});
    if (service.status !== 'ACTIVE') throw modeledError(ServiceNotActiveException, 'Service was not ACTIVE.', {});
    this.advance(service);
    if (input.desiredCount !== undefined && (!Number.isInteger(input.desiredCount) || input.desiredCount < 0)) {
      throw modeledError(InvalidParameterException, 'desiredCount must be a non-negative integer.', {});
    }
    let target: StoredTaskDefinition | undefined;
    if (input.taskDefinition !== undefined) {
      target = this.taskDefinitions.resolve(input.taskDefinition);
      if (target === undefined || target.status !== 'ACTIVE') {
        throw modeledError(ClientException, 'TaskDefinition not found.', {});
      }
    }
    // Everything is validated: from here on the call changes the service.
    if (input.deploymentConfiguration !== undefined) {
      service.deploymentConfiguration = {
        ...service.deploymentConfiguration,
        ...structuredClone(input.deploymentConfiguration),
      };
    }
    const primary: SimDeployment = primaryOf(service);
    if (input.desiredCount !== undefined) {
      service.desiredCount = input.desiredCount;
      primary.desiredCount = input.desiredCount;
    }
    const changed = target !== undefined && target.arn !== primary.taskDefinitionArn;
    if (changed || input.forceNewDeployment === true) {
      startDeployment(service, target?.arn ?? primary.taskDefinitionArn, this.env.now());
    }
    return { service: this.describeService(service) };
  }
}
