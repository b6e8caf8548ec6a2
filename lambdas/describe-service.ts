/**
 * DescribeService: what the service runs now. This is the state every
 * rollback returns to, so it refuses to start from a service that is already
 * in the middle of a rollout it did not start.
 */
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import { awsCall } from './shared/aws-call.ts';
import { DeploymentSchema, type ServiceState } from './shared/deployment.ts';
import { describeService, ecs } from './shared/ecs.ts';
import { shortTaskDefinition } from './shared/task-definition-name.ts';
import { ServiceNotReady } from './shared/errors.ts';
import { createHandler } from './shared/handler.ts';

const EventSchema = z.object({ deployment: DeploymentSchema });

export const handler = createHandler(EventSchema, async function describe({ deployment }): Promise<ServiceState> {
  const { cluster, ecsService, container } = deployment;
  const service = await describeService(cluster, ecsService);
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
  const taskDefinitionArn = primary?.taskDefinition ?? service.taskDefinition;
  if (taskDefinitionArn === undefined) throw new ServiceNotReady(`ECS service ${cluster}/${ecsService} has no task definition`);
  const busy = (service.deployments ?? []).filter((d) => d.status !== 'INACTIVE' && d.rolloutState !== 'COMPLETED');
  if (busy.length > 0 || (service.deployments?.length ?? 0) > 1) {
    throw new ServiceNotReady(
      `ECS service ${cluster}/${ecsService} already has a rollout in progress (${shortTaskDefinition(taskDefinitionArn)}); wait for it to finish, then deploy again`,
    );
  }
  const described = await awsCall('ecs:DescribeTaskDefinition', () =>
    ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn })),
  );
  const containers = described.taskDefinition?.containerDefinitions ?? [];
  const image = containers.find((c) => c.name === container)?.image;
  if (image === undefined) {
    throw new ServiceNotReady(
      `container '${container}' is not in task definition ${shortTaskDefinition(taskDefinitionArn)} (containers: ${containers.map((c) => c.name).join(', ')}); fix 'container' in the config`,
    );
  }
  const state: ServiceState = { taskDefinitionArn, image, desiredCount: service.desiredCount ?? 0 };
  const dc = service.deploymentConfiguration;
  if (dc?.maximumPercent !== undefined) state.maximumPercent = dc.maximumPercent;
  if (dc?.minimumHealthyPercent !== undefined) state.minimumHealthyPercent = dc.minimumHealthyPercent;
  return state;
});
