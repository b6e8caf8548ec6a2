/**
 * What the ECS service scheduler does, task by task, as a pure function of
 * virtual time: nothing runs in the background; every read first replays,
 * event by event, what ECS would have done since the last read (tasks
 * starting, turning healthy or failing, old tasks draining and stopping,
 * deployments completing, the circuit breaker and its rollback), at the
 * instants it would have done it. Decisions are deterministic.
 *
 * The model, and where it comes from:
 *
 * - Rolling update (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html):
 *   at most `floor(desired × maximumPercent / 100)` tasks are wanted at once
 *   (tasks ECS has asked to stop no longer count), and old tasks are stopped
 *   only while at least `ceil(desired × minimumHealthyPercent / 100)` healthy
 *   tasks remain; old tasks that are not healthy are stopped at once.
 * - A task is PROVISIONING, PENDING, then RUNNING after the service's task
 *   start time; it is registered in the service's target groups once
 *   RUNNING, and healthy once its container health check (one interval) and
 *   its targets (health check interval × healthy threshold) are; see
 *   `ecs-task-lifecycle.ts` and `target-health.ts`.
 * - A task whose checks fail is stopped once they have failed (container:
 *   startPeriod + retries × interval; target group: interval × unhealthy
 *   threshold), not before the health check grace period after it started
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html#ECS-CreateService-request-healthCheckGracePeriodSeconds),
 *   and counted in its deployment's `failedTasks`; ECS launches a replacement.
 * - Every stopped task is first deregistered and drained for its target
 *   groups' deregistration delay, then stops after the stop time
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-connection-draining.html).
 * - Deployment circuit breaker
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html):
 *   the deployment FAILS once `failedTasks` reaches
 *   min(200, max(3, ceil(desired / 2))); with rollback, a new deployment of
 *   the last completed task definition starts (a failed rollback is not
 *   rolled back again). Without the breaker ECS keeps replacing tasks.
 * - A deployment is COMPLETED when all its desired tasks run and are healthy
 *   and no task of another deployment is left (not even draining); older
 *   deployments then disappear.
 * - Scaling (a new desired count without a new deployment) starts tasks or
 *   stops the excess (not-yet-healthy and newest first), with the same
 *   draining. A DRAINING (deleted) service stops every task and becomes
 *   INACTIVE once the last one stopped.
 *
 * Simplifications: ECS's scheduler acts instantly rather than every few
 * seconds; tasks are placed round-robin over two subnets; no launch
 * throttling after repeated failures.
 */
import { uuidFrom } from './ids.ts';
import { failureThreshold, primaryOf, type SimDeployment, type SimService, type SimTask } from './ecs-model.ts';
import {
  healthyAt,
  requestStop,
  startFailureAt,
  unhealthyStop,
  type TaskEnvironment,
} from './ecs-task-lifecycle.ts';
import { hexFrom } from './random.ts';

/** Where a new task runs: its id, ARN and network identity. */
export interface TaskPlacement {
  id: string;
  arn: string;
  ip: string;
  availabilityZone: string;
}

/** What the scheduler needs from the rest of the world. */
export interface SchedulerEnvironment extends TaskEnvironment {
  /** Place a new task of the service (deterministic). */
  place(service: SimService): TaskPlacement;
}

function addEvent(service: SimService, at: number, message: string): void {
  service.events.unshift({ id: uuidFrom(`${service.arn}#${at}#${service.events.length}#${message}`), at, message });
  // ECS keeps the latest 100 events.
  service.events.length = Math.min(service.events.length, 100);
}

/** A deterministic `ecs-svc/` + 19 digits. */
function deploymentId(service: SimService, n: number): string {
  const hex = hexFrom(15, service.arn, service.createdAt, n);
  return `ecs-svc/${(BigInt(`0x${hex}`) % 10_000_000_000_000_000_000n).toString().padStart(19, '1')}`;
}

/** Start a deployment of `taskDefinitionArn`: it becomes PRIMARY, the previous PRIMARY becomes ACTIVE. */
export function startDeployment(service: SimService, taskDefinitionArn: string, at: number, rollback = false): SimDeployment {
  for (const deployment of service.deployments) deployment.status = 'ACTIVE';
  service.deploymentCounter += 1;
  const id = deploymentId(service, service.deploymentCounter);
  const deployment: SimDeployment = {
    id,
    status: 'PRIMARY',
    taskDefinitionArn,
    createdAt: at,
    updatedAt: at,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${id} in progress.`,
    rollback,
    failedTasks: 0,
  };
  service.deployments.unshift(deployment);
  return deployment;
}

/** Tasks ECS still wants (not asked to stop). */
export function liveTasks(service: SimService): SimTask[] {
  return service.tasks.filter((t) => t.stopRequestedAt === undefined);
}

function isHealthy(task: SimTask, service: SimService, env: TaskEnvironment, t: number): boolean {
  const at = healthyAt(task, service, env);
  return at !== undefined && at <= t;
}

function launch(service: SimService, deployment: SimDeployment, count: number, at: number, env: SchedulerEnvironment): void {
  const started: string[] = [];
  for (let i = 0; i < count; i += 1) {
    service.taskCounter += 1;
    const placement = env.place(service);
    const pendingAt = at + service.timing.provisioningMs;
    const task: SimTask = {
      id: placement.id,
      arn: placement.arn,
      deploymentId: deployment.id,
      taskDefinitionArn: deployment.taskDefinitionArn,
      ip: placement.ip,
      availabilityZone: placement.availabilityZone,
      createdAt: at,
      pendingAt,
      runningAt: env.fate(deployment.taskDefinitionArn) === 'missing' ? undefined : pendingAt + service.timing.pendingMs,
      failed: false,
    };
    service.tasks.push(task);
    started.push(`(task ${task.id})`);
  }
  addEvent(service, at, `(service ${service.name}) has started ${count} tasks: ${started.join(' ')}.`);
}

function stopTasks(service: SimService, tasks: SimTask[], at: number, env: SchedulerEnvironment, why: string): void {
  if (tasks.length === 0) return;
  for (const task of tasks) {
    requestStop(task, service, env, at, { code: 'ServiceSchedulerInitiated', text: why, failed: false });
  }
  const draining = tasks.filter((t) => t.drainedAt !== undefined && t.drainedAt > at).length;
  if (draining > 0) addEvent(service, at, `(service ${service.name}) has begun draining connections on ${draining} tasks.`);
  addEvent(
    service,
    at,
    `(service ${service.name}) has stopped ${tasks.length} running tasks: ${tasks.map((t) => `(task ${t.id})`).join(' ')}.`,
  );
}

/** Stop candidates in the order ECS picks them: not yet healthy first, then newest first. */
function stopOrder(tasks: SimTask[], healthy: (task: SimTask) => boolean): SimTask[] {
  return [...tasks].sort((a, b) => Number(healthy(a)) - Number(healthy(b)) || b.createdAt - a.createdAt);
}

/** Fail tasks whose image cannot be pulled or whose health checks failed by `t`. */
function failTasks(service: SimService, t: number, env: SchedulerEnvironment): void {
  for (const task of liveTasks(service)) {
    const deployment = service.deployments.find((d) => d.id === task.deploymentId);
    const startFailed = startFailureAt(task, service, env);
    if (startFailed !== undefined && startFailed <= t) {
      requestStop(task, service, env, startFailed, {
        code: 'TaskFailedToStart',
        text: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref: not found',
        failed: true,
      });
    } else {
      const unhealthy = unhealthyStop(task, service, env);
      if (unhealthy === undefined || unhealthy.at > t) continue;
      requestStop(task, service, env, unhealthy.at, { code: 'ServiceSchedulerInitiated', text: unhealthy.reason, failed: true });
      addEvent(service, unhealthy.at, `(service ${service.name}) (task ${task.id}) ${unhealthy.reason.replace(/^Task /, '')}.`);
    }
    if (deployment !== undefined) deployment.failedTasks += 1;
  }
}

/** The circuit breaker: fail the PRIMARY deployment once enough tasks failed, and roll back. */
function tripBreaker(service: SimService, t: number): void {
  const primary = primaryOf(service);
  const breaker = service.deploymentConfiguration.deploymentCircuitBreaker;
  if (primary.rolloutState !== 'IN_PROGRESS' || breaker?.enable !== true) return;
  if (primary.failedTasks < failureThreshold(service.desiredCount)) return;
  primary.rolloutState = 'FAILED';
  primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
  primary.updatedAt = t;
  addEvent(service, t, `(service ${service.name}) (deployment ${primary.id}) deployment failed: tasks failed to start.`);
  const target = service.lastCompletedTaskDefinitionArn;
  // A failed rollback is not rolled back again: ECS would otherwise ping-pong.
  if (breaker.rollback !== true || primary.rollback || target === primary.taskDefinitionArn) return;
  const rollback = startDeployment(service, target, t, true);
  addEvent(service, t, `(service ${service.name}) rolling back to deployment ${rollback.id}.`);
}

/** One pass of the rolling update and scaling decisions at `t`; true when it changed something. */
function schedulePass(service: SimService, t: number, env: SchedulerEnvironment): boolean {
  const live = liveTasks(service);
  if (service.status !== 'ACTIVE') {
    stopTasks(service, live, t, env, 'Service is being deleted');
    return false;
  }
  const healthy = (task: SimTask): boolean => isHealthy(task, service, env, t);
  const primary = primaryOf(service);
  const desired = service.desiredCount;
  const primaryLive = live.filter((task) => task.deploymentId === primary.id);
  if (primaryLive.length > desired) {
    const excess = stopOrder(primaryLive, healthy).slice(0, primaryLive.length - desired);
    stopTasks(service, excess, t, env, `Scaling activity initiated by (deployment ${primary.id})`);
    return true;
  }
  const maximum = Math.floor((desired * (service.deploymentConfiguration.maximumPercent ?? 200)) / 100);
  const room = maximum - live.length;
  const needed = desired - primaryLive.length;
  if (primary.rolloutState !== 'FAILED' && room > 0 && needed > 0) {
    launch(service, primary, Math.min(room, needed), t, env);
    return true;
  }
  const minimumHealthy = Math.ceil((desired * (service.deploymentConfiguration.minimumHealthyPercent ?? 100)) / 100);
  let healthyCount = live.filter(healthy).length;
  const stopping: SimTask[] = [];
  for (const task of stopOrder(live.filter((task) => task.deploymentId !== primary.id), healthy)) {
    if (!healthy(task)) stopping.push(task);
    else if (healthyCount - 1 >= minimumHealthy) {
      stopping.push(task);
      healthyCount -= 1;
    }
  }
  stopTasks(service, stopping, t, env, `Deployment ${primary.id} replaced the task`);
  return stopping.length > 0;
}

/** Completion of the PRIMARY deployment, and INACTIVE once a deleted service has no task left. */
function settleState(service: SimService, t: number, env: SchedulerEnvironment): void {
  const running = service.tasks.filter((task) => task.stoppedAt === undefined || task.stoppedAt > t);
  if (service.status === 'DRAINING') {
    if (running.length === 0) service.status = 'INACTIVE';
    return;
  }
  const primary = primaryOf(service);
  if (primary.rolloutState !== 'IN_PROGRESS') return;
  const mine = liveTasks(service).filter((task) => task.deploymentId === primary.id);
  const others = running.filter((task) => task.deploymentId !== primary.id);
  const allHealthy = mine.every((task) => isHealthy(task, service, env, t));
  if (mine.length !== service.desiredCount || !allHealthy || others.length > 0) return;
  primary.rolloutState = 'COMPLETED';
  primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
  primary.updatedAt = t;
  service.deployments = [primary];
  service.lastCompletedTaskDefinitionArn = primary.taskDefinitionArn;
  addEvent(service, t, `(service ${service.name}) (deployment ${primary.id}) deployment completed.`);
  addEvent(service, t, `(service ${service.name}) has reached a steady state.`);
}

/** Everything ECS does at `t`: failures, the breaker, scheduling until nothing changes, completion. */
export function actAt(service: SimService, t: number, env: SchedulerEnvironment): void {
  if (service.status === 'INACTIVE') return;
  failTasks(service, t, env);
  tripBreaker(service, t);
  for (let pass = 0; pass < 100 && schedulePass(service, t, env); pass += 1) {
    // Launching frees nothing and stopping may make room: repeat until stable.
  }
  settleState(service, t, env);
  // Failed tasks that stopped matter no more (their count is kept on the deployment).
  service.tasks = service.tasks.filter((task) => !(task.failed && task.stoppedAt !== undefined && task.stoppedAt <= t));
}

/** The next instant after `t` at which something happens to the service, if anything will. */
function nextEventAfter(service: SimService, t: number, env: SchedulerEnvironment): number | undefined {
  let next: number | undefined;
  const consider = (at: number | undefined): void => {
    if (at !== undefined && at > t && (next === undefined || at < next)) next = at;
  };
  for (const task of service.tasks) {
    if (task.stopRequestedAt === undefined) {
      consider(startFailureAt(task, service, env));
      consider(healthyAt(task, service, env));
      consider(unhealthyStop(task, service, env)?.at);
    }
    consider(task.stoppedAt);
  }
  return next;
}

/** Replay what ECS did from the last replay up to `now`. */
export function replay(service: SimService, now: number, env: SchedulerEnvironment): void {
  let t = service.replayedTo;
  for (;;) {
    if (service.status === 'INACTIVE') break;
    const next = nextEventAfter(service, t, env);
    if (next === undefined || next > now) break;
    t = next;
    actAt(service, t, env);
  }
  service.replayedTo = Math.max(service.replayedTo, now);
}
