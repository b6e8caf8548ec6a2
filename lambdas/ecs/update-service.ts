/**
 * UpdateService: point an ECS service at a task definition and/or task
 * count. Used to roll out the new revision (rolling, canary's primary,
 * blue-green's idle colour), to size the canary for each step, and to scale
 * a side down. The deployment circuit breaker is always on, so ECS stops a
 * rollout whose tasks cannot start.
 */
import { UpdateServiceCommand, type DeploymentConfiguration } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { awsCall } from '../shared/aws-call.ts';
import { now } from '../shared/clock.ts';
import { DeploymentSchema, ServiceStateSchema, type ServiceState } from '../shared/deployment.ts';
import { ServiceNotReady } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { shortTaskDefinition } from '../shared/task-definition-name.ts';
import { ecs } from './ecs-client.ts';
import { shareOf, type ServiceChangeResult } from './service-change.ts';

const EventSchema = z.object({
  deployment: DeploymentSchema,
  service: z.string().check(z.minLength(1)),
  taskDefinitionArn: z.optional(z.string().check(z.minLength(1))),
  desiredCount: z.optional(z.number().check(z.int(), z.gte(0))),
  /** A canary step: `percent` of `of` tasks (at least one). */
  share: z.optional(z.object({ of: z.number().check(z.int(), z.gte(0)), percent: z.number().check(z.int(), z.gte(1), z.lte(100)) })),
  /** The snapshot of a service whose rollout settings are kept (min healthy / max percent). */
  basis: z.optional(ServiceStateSchema),
}).check(
  z.refine((e) => e.taskDefinitionArn !== undefined || e.desiredCount !== undefined || e.share !== undefined, {
    message: 'give a taskDefinitionArn, a desiredCount or a share',
  }),
);

/**
 * The deployment configuration sent with an update: the basis' percentages
 * and deployment alarms as they are, and the circuit breaker on (a
 * deployment), or as the basis had it (`restore`: back to the snapshot).
 */
export function deploymentConfiguration(basis: ServiceState | undefined, restore = false): DeploymentConfiguration {
  const breaker = restore && basis?.circuitBreaker !== undefined ? basis.circuitBreaker : { enable: true, rollback: true };
  const configuration: DeploymentConfiguration = { deploymentCircuitBreaker: breaker };
  if (basis?.maximumPercent !== undefined) configuration.maximumPercent = basis.maximumPercent;
  if (basis?.minimumHealthyPercent !== undefined) configuration.minimumHealthyPercent = basis.minimumHealthyPercent;
  if (basis?.deploymentAlarms !== undefined) configuration.alarms = { ...basis.deploymentAlarms };
  return configuration;
}

/** Update `service` and return what to poll. */
export async function updateService(
  deployment: z.output<typeof DeploymentSchema>,
  service: string,
  change: { taskDefinitionArn?: string; desiredCount?: number; basis?: ServiceState; restore?: boolean },
): Promise<ServiceChangeResult> {
  const result = await awsCall('ecs:UpdateService', () =>
    ecs().send(
      new UpdateServiceCommand({
        cluster: deployment.ecs.cluster,
        service,
        taskDefinition: change.taskDefinitionArn,
        desiredCount: change.desiredCount,
        // A scale-only update leaves the service's rollout settings alone.
        deploymentConfiguration:
          change.basis !== undefined || change.taskDefinitionArn !== undefined ? deploymentConfiguration(change.basis, change.restore === true) : undefined,
      }),
    ),
  );
  const taskDefinitionArn = change.taskDefinitionArn ?? result.service?.taskDefinition;
  if (taskDefinitionArn === undefined) throw new ServiceNotReady(`ECS returned no task definition for ${service}`);
  const startedAt = now();
  return {
    state: 'IN_PROGRESS',
    service,
    taskDefinitionArn,
    desiredCount: change.desiredCount ?? result.service?.desiredCount ?? 0,
    startedAt,
    deadline: startedAt + deployment.deploymentTimeoutSeconds * 1000,
  };
}

export const handler = createHandler(EventSchema, async function update(event): Promise<ServiceChangeResult> {
  const { deployment, service, taskDefinitionArn, share, basis } = event;
  const desiredCount = share !== undefined ? shareOf(share.of, share.percent) : event.desiredCount;
  const change: { taskDefinitionArn?: string; desiredCount?: number; basis?: ServiceState } = {};
  if (taskDefinitionArn !== undefined) change.taskDefinitionArn = taskDefinitionArn;
  if (desiredCount !== undefined) change.desiredCount = desiredCount;
  if (basis !== undefined) change.basis = basis;
  const result = await updateService(deployment, service, change);
  logger.info('service updated', {
    serviceName: deployment.service,
    ecsService: service,
    taskDefinition: shortTaskDefinition(result.taskDefinitionArn),
    desiredCount: result.desiredCount,
  });
  return result;
});
