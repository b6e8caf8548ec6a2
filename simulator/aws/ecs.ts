/**
 * Simulated Amazon ECS: clusters, services with their tasks, rolling
 * deployments (with the circuit breaker), scaling, CreateService and
 * DeleteService, task definitions. Services progress with the virtual clock:
 * every read first replays what the scheduler did (see `ecs-scheduler.ts`);
 * image health comes from `ImageHealth`, target group health checks from the
 * simulated ELBv2 (through a `TargetGroupDirectory`).
 */
import {
  ClientException,
  ClusterNotFoundException,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
  ServiceNotActiveException,
  ServiceNotFoundException,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
  type CreateServiceCommandOutput,
  type DeleteServiceCommandInput,
  type DeleteServiceCommandOutput,
  type DeploymentConfiguration,
  type DescribeServicesCommandInput,
  type DescribeServicesCommandOutput,
  type DescribeTaskDefinitionCommandInput,
  type DescribeTaskDefinitionCommandOutput,
  type Failure,
  type RegisterTaskDefinitionCommandInput,
  type RegisterTaskDefinitionCommandOutput,
  type Service,
  type UpdateServiceCommandInput,
  type UpdateServiceCommandOutput,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { principalArn, refuseUnimplemented, serve, type ApiEnvironment, type CallContext, type SimulatedApi } from './api-call.ts';
import { clusterArn, nameFromArnOrName, serviceArn, taskArn, taskDefinitionArn } from './arns.ts';
import type { Authorization } from './calls.ts';
import { createService, type TargetGroupFacts } from './ecs-create-service.ts';
import { describeService } from './ecs-describe.ts';
import { primaryOf, type SimService, type SimTask, type TaskTiming } from './ecs-model.ts';
import { actAt, replay, startDeployment, type SchedulerEnvironment, type TaskPlacement } from './ecs-scheduler.ts';
import { seedService, seedTaskDefinition, type ServiceSeed, type TaskDefinitionSeed } from './ecs-seed.ts';
import { TaskDefinitionStore, type StoredTaskDefinition } from './ecs-task-definitions.ts';
import type { ContainerCheck, ImageFate, TargetGroupView } from './ecs-task-lifecycle.ts';
import type { ImageHealth } from './image-health.ts';
import { hexFrom } from './random.ts';
import { modeledError, SimulationNotImplemented } from './sdk-errors.ts';

export { SIDECAR_CONTAINER, SIDECAR_IMAGE } from './ecs-seed.ts';
export type { SimService, SimTask } from './ecs-model.ts';

type Output<T> = Omit<T, '$metadata'>;

/** The target groups ECS registers tasks in, as the simulated ELBv2 knows them. */
export interface TargetGroupDirectory {
  /** Health check timing and usage history of a target group, if it exists. */
  view(targetGroupArn: string): TargetGroupView | undefined;
  /** What CreateService checks, if it exists. */
  facts(targetGroupArn: string): TargetGroupFacts | undefined;
}

/** A service seed without what SimEcs fills in itself. */
export type EcsServiceSeed = Omit<ServiceSeed, 'clusterArn' | 'timing'> & { timing?: TaskTiming };

interface SimCluster {
  name: string;
  arn: string;
  capacityProviders: string[];
  services: Map<string, SimService>;
}

const ECS_DEFAULT_CHECK = { interval: 30, retries: 3, startPeriod: 0 };

/** The simulated ECS of the world's account and region. */
export class SimEcs implements SimulatedApi {
  /** Every task definition, seeded or registered. */
  public readonly taskDefinitions: TaskDefinitionStore;
  private readonly clusters = new Map<string, SimCluster>();
  /** INACTIVE services a new one of the same name replaced: their tasks served once. */
  private readonly retired: SimService[] = [];
  private placements = 0;
  private readonly scheduling: SchedulerEnvironment = {
    fate: (arn) => this.fateOf(arn),
    containerCheck: (arn) => this.containerCheckOf(arn),
    targetGroups: (service) => this.targetGroupsOf(service),
    place: (service) => this.place(service),
  };

  /**
   * @param defaultTiming How long tasks of services created through the API take to start and stop.
   */
  public constructor(
    private readonly env: ApiEnvironment,
    private readonly health: ImageHealth,
    private readonly targetGroups: TargetGroupDirectory,
    private readonly defaultTiming: TaskTiming,
  ) {
    this.taskDefinitions = new TaskDefinitionStore(env);
  }

  /** Register a seeded task definition revision (or return it when already seeded). */
  public seedTaskDefinition(seed: TaskDefinitionSeed): StoredTaskDefinition {
    return seedTaskDefinition(this.taskDefinitions, this.env, seed, this.env.now());
  }

  /** Create a long-running service (and its cluster): one COMPLETED deployment, its tasks RUNNING and healthy. */
  public seedService(seed: EcsServiceSeed): SimService {
    const cluster = this.cluster(seed.cluster) ?? this.createCluster(seed.cluster);
    const existing = cluster.services.get(seed.service);
    if (existing !== undefined) return existing;
    const service = seedService(
      this.env,
      { ...seed, clusterArn: cluster.arn, timing: seed.timing ?? this.defaultTiming },
      this.env.now(),
      this.scheduling,
    );
    cluster.services.set(service.name, service);
    return service;
  }

  /** A service by cluster and name (any status), brought up to date with the virtual clock. */
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

  /** Every service, INACTIVE ones replaced by a new one of the same name included, that registers tasks in a target group. */
  public servicesIn(targetGroupArn: string): SimService[] {
    return [...this.retired, ...this.services()].filter((s) => s.loadBalancers.some((lb) => lb.targetGroupArn === targetGroupArn));
  }

  /** The service as DescribeServices returns it now. */
  public describeService(service: SimService): Service {
    this.advance(service);
    return describeService(service, this.env.now());
  }

  /** The PRIMARY deployment's task definition of a service. */
  public primaryTaskDefinition(service: SimService): StoredTaskDefinition {
    this.advance(service);
    return this.storedOrThrow(primaryOf(service).taskDefinitionArn);
  }

  /** Whether the tasks of the PRIMARY deployment start and pass their health checks. */
  public isPrimaryHealthy(service: SimService): boolean {
    this.advance(service);
    return this.fateOf(primaryOf(service).taskDefinitionArn) === 'healthy';
  }

  /** The tasks of a service known now (stopped ones that served included), brought up to date. */
  public tasksOf(service: SimService): readonly SimTask[] {
    this.advance(service);
    return service.tasks;
  }

  /** What ECS sees of tasks of a task definition (its images' worst fate). */
  public fateOf(taskDefinitionArn: string): ImageFate {
    const stored = this.taskDefinitions.resolve(taskDefinitionArn);
    if (stored === undefined) return 'missing';
    const fates = this.taskDefinitions.images(stored).map((image) => this.health.fateOf(image));
    if (fates.includes('missing')) return 'missing';
    return fates.includes('unhealthy') ? 'unhealthy' : 'healthy';
  }

  /** The ELBv2 target groups a service registers its tasks in, as their health checks see them. */
  public targetGroupsOf(service: SimService): TargetGroupView[] {
    return service.loadBalancers.flatMap((lb) => {
      const view = lb.targetGroupArn === undefined ? undefined : this.targetGroups.view(lb.targetGroupArn);
      return view === undefined ? [] : [view];
    });
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
    const onService = (action: string) => (input: { cluster?: string | undefined; service?: string | undefined }) => [
      { action, resources: [this.serviceArnOf(input.cluster, input.service ?? '')] },
    ];
    stub.on(DescribeServicesCommand).callsFake(
      serve(this.env, ECSServiceException, {
        action: 'ecs:DescribeServices',
        authorize: (input: DescribeServicesCommandInput) => [
          { action: 'ecs:DescribeServices', resources: (input.services ?? []).map((s) => this.serviceArnOf(input.cluster, s)) },
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
        run: (input: RegisterTaskDefinitionCommandInput, context: CallContext) => this.registerTaskDefinition(input, context),
      }),
    );
    stub.on(UpdateServiceCommand).callsFake(
      serve(this.env, ECSServiceException, {
        action: 'ecs:UpdateService',
        authorize: onService('ecs:UpdateService'),
        run: (input: UpdateServiceCommandInput) => this.updateService(input),
      }),
    );
    stub.on(CreateServiceCommand).callsFake(
      serve(this.env, ECSServiceException, {
        action: 'ecs:CreateService',
        authorize: (input: CreateServiceCommandInput) => this.authorizeCreation(input),
        run: (input: CreateServiceCommandInput, context: CallContext) => this.createService(input, context),
      }),
    );
    stub.on(DeleteServiceCommand).callsFake(
      serve(this.env, ECSServiceException, {
        action: 'ecs:DeleteService',
        authorize: onService('ecs:DeleteService'),
        run: (input: DeleteServiceCommandInput) => this.deleteService(input),
      }),
    );
    return () => stub.restore();
  }

  private createCluster(name: string): SimCluster {
    const cluster: SimCluster = {
      name,
      arn: clusterArn(this.env, name),
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      services: new Map(),
    };
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

  private serviceOrThrow(input: { cluster?: string | undefined; service?: string | undefined }): SimService {
    const cluster = this.clusterOrThrow(input.cluster);
    const service = cluster.services.get(nameFromArnOrName(input.service ?? ''));
    if (service === undefined) throw modeledError(ServiceNotFoundException, 'Service not found.', {});
    this.advance(service);
    return service;
  }

  private storedOrThrow(arn: string): StoredTaskDefinition {
    const stored = this.taskDefinitions.resolve(arn);
    if (stored === undefined) throw new Error(`simulated ECS lost task definition ${arn}`);
    return stored;
  }

  private containerCheckOf(taskDefinitionArn: string): ContainerCheck | undefined {
    const stored = this.taskDefinitions.resolve(taskDefinitionArn);
    const check = stored?.definition.containerDefinitions?.find((c) => c.essential !== false && c.healthCheck !== undefined)?.healthCheck;
    if (check === undefined) return undefined;
    return {
      intervalMs: (check.interval ?? ECS_DEFAULT_CHECK.interval) * 1000,
      retries: check.retries ?? ECS_DEFAULT_CHECK.retries,
      startPeriodMs: (check.startPeriod ?? ECS_DEFAULT_CHECK.startPeriod) * 1000,
    };
  }

  /** Tasks go round-robin over two subnets; each gets the next private IP. */
  private place(service: SimService): TaskPlacement {
    const n = this.placements;
    this.placements += 1;
    const subnet = n % 2;
    const host = Math.floor(n / 2) + 10;
    const id = hexFrom(32, service.arn, service.createdAt, service.taskCounter);
    return {
      id,
      arn: taskArn(this.env, service.cluster, id),
      ip: `10.0.${subnet * 16 + Math.floor(host / 250)}.${(host % 250) + 4}`,
      availabilityZone: `${this.env.region}${subnet === 0 ? 'a' : 'b'}`,
    };
  }

  private advance(service: SimService): void {
    replay(service, this.env.now(), this.scheduling);
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
      if (input.include?.includes('TAGS') === true) described.tags = service.tags.map((t) => ({ ...t }));
      services.push(described);
    }
    return { services, failures };
  }

  private describeTaskDefinition(input: DescribeTaskDefinitionCommandInput): Output<DescribeTaskDefinitionCommandOutput> {
    const stored = this.taskDefinitions.resolve(input.taskDefinition);
    if (stored === undefined) throw modeledError(ClientException, 'Unable to describe task definition.', {});
    const output: Output<DescribeTaskDefinitionCommandOutput> = { taskDefinition: this.taskDefinitions.describe(stored) };
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
    return { taskDefinition: this.taskDefinitions.describe(stored), tags: structuredClone(stored.tags) };
  }

  private authorizeCreation(input: CreateServiceCommandInput): Authorization[] {
    const arn = this.serviceArnOf(input.cluster, input.serviceName ?? '');
    const authorizations: Authorization[] = [{ action: 'ecs:CreateService', resources: [arn] }];
    if ((input.tags ?? []).length > 0) authorizations.push({ action: 'ecs:TagResource', resources: [arn] });
    return authorizations;
  }

  private createService(input: CreateServiceCommandInput, context: CallContext): Output<CreateServiceCommandOutput> {
    const cluster = this.clusterOrThrow(input.cluster);
    const existing = cluster.services.get(input.serviceName ?? '');
    if (existing !== undefined) this.advance(existing);
    const service = createService(input, {
      place: this.env,
      cluster: { name: cluster.name, arn: cluster.arn, capacityProviders: cluster.capacityProviders, existing },
      taskDefinitions: this.taskDefinitions,
      lookup: (arn) => this.targetGroups.facts(arn),
      timing: this.defaultTiming,
      at: context.at,
      createdBy: principalArn(this.env, context.caller),
    });
    if (existing !== undefined) this.retired.push(existing);
    cluster.services.set(service.name, service);
    actAt(service, context.at, this.scheduling);
    return { service: describeService(service, context.at) };
  }

  private updateService(input: UpdateServiceCommandInput): Output<UpdateServiceCommandOutput> {
    const service = this.serviceOrThrow(input);
    if (service.status !== 'ACTIVE') throw modeledError(ServiceNotActiveException, 'Service was not ACTIVE.', {});
    const unsupported = (['loadBalancers', 'serviceRegistries', 'serviceConnectConfiguration', 'volumeConfigurations'] as const).find(
      (field) => input[field] !== undefined,
    );
    if (unsupported !== undefined) throw new SimulationNotImplemented(`the simulated ECS does not update a service's ${unsupported}`);
    if (input.desiredCount !== undefined && (!Number.isInteger(input.desiredCount) || input.desiredCount < 0)) {
      throw modeledError(InvalidParameterException, 'desiredCount must be a non-negative integer.', {});
    }
    let target: StoredTaskDefinition | undefined;
    if (input.taskDefinition !== undefined) {
      target = this.taskDefinitions.resolve(input.taskDefinition);
      if (target === undefined || target.status !== 'ACTIVE') throw modeledError(ClientException, 'TaskDefinition not found.', {});
    }
    const redeploys = target !== undefined || input.forceNewDeployment === true;
    if (redeploys && service.deploymentController !== 'ECS') {
      throw modeledError(
        InvalidParameterException,
        service.deploymentController === 'CODE_DEPLOY'
          ? 'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.'
          : 'Unable to update task definition on services with a EXTERNAL deployment controller. Use task sets to update the service.',
        {},
      );
    }
    // Everything is validated: from here on the call changes the service.
    if (input.deploymentConfiguration !== undefined) {
      service.deploymentConfiguration = { ...service.deploymentConfiguration, ...structuredClone(input.deploymentConfiguration) };
    }
    if (input.healthCheckGracePeriodSeconds !== undefined) service.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
    if (input.networkConfiguration !== undefined) service.networkConfiguration = structuredClone(input.networkConfiguration);
    if (input.platformVersion !== undefined) service.platformVersion = input.platformVersion;
    if (input.desiredCount !== undefined) service.desiredCount = input.desiredCount;
    const primary = primaryOf(service);
    if ((target !== undefined && target.arn !== primary.taskDefinitionArn) || input.forceNewDeployment === true) {
      startDeployment(service, target?.arn ?? primary.taskDefinitionArn, this.env.now());
    }
    actAt(service, this.env.now(), this.scheduling);
    return { service: describeService(service, this.env.now()) };
  }

  private deleteService(input: DeleteServiceCommandInput): Output<DeleteServiceCommandOutput> {
    const service = this.serviceOrThrow(input);
    if (service.status !== 'ACTIVE') throw modeledError(ServiceNotActiveException, 'Service was not ACTIVE.', {});
    if (service.desiredCount > 0 && input.force !== true) {
      throw modeledError(InvalidParameterException, 'The service cannot be stopped while it is scaled above 0.', {});
    }
    service.desiredCount = 0;
    service.status = 'DRAINING';
    const described = describeService(service, this.env.now());
    actAt(service, this.env.now(), this.scheduling);
    return { service: described };
  }
}
