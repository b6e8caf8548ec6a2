/**
 * How an ECS rolling deployment progresses, as a pure function of virtual
 * time: nothing runs in the background; every read first replays what ECS
 * would have done since the last one (completion, circuit breaker, its
 * rollback), at the instants it would have done it.
 */
import { createHash } from 'node:crypto';
import { uuidFrom } from './ids.ts';

/** `rolloutState` of an ECS deployment. */
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One deployment of a service, as ECS tracks it. */
export interface SimDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinitionArn: string;
  desiredCount: number;
  createdAt: number;
  updatedAt: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /** Started by the circuit breaker, back to the last completed deployment's task definition. */
  rollback: boolean;
  /** Failed tasks, frozen when the deployment failed. */
  failedTasksAtEnd?: number;
}

/** A service event (`Service.events`), newest first. */
export interface SimServiceEvent {
  id: string;
  at: number;
  message: string;
}

/** What the rollout model reads and changes on a service. */
export interface RolloutService {
  name: string;
  arn: string;
  desiredCount: number;
  /** PRIMARY first, then ACTIVE ones, newest first. */
  deployments: SimDeployment[];
  /** The task definition of the last deployment that completed: what runs when nothing is rolling out. */
  lastCompletedTaskDefinitionArn: string;
  events: SimServiceEvent[];
  deploymentCounter: number;
}

/** How long ECS takes. */
export interface RolloutTiming {
  /** A healthy deployment reaches COMPLETED after this long. */
  rolloutMs: number;
  /** The circuit breaker fails a deployment whose tasks never become healthy after this long. */
  circuitBreakerMs: number;
}

/** `deploymentConfiguration.deploymentCircuitBreaker` as ECS applies it. */
export interface CircuitBreaker {
  enable: boolean;
  rollback: boolean;
}

/** Task counts of a deployment at one instant. */
export interface DeploymentCounts {
  running: number;
  pending: number;
  failed: number;
}

/** The ECS circuit breaker's failure threshold: half the desired count, at least 3, at most 200. */
export function failureThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount / 2)));
}

function addEvent(service: RolloutService, at: number, message: string): void {
  service.events.unshift({ id: uuidFrom(`${service.arn}#${at}#${message}`), at, message });
  // ECS keeps the latest 100 events.
  service.events.length = Math.min(service.events.length, 100);
}

/** A deterministic `ecs-svc/` + 19 digits. */
function deploymentId(service: RolloutService, n: number): string {
  const hex = createHash('sha256').update(`${service.arn}#${n}`).digest('hex').slice(0, 15);
  return `ecs-svc/${(BigInt(`0x${hex}`) % 10_000_000_000_000_000_000n).toString().padStart(19, '1')}`;
}

/** Start a deployment of `taskDefinitionArn`: it becomes PRIMARY, the previous PRIMARY becomes ACTIVE. */
export function startDeployment(
  service: RolloutService,
  taskDefinitionArn: string,
  at: number,
  rollback = false,
): SimDeployment {
  for (const deployment of service.deployments) deployment.status = 'ACTIVE';
  service.deploymentCounter += 1;
  const id = deploymentId(service, service.deploymentCounter);
  const deployment: SimDeployment = {
    id,
    status: 'PRIMARY',
    taskDefinitionArn,
    desiredCount: service.desiredCount,
    createdAt: at,
    updatedAt: at,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${id} in progress.`,
    rollback,
  };
  service.deployments.unshift(deployment);
  return deployment;
}

/** The PRIMARY deployment (a service always has one). */
export function primaryOf(service: RolloutService): SimDeployment {
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  if (primary === undefined) throw new Error(`simulated service ${service.name} has no PRIMARY deployment`);
  return primary;
}

/**
 * Replay what ECS did up to `now`. `healthy` tells whether a task definition's
 * tasks become healthy; `breaker` is read from the service's current
 * deployment configuration.
 */
export function advance(
  service: RolloutService,
  now: number,
  timing: RolloutTiming,
  breaker: CircuitBreaker,
  healthy: (taskDefinitionArn: string) => boolean,
): void {
  for (;;) {
    const primary = primaryOf(service);
    if (primary.rolloutState !== 'IN_PROGRESS') return;
    if (healthy(primary.taskDefinitionArn)) {
      const completedAt = primary.createdAt + timing.rolloutMs;
      if (now < completedAt) return;
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
      primary.updatedAt = completedAt;
      // The tasks of every older deployment have been replaced.
      service.deployments = [primary];
      service.lastCompletedTaskDefinitionArn = primary.taskDefinitionArn;
      addEvent(service, completedAt, `(service ${service.name}) (deployment ${primary.id}) deployment completed.`);
      addEvent(service, completedAt, `(service ${service.name}) has reached a steady state.`);
      return;
    }
    const failsAt = primary.createdAt + timing.circuitBreakerMs;
    // Without the breaker ECS keeps replacing failed tasks forever.
    if (!breaker.enable || now < failsAt) return;
    primary.rolloutState = 'FAILED';
    primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    primary.updatedAt = failsAt;
    primary.failedTasksAtEnd = failureThreshold(primary.desiredCount);
    addEvent(
      service,
      failsAt,
      `(service ${service.name}) (deployment ${primary.id}) deployment failed: tasks failed to start.`,
    );
    const target = service.lastCompletedTaskDefinitionArn;
    // A failed rollback is not rolled back again: ECS would otherwise ping-pong.
    if (!breaker.rollback || primary.rollback || target === primary.taskDefinitionArn) return;
    const rollback = startDeployment(service, target, failsAt, true);
    addEvent(service, failsAt, `(service ${service.name}) rolling back to deployment ${rollback.id}.`);
  }
}

/** Task counts of `deployment` at `now` (call `advance` first). */
export function countsOf(
  service: RolloutService,
  deployment: SimDeployment,
  now: number,
  timing: RolloutTiming,
  healthy: (taskDefinitionArn: string) => boolean,
): DeploymentCounts {
  const primary = primaryOf(service);
  const primaryRunning = (): number => {
    if (primary.rolloutState === 'COMPLETED') return primary.desiredCount;
    if (primary.rolloutState === 'FAILED' || !healthy(primary.taskDefinitionArn)) return 0;
    const elapsed = Math.max(0, now - primary.createdAt);
    return Math.min(primary.desiredCount, Math.floor((primary.desiredCount * elapsed) / timing.rolloutMs));
  };
  if (deployment === primary) {
    const running = primaryRunning();
    if (deployment.rolloutState === 'FAILED') {
      return { running: 0, pending: 0, failed: deployment.failedTasksAtEnd ?? 0 };
    }
    if (deployment.rolloutState === 'IN_PROGRESS' && !healthy(deployment.taskDefinitionArn)) {
      const threshold = failureThreshold(deployment.desiredCount);
      const elapsed = Math.max(0, now - deployment.createdAt);
      const failed = Math.floor((threshold * elapsed) / timing.circuitBreakerMs);
      return { running: 0, pending: deployment.desiredCount, failed };
    }
    return { running, pending: deployment.desiredCount - running, failed: 0 };
  }
  // The old tasks keep serving until new ones replace them; they all belong to the
  // newest older deployment of the last completed task definition.
  const serving = service.deployments.find(
    (d) => d !== primary && d.taskDefinitionArn === service.lastCompletedTaskDefinitionArn,
  );
  if (deployment !== serving) {
    return { running: 0, pending: 0, failed: deployment.failedTasksAtEnd ?? 0 };
  }
  return { running: Math.max(0, deployment.desiredCount - primaryRunning()), pending: 0, failed: 0 };
}
