/**
 * RegisterTaskDefinition: a new revision of the running task definition in
 * which only the image of the configured container changes. Everything else
 * (roles, sidecars, environment, tags) is carried over as it is.
 */
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
  type Tag,
} from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { awsCall } from '../shared/aws-call.ts';
import { DeploymentSchema } from '../shared/deployment.ts';
import { ecs } from './ecs-client.ts';
import { shortTaskDefinition } from '../shared/task-definition-name.ts';
import { ServiceNotReady } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';

const EventSchema = z.object({
  deployment: DeploymentSchema,
  /** The revision the new one is based on: what the serving service runs. */
  taskDefinitionArn: z.string().check(z.minLength(1)),
});

/** The fields of a described task definition that RegisterTaskDefinition accepts back. */
export function registrationInput(
  td: TaskDefinition,
  tags: Tag[] | undefined,
  container: string,
  image: string,
  taskRoles?: readonly string[],
): RegisterTaskDefinitionCommandInput {
  if (td.family === undefined || td.containerDefinitions === undefined) {
    throw new ServiceNotReady('the running task definition has no family or containers');
  }
  if (!td.containerDefinitions.some((c) => c.name === container)) {
    throw new ServiceNotReady(`container '${container}' is not in task definition ${td.family}:${td.revision ?? '?'}`);
  }
  if (taskRoles !== undefined) {
    // The deployer may pass only the listed roles (iam:PassRole): say so here, not as an AccessDenied.
    for (const arn of [td.taskRoleArn, td.executionRoleArn]) {
      if (arn === undefined) continue;
      const at = arn.indexOf(':role/');
      const role = at < 0 ? arn : arn.slice(at + ':role/'.length);
      if (!taskRoles.includes(role)) {
        throw new ServiceNotReady(
          `task definition ${td.family}:${td.revision ?? '?'} uses the role ${role}, which taskRoles does not list: add it to the service's taskRoles and redeploy the deployer`,
        );
      }
    }
  }
  const input: RegisterTaskDefinitionCommandInput = {
    family: td.family,
    containerDefinitions: td.containerDefinitions.map((c) => (c.name === container ? { ...c, image } : c)),
    taskRoleArn: td.taskRoleArn,
    executionRoleArn: td.executionRoleArn,
    networkMode: td.networkMode,
    volumes: td.volumes,
    placementConstraints: td.placementConstraints,
    requiresCompatibilities: td.requiresCompatibilities,
    cpu: td.cpu,
    memory: td.memory,
    pidMode: td.pidMode,
    ipcMode: td.ipcMode,
    proxyConfiguration: td.proxyConfiguration,
    inferenceAccelerators: td.inferenceAccelerators,
    ephemeralStorage: td.ephemeralStorage,
    runtimePlatform: td.runtimePlatform,
    enableFaultInjection: td.enableFaultInjection,
  };
  if (tags !== undefined && tags.length > 0) input.tags = tags;
  // Absent fields must stay absent: RegisterTaskDefinition rejects some explicit nulls/empties.
  for (const key of Object.keys(input) as (keyof RegisterTaskDefinitionCommandInput)[]) {
    if (input[key] === undefined) delete input[key];
  }
  return input;
}

export const handler = createHandler(EventSchema, async function register({ deployment, taskDefinitionArn: basis }) {
  const described = await awsCall('ecs:DescribeTaskDefinition', () =>
    ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: basis, include: ['TAGS'] })),
  );
  if (described.taskDefinition === undefined) {
    throw new ServiceNotReady(`task definition ${shortTaskDefinition(basis)} was not found`);
  }
  const input = registrationInput(described.taskDefinition, described.tags, deployment.ecs.container, deployment.image, deployment.taskRoles);
  const registered = await awsCall('ecs:RegisterTaskDefinition', () =>
    ecs().send(new RegisterTaskDefinitionCommand(input)),
  );
  const taskDefinitionArn = registered.taskDefinition?.taskDefinitionArn;
  if (taskDefinitionArn === undefined) throw new ServiceNotReady('ECS returned no task definition ARN');
  logger.info('task definition registered', { taskDefinitionArn, image: deployment.image });
  return { taskDefinitionArn, taskDefinition: shortTaskDefinition(taskDefinitionArn) };
});
