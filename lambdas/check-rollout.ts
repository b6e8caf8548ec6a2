/**
 * CheckRollout: where the ECS rollout to a task definition stands.
 * COMPLETED and IN_PROGRESS are returned; a rollout ECS failed or replaced,
 * or one past its deadline, is thrown so the state machine rolls back.
 */
import type { Deployment as EcsDeployment } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import { now } from './shared/clock.ts';
import { DeploymentSchema } from './shared/deployment.ts';
import { describeService } from './shared/ecs.ts';
import { shortTaskDefinition } from './shared/task-definition-name.ts';
import { RolloutFailed, RolloutTimedOut } from './shared/errors.ts';
import { createHandler } from './shared/handler.ts';

const EventSchema = z.object({
  deployment: DeploymentSchema,
  taskDefinitionArn: z.string().min(1),
  deadline: z.number(),
});

export interface RolloutProgress {
  state: 'IN_PROGRESS' | 'COMPLETED';
  taskDefinitionArn: string;
  deadline: number;
  runningCount: number;
  desiredCount: number;
  failedTasks: number;
}

/** A rollout counts as complete when ECS says so, or (breaker off) when it is the only deployment and full. */
function isComplete(primary: EcsDeployment, deployments: EcsDeployment[]): boolean {
  if (primary.rolloutState !== undefined) return primary.rolloutState === 'COMPLETED';
  return deployments.length === 1 && (primary.runningCount ?? 0) >= (primary.desiredCount ?? 0);
}

export const handler = createHandler(EventSchema, async function check({ deployment, taskDefinitionArn, deadline }) {
  const label = shortTaskDefinition(taskDefinitionArn);
  const where = `${deployment.cluster}/${deployment.ecsService}`;
  const service = await describeService(deployment.cluster, deployment.ecsService);
  const deployments = service.deployments ?? [];
  const ours = deployments.find((d) => d.taskDefinition === taskDefinitionArn);
  if (ours?.rolloutState === 'FAILED') {
    throw new RolloutFailed(
      `ECS rollout of ${label} on ${where} failed: ${ours.rolloutStateReason ?? 'no reason given'} (${ours.failedTasks ?? 0} tasks failed)`,
    );
  }
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  if (primary === undefined || primary.taskDefinition !== taskDefinitionArn) {
    const runs = primary?.taskDefinition !== undefined ? shortTaskDefinition(primary.taskDefinition) : 'nothing';
    throw new RolloutFailed(`ECS rollout of ${label} on ${where} was replaced: the service now deploys ${runs}`);
  }
  const progress: RolloutProgress = {
    state: isComplete(primary, deployments) ? 'COMPLETED' : 'IN_PROGRESS',
    taskDefinitionArn,
    deadline,
    runningCount: primary.runningCount ?? 0,
    desiredCount: primary.desiredCount ?? 0,
    failedTasks: primary.failedTasks ?? 0,
  };
  if (progress.state === 'IN_PROGRESS' && now() > deadline) {
    throw new RolloutTimedOut(
      `ECS rollout of ${label} on ${where} did not finish within ${deployment.deploymentTimeoutSeconds}s (${progress.runningCount}/${progress.desiredCount} tasks running, ${progress.failedTasks} failed)`,
    );
  }
  return progress;
});
