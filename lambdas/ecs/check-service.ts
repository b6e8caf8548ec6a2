/**
 * CheckService: where an ECS rollout or scaling of one service stands.
 * COMPLETED once the asked-for task definition is the only deployment, ECS
 * calls it completed and exactly the desired count of tasks runs (draining
 * tasks included, so a scaled-down side has really stopped) and, when a
 * target group is given, that many targets are healthy in it (so traffic
 * can move there); IN_PROGRESS before. A rollout ECS failed or replaced, or
 * one past its deadline, is thrown so the state machine rolls back.
 */
import type { Deployment as EcsDeployment, Service } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { now } from '../shared/clock.ts';
import { DeploymentSchema } from '../shared/deployment.ts';
import { RolloutFailed, RolloutTimedOut } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { targetGroupName } from '../shared/snapshot-summary.ts';
import { shortTaskDefinition } from '../shared/task-definition-name.ts';
import { targetHealth } from '../elb/elb-client.ts';
import { describeService, primaryDeployment } from './ecs-client.ts';
import { ServiceChangeSchema, type ServiceChange } from './service-change.ts';

const EventSchema = z.extend(ServiceChangeSchema, {
  deployment: DeploymentSchema,
  startedAt: z.optional(z.number()),
  /** The service's target group: COMPLETED also needs `desiredCount` healthy targets there. */
  targetGroupArn: z.optional(z.string().check(z.minLength(1))),
});

export interface ServiceProgress extends ServiceChange {
  state: 'IN_PROGRESS' | 'COMPLETED';
  runningCount: number;
  /** Healthy targets in the target group, when one was given. */
  healthyTargets?: number;
  failedTasks: number;
  /** Epoch ms of this check (a bake that follows a completed rollout starts here). */
  checkedAt: number;
}

/** The ECS circuit breaker's failure threshold: half the desired count, at least 3, at most 200. */
export function failureThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount / 2)));
}

/** Done: ECS says COMPLETED (when it tracks rollout state), nothing else is deployed, and the count is right. */
export function isComplete(service: Service, primary: EcsDeployment, desiredCount: number): boolean {
  if (primary.rolloutState !== undefined && primary.rolloutState !== 'COMPLETED') return false;
  if ((service.deployments ?? []).length !== 1) return false;
  return (primary.runningCount ?? 0) === desiredCount && (service.runningCount ?? 0) === desiredCount;
}

export const handler = createHandler(EventSchema, async function check(event): Promise<ServiceProgress> {
  const { deployment, service: name, taskDefinitionArn, desiredCount, deadline } = event;
  const label = shortTaskDefinition(taskDefinitionArn);
  const where = `${deployment.ecs.cluster}/${name}`;
  const service = await describeService(deployment.ecs.cluster, name);
  const ours = service.deployments?.find((d) => d.taskDefinition === taskDefinitionArn);
  if (ours?.rolloutState === 'FAILED') {
    throw new RolloutFailed(
      `ECS rollout of ${label} on ${where} failed: ${ours.rolloutStateReason ?? 'no reason given'} (${ours.failedTasks ?? 0} tasks failed)`,
    );
  }
  const primary = primaryDeployment(service);
  if (primary === undefined || primary.taskDefinition !== taskDefinitionArn) {
    const runs = primary?.taskDefinition !== undefined ? shortTaskDefinition(primary.taskDefinition) : 'nothing';
    throw new RolloutFailed(`ECS rollout of ${label} on ${where} was replaced: the service now deploys ${runs}`);
  }
  // The circuit breaker watches rollouts only; a scale-up whose tasks keep failing (a canary step) is caught here.
  const failed = primary.failedTasks ?? 0;
  if (desiredCount > 0 && failed >= failureThreshold(desiredCount) && (primary.runningCount ?? 0) < desiredCount) {
    throw new RolloutFailed(
      `tasks of ${label} on ${where} keep failing to start: ${failed} failed, ${primary.runningCount ?? 0}/${desiredCount} running (the circuit breaker's threshold is ${failureThreshold(desiredCount)})`,
    );
  }
  const checkedAt = now();
  let complete = isComplete(service, primary, desiredCount);
  let healthyTargets: number | undefined;
  if (complete && event.targetGroupArn !== undefined && desiredCount > 0) {
    healthyTargets = (await targetHealth(event.targetGroupArn)).filter((t) => t.TargetHealth?.State === 'healthy').length;
    complete = healthyTargets >= desiredCount;
  }
  const progress: ServiceProgress = {
    state: complete ? 'COMPLETED' : 'IN_PROGRESS',
    service: name,
    taskDefinitionArn,
    desiredCount,
    deadline,
    startedAt: event.startedAt ?? checkedAt,
    runningCount: service.runningCount ?? primary.runningCount ?? 0,
    failedTasks: primary.failedTasks ?? 0,
    checkedAt,
  };
  if (healthyTargets !== undefined) progress.healthyTargets = healthyTargets;
  if (progress.state === 'IN_PROGRESS' && checkedAt > deadline) {
    throw new RolloutTimedOut(
      `ECS ${desiredCount === 0 ? 'scale-down' : 'rollout'} of ${label} on ${where} did not finish within ${deployment.deploymentTimeoutSeconds}s (${progress.runningCount}/${desiredCount} tasks running${healthyTargets !== undefined ? `, ${healthyTargets} healthy in ${targetGroupName(event.targetGroupArn ?? '')}` : ''}, ${progress.failedTasks} failed)`,
    );
  }
  return progress;
});
