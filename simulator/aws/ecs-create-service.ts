/**
 * CreateService as ECS validates it, for the simulated (Fargate, awsvpc)
 * services: a name unique among ACTIVE and DRAINING services, an ACTIVE task
 * definition compatible with the launch type, a launch type XOR a capacity
 * provider strategy, a network configuration for awsvpc, and load balancers
 * whose target groups exist, are attached to a load balancer, take `ip`
 * targets and name a container and port of the task definition.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
 */
import {
  InvalidParameterException,
  type CreateServiceCommandInput,
  type DeploymentControllerType,
  type LoadBalancer,
} from '@aws-sdk/client-ecs';
import { serviceArn, type Place } from './arns.ts';
import type { SimService, TaskTiming } from './ecs-model.ts';
import { startDeployment } from './ecs-scheduler.ts';
import type { StoredTaskDefinition, TaskDefinitionStore } from './ecs-task-definitions.ts';
import { modeledError } from './sdk-errors.ts';
import { SimulationNotImplemented } from './sdk-errors.ts';

/** What ECS checks of a target group a service names. */
export interface TargetGroupFacts {
  targetType: string;
  /** The load balancer a listener or rule of which forwards to it, if any. */
  loadBalancerArn: string | undefined;
}

/** The target groups ECS can look up. */
export type TargetGroupLookup = (targetGroupArn: string) => TargetGroupFacts | undefined;

/** The cluster a service is created in. */
export interface ClusterFacts {
  name: string;
  arn: string;
  capacityProviders: readonly string[];
  /** The service of that name, if one exists in any status. */
  existing: SimService | undefined;
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;

function invalid(message: string): Error {
  return modeledError(InvalidParameterException, message, {});
}

function activeTaskDefinition(store: TaskDefinitionStore, ref: string | undefined): StoredTaskDefinition {
  const stored = store.resolve(ref);
  if (stored === undefined) throw invalid('TaskDefinition not found.');
  if (stored.status !== 'ACTIVE') throw invalid('TaskDefinition is inactive.');
  return stored;
}

function checkCapacity(input: CreateServiceCommandInput, cluster: ClusterFacts, taskDefinition: StoredTaskDefinition): void {
  const strategy = input.capacityProviderStrategy ?? [];
  if (input.launchType !== undefined && strategy.length > 0) {
    throw invalid('Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
  }
  for (const item of strategy) {
    if (!cluster.capacityProviders.includes(item.capacityProvider ?? '')) {
      throw invalid(
        'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. ' +
          'Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
      );
    }
  }
  const fargate = strategy.length > 0 ? strategy.every((s) => s.capacityProvider?.startsWith('FARGATE') === true) : input.launchType === 'FARGATE';
  // Without either, and without a default strategy on the cluster, ECS uses the EC2 launch type.
  const launchType = fargate ? 'FARGATE' : (input.launchType ?? 'EC2');
  if (!(taskDefinition.definition.requiresCompatibilities ?? ['EC2']).includes(launchType)) {
    throw invalid(`Task definition does not support launch_type ${launchType}.`);
  }
}

function checkLoadBalancer(lb: LoadBalancer, taskDefinition: StoredTaskDefinition, lookup: TargetGroupLookup): void {
  if (lb.loadBalancerName !== undefined) {
    throw new SimulationNotImplemented('the simulated ECS creates services behind Application Load Balancers only (targetGroupArn)');
  }
  const arn = lb.targetGroupArn ?? '';
  const group = lookup(arn);
  if (group === undefined) throw invalid(`The target group with targetGroupArn ${arn} does not exist.`);
  if (group.loadBalancerArn === undefined) {
    throw invalid(`The target group with targetGroupArn ${arn} does not have an associated load balancer.`);
  }
  if (taskDefinition.definition.networkMode === 'awsvpc' && group.targetType !== 'ip') {
    throw invalid(
      `The provided target group ${arn} has target type ${group.targetType}, which is incompatible with the awsvpc network mode specified in the task definition.`,
    );
  }
  const container = taskDefinition.definition.containerDefinitions?.find((c) => c.name === lb.containerName);
  if (container === undefined) throw invalid(`The container ${lb.containerName ?? 'null'} does not exist in the task definition.`);
  if (!(container.portMappings ?? []).some((p) => p.containerPort === lb.containerPort)) {
    throw invalid(`The container ${container.name ?? ''} did not have a container port ${lb.containerPort ?? 'null'} defined.`);
  }
}

/**
 * Validate a CreateService request and build the new service (not yet
 * scheduled: the caller runs the scheduler at `at` to start its tasks).
 */
export function createService(
  input: CreateServiceCommandInput,
  context: { place: Place; cluster: ClusterFacts; taskDefinitions: TaskDefinitionStore; lookup: TargetGroupLookup; timing: TaskTiming; at: number; createdBy: string },
): SimService {
  const { cluster, at } = context;
  const name = input.serviceName ?? '';
  if (!NAME.test(name)) {
    throw invalid('Service names can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.');
  }
  if (cluster.existing?.status === 'ACTIVE') throw invalid('Creation of service was not idempotent.');
  if (cluster.existing?.status === 'DRAINING') throw invalid('Unable to Start a service that is still Draining.');
  const taskDefinition = activeTaskDefinition(context.taskDefinitions, input.taskDefinition);
  checkCapacity(input, cluster, taskDefinition);
  const desiredCount = input.desiredCount ?? 0;
  if (!Number.isInteger(desiredCount) || desiredCount < 0) throw invalid('desiredCount must be a non-negative integer.');
  if (taskDefinition.definition.networkMode === 'awsvpc' && input.networkConfiguration?.awsvpcConfiguration === undefined) {
    throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  const loadBalancers = input.loadBalancers ?? [];
  if (loadBalancers.length > 5) throw invalid('loadBalancers can have at most 5 items.');
  for (const lb of loadBalancers) checkLoadBalancer(lb, taskDefinition, context.lookup);
  const grace = input.healthCheckGracePeriodSeconds ?? 0;
  if (!Number.isInteger(grace) || grace < 0 || grace > 2_147_483_647) {
    throw invalid('healthCheckGracePeriodSeconds must be between 0 and 2147483647.');
  }
  const controller: DeploymentControllerType = input.deploymentController?.type ?? 'ECS';
  const service: SimService = {
    name,
    arn: serviceArn(context.place, cluster.name, name),
    cluster: cluster.name,
    clusterArn: cluster.arn,
    status: 'ACTIVE',
    createdAt: at,
    createdBy: context.createdBy,
    desiredCount,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: false, rollback: false },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      ...structuredClone(input.deploymentConfiguration ?? {}),
    },
    deploymentController: controller,
    networkConfiguration: structuredClone(input.networkConfiguration ?? {}),
    loadBalancers: loadBalancers.map((lb) => ({ ...lb })),
    platformVersion: input.platformVersion ?? 'LATEST',
    healthCheckGracePeriodSeconds: grace,
    propagateTags: input.propagateTags ?? 'NONE',
    enableECSManagedTags: input.enableECSManagedTags ?? false,
    tags: (input.tags ?? []).map((t) => ({ ...t })),
    timing: { ...context.timing },
    deployments: [],
    lastCompletedTaskDefinitionArn: taskDefinition.arn,
    events: [],
    deploymentCounter: 0,
    tasks: [],
    taskCounter: 0,
    replayedTo: at,
  };
  if (input.capacityProviderStrategy !== undefined && input.capacityProviderStrategy.length > 0) {
    service.capacityProviderStrategy = input.capacityProviderStrategy.map((s) => ({ ...s }));
  } else service.launchType = input.launchType === 'FARGATE' ? 'FARGATE' : 'EC2';
  startDeployment(service, taskDefinition.arn, at);
  return service;
}
