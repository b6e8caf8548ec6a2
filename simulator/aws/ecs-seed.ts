/**
 * The services the world starts with: a task definition revision (the
 * configured container plus a log-router sidecar, roles, Fargate sizing, a
 * container health check) and a service that has been running it for a
 * long time: one COMPLETED deployment, its desired tasks RUNNING and healthy.
 */
import type { ContainerDefinition, DeploymentControllerType, LoadBalancer } from '@aws-sdk/client-ecs';
import { serviceArn, type Place } from './arns.ts';
import type { SimService, TaskTiming } from './ecs-model.ts';
import { startDeployment, type SchedulerEnvironment } from './ecs-scheduler.ts';
import type { StoredTaskDefinition, TaskDefinitionStore } from './ecs-task-definitions.ts';

/** The sidecar every seeded task definition has: a deployment must leave it alone. */
export const SIDECAR_CONTAINER = 'log-router';
/** The sidecar's image. */
export const SIDECAR_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4';
/** The port the seeded app containers listen on (and their target groups forward to). */
export const APP_PORT = 8080;
/** The subnets and security group every seeded service runs in. */
export const SEEDED_SUBNETS = ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'];
const SEEDED_SECURITY_GROUP = 'sg-0a1b2c3d4e5f60003';
const DAY_MS = 86_400_000;

/** The container health check of seeded task definitions, in seconds (ECS's HealthCheck fields). */
export interface SeededContainerCheck {
  interval: number;
  timeout: number;
  retries: number;
  startPeriod: number;
}

/** A seeded task definition revision. */
export interface TaskDefinitionSeed {
  family: string;
  revision: number;
  container: string;
  image: string;
  containerCheck: SeededContainerCheck;
}

/** A seeded service. */
export interface ServiceSeed {
  cluster: string;
  clusterArn: string;
  service: string;
  taskDefinition: StoredTaskDefinition;
  desiredCount: number;
  loadBalancers: LoadBalancer[];
  deploymentController: DeploymentControllerType;
  healthCheckGracePeriodSeconds: number;
  timing: TaskTiming;
}

/** Register (or find, when the same revision was seeded already) a seeded task definition revision. */
export function seedTaskDefinition(
  store: TaskDefinitionStore,
  place: Place,
  seed: TaskDefinitionSeed,
  at: number,
): StoredTaskDefinition {
  const existing = store.resolve(`${seed.family}:${seed.revision}`);
  if (existing !== undefined) return existing;
  const sidecar = seed.container === SIDECAR_CONTAINER ? `${SIDECAR_CONTAINER}-sidecar` : SIDECAR_CONTAINER;
  const role = (suffix: string): string => `arn:aws:iam::${place.account}:role/${seed.family}-${suffix}`;
  const app: ContainerDefinition = {
    name: seed.container,
    image: seed.image,
    essential: true,
    portMappings: [{ containerPort: APP_PORT, hostPort: APP_PORT, protocol: 'tcp', name: 'http' }],
    environment: [{ name: 'PORT', value: String(APP_PORT) }],
    healthCheck: {
      command: ['CMD-SHELL', `curl -fs http://localhost:${APP_PORT}/health || exit 1`],
      ...seed.containerCheck,
    },
    logConfiguration: { logDriver: 'awsfirelens', options: { Name: 'cloudwatch_logs', region: place.region } },
    dependsOn: [{ containerName: sidecar, condition: 'START' }],
  };
  return store.register(
    {
      family: seed.family,
      taskRoleArn: role('task'),
      executionRoleArn: role('execution'),
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
      containerDefinitions: [
        app,
        { name: sidecar, image: SIDECAR_IMAGE, essential: true, memoryReservation: 50, firelensConfiguration: { type: 'fluentbit' } },
      ],
      tags: [{ key: 'team', value: 'platform' }],
    },
    at - 30 * DAY_MS + seed.revision * 60_000,
    `arn:aws:iam::${place.account}:root`,
    seed.revision,
  );
}

/**
 * A service created 30 days ago whose tasks have run for a day: one
 * COMPLETED deployment, `desiredCount` tasks RUNNING and long healthy.
 */
export function seedService(place: Place, seed: ServiceSeed, at: number, env: SchedulerEnvironment): SimService {
  const createdAt = at - 30 * DAY_MS;
  const service: SimService = {
    name: seed.service,
    arn: serviceArn(place, seed.cluster, seed.service),
    cluster: seed.cluster,
    clusterArn: seed.clusterArn,
    status: 'ACTIVE',
    createdAt,
    createdBy: `arn:aws:iam::${place.account}:role/platform-admin`,
    desiredCount: seed.desiredCount,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deploymentController: seed.deploymentController,
    networkConfiguration: {
      awsvpcConfiguration: { subnets: [...SEEDED_SUBNETS], securityGroups: [SEEDED_SECURITY_GROUP], assignPublicIp: 'DISABLED' },
    },
    loadBalancers: seed.loadBalancers.map((lb) => ({ ...lb })),
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    healthCheckGracePeriodSeconds: seed.healthCheckGracePeriodSeconds,
    propagateTags: 'NONE',
    enableECSManagedTags: true,
    tags: [],
    timing: { ...seed.timing },
    deployments: [],
    lastCompletedTaskDefinitionArn: seed.taskDefinition.arn,
    events: [],
    deploymentCounter: 0,
    tasks: [],
    taskCounter: 0,
    replayedTo: at,
  };
  const first = startDeployment(service, seed.taskDefinition.arn, createdAt);
  first.rolloutState = 'COMPLETED';
  first.rolloutStateReason = `ECS deployment ${first.id} completed.`;
  first.updatedAt = createdAt + 5 * 60_000;
  for (let i = 0; i < seed.desiredCount; i += 1) {
    service.taskCounter += 1;
    const placement = env.place(service);
    const started = at - DAY_MS;
    service.tasks.push({
      id: placement.id,
      arn: placement.arn,
      deploymentId: first.id,
      taskDefinitionArn: seed.taskDefinition.arn,
      ip: placement.ip,
      availabilityZone: placement.availabilityZone,
      createdAt: started - seed.timing.provisioningMs - seed.timing.pendingMs,
      pendingAt: started - seed.timing.pendingMs,
      runningAt: started,
      failed: false,
    });
  }
  return service;
}
