/**
 * A simulated service as DescribeServices (and Create/Update/DeleteService)
 * return it: the service's settings, and per deployment the task counts ECS
 * reports (runningCount: RUNNING tasks, draining ones included; pendingCount:
 * PROVISIONING and PENDING ones; failedTasks: what the circuit breaker
 * counts).
 */
import type { Deployment, Service } from '@aws-sdk/client-ecs';
import { primaryOf, type SimDeployment, type SimService } from './ecs-model.ts';
import { statusAt } from './ecs-task-lifecycle.ts';

/** Fargate's platform version when the service asks for LATEST. */
const FARGATE_PLATFORM = '1.4.0';

interface Counts {
  running: number;
  pending: number;
  /** Tasks ECS still wants: an ACTIVE deployment's desired count shrinks with them. */
  wanted: number;
}

function countsOf(service: SimService, deployment: SimDeployment, at: number): Counts {
  const counts: Counts = { running: 0, pending: 0, wanted: 0 };
  for (const task of service.tasks) {
    if (task.deploymentId !== deployment.id) continue;
    const status = statusAt(task, at);
    if (status === 'RUNNING' || status === 'DEACTIVATING') counts.running += 1;
    if (status === 'PROVISIONING' || status === 'PENDING') counts.pending += 1;
    if (task.stopRequestedAt === undefined) counts.wanted += 1;
  }
  return counts;
}

function capacity(service: SimService): Pick<Deployment, 'launchType' | 'capacityProviderStrategy'> {
  if (service.capacityProviderStrategy !== undefined) {
    return { capacityProviderStrategy: service.capacityProviderStrategy.map((s) => ({ ...s })) };
  }
  return { launchType: service.launchType ?? 'FARGATE' };
}

function describeDeployment(service: SimService, deployment: SimDeployment, at: number): Deployment {
  const counts = countsOf(service, deployment, at);
  return {
    id: deployment.id,
    status: deployment.status,
    taskDefinition: deployment.taskDefinitionArn,
    desiredCount: deployment.status === 'PRIMARY' ? service.desiredCount : counts.wanted,
    pendingCount: counts.pending,
    runningCount: counts.running,
    failedTasks: deployment.failedTasks,
    createdAt: new Date(deployment.createdAt),
    updatedAt: new Date(deployment.updatedAt),
    ...capacity(service),
    platformVersion: service.platformVersion === 'LATEST' ? FARGATE_PLATFORM : service.platformVersion,
    platformFamily: 'Linux',
    networkConfiguration: structuredClone(service.networkConfiguration),
    rolloutState: deployment.rolloutState,
    rolloutStateReason: deployment.rolloutStateReason,
  };
}

/** The SDK's `Service` of a simulated service at `at` (the scheduler has replayed up to `at`). */
export function describeService(service: SimService, at: number): Service {
  const inactive = service.status === 'INACTIVE';
  const deployments = inactive ? [] : service.deployments.map((d) => describeDeployment(service, d, at));
  const described: Service = {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: service.clusterArn,
    loadBalancers: service.loadBalancers.map((lb) => ({ ...lb })),
    serviceRegistries: [],
    status: service.status,
    desiredCount: service.desiredCount,
    runningCount: deployments.reduce((sum, d) => sum + (d.runningCount ?? 0), 0),
    pendingCount: deployments.reduce((sum, d) => sum + (d.pendingCount ?? 0), 0),
    ...capacity(service),
    platformVersion: service.platformVersion,
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
    deploymentController: { type: service.deploymentController },
    createdBy: service.createdBy,
    enableECSManagedTags: service.enableECSManagedTags,
    propagateTags: service.propagateTags,
    enableExecuteCommand: false,
    availabilityZoneRebalancing: 'ENABLED',
  };
  if (service.loadBalancers.length > 0 || service.healthCheckGracePeriodSeconds > 0) described.healthCheckGracePeriodSeconds = service.healthCheckGracePeriodSeconds;
  return described;
}
