/**
 * UpdateService: point the service at a task definition. Used to deploy the
 * new revision and, by the rollback states, to return to the previous one.
 * The deployment circuit breaker is always on so ECS stops a rollout whose
 * tasks cannot start; the deployer then rolls back and records why.
 */
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import { awsCall } from './shared/aws-call.ts';
import { now } from './shared/clock.ts';
import { DeploymentSchema, ServiceStateSchema } from './shared/deployment.ts';
import { ecs } from './shared/ecs.ts';
import { shortTaskDefinition } from './shared/task-definition-name.ts';
import { createHandler } from './shared/handler.ts';
import { logger } from './shared/logger.ts';

const EventSchema = z.object({
  deployment: DeploymentSchema,
  current: ServiceStateSchema,
  taskDefinitionArn: z.string().min(1),
});

export const handler = createHandler(EventSchema, async function update({ deployment, current, taskDefinitionArn }) {
  await awsCall('ecs:UpdateService', () =>
    ecs().send(
      new UpdateServiceCommand({
        cluster: deployment.cluster,
        service: deployment.ecsService,
        taskDefinition: taskDefinitionArn,
        deploymentConfiguration: {
          maximumPercent: current.maximumPercent,
          minimumHealthyPercent: current.minimumHealthyPercent,
          deploymentCircuitBreaker: { enable: true, rollback: true },
        },
      }),
    ),
  );
  const deadline = now() + deployment.deploymentTimeoutSeconds * 1000;
  logger.info('service updated', { serviceName: deployment.service, taskDefinition: shortTaskDefinition(taskDefinitionArn) });
  return { state: 'IN_PROGRESS' as const, taskDefinitionArn, deadline };
});
