/**
 * The simulated ECS data model: services, their deployments and their
 * tasks. How they evolve with time is in `ecs-scheduler.ts`; how a task
 * moves through its lifecycle, in `ecs-task-lifecycle.ts`.
 */
import type {
  CapacityProviderStrategyItem,
  DeploymentConfiguration,
  DeploymentControllerType,
  LoadBalancer,
  NetworkConfiguration,
  Tag,
} from '@aws-sdk/client-ecs';

/** `rolloutState` of an ECS deployment. */
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One deployment of a service, as ECS tracks it. */
export interface SimDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinitionArn: string;
  createdAt: number;
  updatedAt: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /** Started by the circuit breaker, back to the last completed deployment's task definition. */
  rollback: boolean;
  /** Tasks of this deployment that stopped before becoming healthy (what the circuit breaker counts). */
  failedTasks: number;
}

/** How a task stops. */
export type StopCode = 'ServiceSchedulerInitiated' | 'TaskFailedToStart' | 'EssentialContainerExited';

/** One task of a service. Times are epoch ms of virtual time. */
export interface SimTask {
  id: string;
  arn: string;
  deploymentId: string;
  taskDefinitionArn: string;
  /** Private IP of the task's ENI: its target id in ip target groups. */
  ip: string;
  availabilityZone: string;
  /** PROVISIONING from here. */
  createdAt: number;
  /** PENDING from here (ENI attached, image being pulled). */
  pendingAt: number;
  /** RUNNING from here, unless it stopped before; undefined when its image cannot be pulled. */
  runningAt: number | undefined;
  /** When ECS decided to stop it (desiredStatus STOPPED); deregistration from its target groups starts then. */
  stopRequestedAt?: number;
  stopCode?: StopCode;
  stoppedReason?: string;
  /** It stopped before ever becoming healthy: counted in its deployment's failedTasks. */
  failed: boolean;
  /** When its deregistration delay ends (the longest of its target groups'); equals stopRequestedAt without target groups. */
  drainedAt?: number;
  /** STOPPED from here. */
  stoppedAt?: number;
}

/** A service event (`Service.events`), newest first. */
export interface SimServiceEvent {
  id: string;
  at: number;
  message: string;
}

/** How long a task takes to start and to stop on this service's capacity (the simulation's own settings). */
export interface TaskTiming {
  /** PROVISIONING -> PENDING (Fargate: ENI provisioning). */
  provisioningMs: number;
  /** PENDING -> RUNNING (image pull, container start). */
  pendingMs: number;
  /** From SIGTERM (after draining) to STOPPED. */
  stopMs: number;
}

/** A simulated ECS service. */
export interface SimService {
  name: string;
  arn: string;
  cluster: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  createdAt: number;
  createdBy: string;
  desiredCount: number;
  deploymentConfiguration: DeploymentConfiguration;
  deploymentController: DeploymentControllerType;
  networkConfiguration: NetworkConfiguration;
  loadBalancers: LoadBalancer[];
  launchType?: 'FARGATE' | 'EC2';
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion: string;
  healthCheckGracePeriodSeconds: number;
  propagateTags: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableECSManagedTags: boolean;
  tags: Tag[];
  timing: TaskTiming;
  /** PRIMARY first, then ACTIVE ones, newest first. */
  deployments: SimDeployment[];
  /** The task definition of the last deployment that completed: what a circuit breaker rollback returns to. */
  lastCompletedTaskDefinitionArn: string;
  events: SimServiceEvent[];
  deploymentCounter: number;
  /** Every task not yet forgotten, oldest first. Failed tasks are forgotten once stopped. */
  tasks: SimTask[];
  taskCounter: number;
  /** The virtual time up to which the scheduler has replayed what ECS did. */
  replayedTo: number;
}

/** The PRIMARY deployment (a service always has one). */
export function primaryOf(service: SimService): SimDeployment {
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  if (primary === undefined) throw new Error(`simulated service ${service.name} has no PRIMARY deployment`);
  return primary;
}

/** The ECS circuit breaker's failure threshold: half the desired count, at least 3, at most 200. */
export function failureThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount / 2)));
}
