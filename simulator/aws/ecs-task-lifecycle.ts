/**
 * One ECS task's lifecycle, as a pure function of time, of its image and of
 * the health checks it is subject to. Sources:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
 * (PROVISIONING, PENDING, RUNNING, DEACTIVATING, STOPPING, STOPPED),
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
 * (container health checks: interval, retries, startPeriod), and
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-load-balancing.html
 * (a task is registered in its target groups once RUNNING, counts as
 * healthy once its targets are, is stopped when they turn unhealthy after the
 * service's health check grace period, and is deregistered, drained for the
 * deregistration delay, before it stops).
 *
 * Images come in three fates: `healthy` (starts and passes every check; a
 * "bad" image that serves errors is healthy as far as ECS can tell),
 * `unhealthy` (starts, never passes a health check) and `missing` (ECR
 * cannot serve it: the task stops in PENDING with CannotPullContainerError).
 */
import type { SimService, SimTask } from './ecs-model.ts';
import { acceptableSince, unhealthySince, type HealthCheckTiming, type TargetPresence, type UsageInterval } from './target-health.ts';

/** What happens to tasks of a task definition. */
export type ImageFate = 'healthy' | 'unhealthy' | 'missing';

/** A container health check (`containerDefinitions[].healthCheck`), in ms. */
export interface ContainerCheck {
  intervalMs: number;
  retries: number;
  startPeriodMs: number;
}

/** A target group a service registers its tasks in, as its health checks see it. */
export interface TargetGroupView {
  arn: string;
  timing: HealthCheckTiming;
  usage: readonly UsageInterval[];
}

/** What the lifecycle of a service's tasks depends on besides the tasks themselves. */
export interface TaskEnvironment {
  fate(taskDefinitionArn: string): ImageFate;
  /** The health check of the task definition's essential containers, if it has one. */
  containerCheck(taskDefinitionArn: string): ContainerCheck | undefined;
  /** The ELBv2 target groups the service registers its tasks in (those that exist). */
  targetGroups(service: SimService): TargetGroupView[];
}

/** `lastStatus` of a task. */
export type TaskStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';

/** Whether the task reached RUNNING before it was asked to stop. */
export function everRan(task: SimTask): boolean {
  return task.runningAt !== undefined && (task.stopRequestedAt === undefined || task.runningAt <= task.stopRequestedAt);
}

/** The task's `lastStatus` at `t`. */
export function statusAt(task: SimTask, t: number): TaskStatus {
  if (task.stoppedAt !== undefined && t >= task.stoppedAt) return 'STOPPED';
  if (task.stopRequestedAt !== undefined && t >= task.stopRequestedAt) {
    if (!everRan(task)) return 'STOPPING';
    return task.drainedAt !== undefined && t < task.drainedAt ? 'DEACTIVATING' : 'STOPPING';
  }
  if (t < task.pendingAt) return 'PROVISIONING';
  if (task.runningAt === undefined || t < task.runningAt) return 'PENDING';
  return 'RUNNING';
}

/** The task as a target of its target groups, once it ran. */
export function presenceOf(task: SimTask, fate: ImageFate): TargetPresence | undefined {
  if (!everRan(task) || task.runningAt === undefined) return undefined;
  const presence: TargetPresence = { registeredAt: task.runningAt, passes: fate === 'healthy' };
  if (task.stopRequestedAt !== undefined) presence.deregisteredAt = task.stopRequestedAt;
  return presence;
}

/**
 * When ECS counts the task healthy: RUNNING, its container health check
 * HEALTHY (when it has one: the first check, one interval after start), and
 * every target healthy (or unused). Undefined when that never happens.
 */
export function healthyAt(task: SimTask, service: SimService, env: TaskEnvironment): number | undefined {
  const fate = env.fate(task.taskDefinitionArn);
  const presence = presenceOf(task, fate);
  if (presence === undefined || task.runningAt === undefined) return undefined;
  const check = env.containerCheck(task.taskDefinitionArn);
  let at = task.runningAt;
  if (check !== undefined) {
    if (fate !== 'healthy') return undefined;
    at = task.runningAt + check.intervalMs;
  }
  for (const group of env.targetGroups(service)) {
    const since = acceptableSince(presence, group.usage, group.timing);
    if (since === undefined) return undefined;
    at = Math.max(at, since);
  }
  return at;
}

/** When ECS stops the task for failing its health checks, and why; undefined if it never does. */
export function unhealthyStop(
  task: SimTask,
  service: SimService,
  env: TaskEnvironment,
): { at: number; reason: string } | undefined {
  const fate = env.fate(task.taskDefinitionArn);
  const presence = presenceOf(task, fate);
  if (fate !== 'unhealthy' || presence === undefined || task.runningAt === undefined) return undefined;
  let first: { at: number; reason: string } | undefined;
  const check = env.containerCheck(task.taskDefinitionArn);
  if (check !== undefined) {
    first = { at: task.runningAt + check.startPeriodMs + check.retries * check.intervalMs, reason: 'Task failed container health checks' };
  }
  for (const group of env.targetGroups(service)) {
    const at = unhealthySince(presence, group.usage, group.timing);
    if (at !== undefined && (first === undefined || at < first.at)) {
      first = { at, reason: `Task failed ELB health checks in (target-group ${group.arn})` };
    }
  }
  if (first === undefined) return undefined;
  return { at: Math.max(first.at, task.runningAt + service.healthCheckGracePeriodSeconds * 1000), reason: first.reason };
}

/** When a task whose image cannot be pulled stops, still PENDING: when it would have started. */
export function startFailureAt(task: SimTask, service: SimService, env: TaskEnvironment): number | undefined {
  if (task.runningAt !== undefined || env.fate(task.taskDefinitionArn) !== 'missing') return undefined;
  return task.pendingAt + service.timing.pendingMs;
}

/** Ask the task to stop at `at`: deregistered and drained for the longest deregistration delay, then stopped. */
export function requestStop(
  task: SimTask,
  service: SimService,
  env: TaskEnvironment,
  at: number,
  reason: { code: SimTask['stopCode']; text: string; failed: boolean },
): void {
  task.stopRequestedAt = at;
  task.stopCode = reason.code;
  task.stoppedReason = reason.text;
  task.failed = reason.failed;
  if (!everRan(task)) {
    task.drainedAt = at;
    task.stoppedAt = reason.code === 'TaskFailedToStart' ? at : at + service.timing.stopMs;
    return;
  }
  const delay = Math.max(0, ...env.targetGroups(service).map((g) => g.timing.deregistrationDelayMs));
  task.drainedAt = at + delay;
  task.stoppedAt = task.drainedAt + service.timing.stopMs;
}
