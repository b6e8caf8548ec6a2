/**
 * The timings the world seeds its services and target groups with. The
 * simulation reads them back from the seeded resources (the service, its
 * task definition's container health check, its target groups' health check
 * and deregistration delay), never from constants.
 *
 * Defaults, and what they stand for:
 * - a Fargate task takes 15 s PROVISIONING (ENI) + 25 s PENDING (image pull,
 *   start) = 40 s to RUNNING, and 10 s from SIGTERM to STOPPED;
 * - the container health check runs every 10 s (timeout 5 s, 3 retries,
 *   30 s start period): a healthy container is HEALTHY 10 s after it starts,
 *   a failing one UNHEALTHY after 30 + 3 × 10 = 60 s;
 * - target groups check every 10 s (timeout 5 s): healthy after 3 checks
 *   (30 s), unhealthy after 2 (20 s); deregistration delay 30 s (AWS's
 *   default is 300 s; services tuned for deployments use 30-60 s);
 * - services behind a load balancer have a 60 s health check grace period.
 *
 * So a healthy rolling update of a service behind the load balancer takes
 * 40 s (start) + 30 s (healthy in its target group) + 30 s (old tasks
 * draining) + 10 s (stop) = 110 s; one without load balancer 40 + 10 + 10
 * = 60 s; tasks of an unhealthy image are stopped 40 + 60 = 100 s after
 * launch, and the circuit breaker (threshold 3 for up to 6 tasks) fails
 * the deployment then.
 */
import type { TaskTiming } from './ecs-model.ts';
import type { SeededContainerCheck } from './ecs-seed.ts';
import type { TargetGroupSettings } from './elbv2-seed.ts';

/** Every timing the world seeds. */
export interface WorldTiming {
  /** PROVISIONING -> PENDING, seconds. */
  taskProvisioningSeconds: number;
  /** PENDING -> RUNNING, seconds. */
  taskPendingSeconds: number;
  /** SIGTERM (after draining) -> STOPPED, seconds. */
  taskStopSeconds: number;
  /** Health check grace period of the seeded services behind a load balancer. */
  healthCheckGracePeriodSeconds: number;
  /** The container health check of the seeded task definitions, in seconds. */
  containerHealthCheck: SeededContainerCheck;
  /** Health check and deregistration delay of the seeded target groups. */
  targetGroup: TargetGroupSettings;
}

/** Timings to override; the rest keeps its default. */
export type WorldTimingOptions = Partial<Omit<WorldTiming, 'containerHealthCheck' | 'targetGroup'>> & {
  containerHealthCheck?: Partial<SeededContainerCheck>;
  targetGroup?: Partial<TargetGroupSettings>;
};

/** The defaults described above. */
export const DEFAULT_TIMING: Readonly<WorldTiming> = Object.freeze({
  taskProvisioningSeconds: 15,
  taskPendingSeconds: 25,
  taskStopSeconds: 10,
  healthCheckGracePeriodSeconds: 60,
  containerHealthCheck: Object.freeze({ interval: 10, timeout: 5, retries: 3, startPeriod: 30 }),
  targetGroup: Object.freeze({
    healthCheckIntervalSeconds: 10,
    healthCheckTimeoutSeconds: 5,
    healthyThresholdCount: 3,
    unhealthyThresholdCount: 2,
    deregistrationDelaySeconds: 30,
  }),
});

/** The defaults with `options` applied. */
export function worldTiming(options: WorldTimingOptions = {}): WorldTiming {
  const { containerHealthCheck, targetGroup, ...rest } = options;
  return {
    ...DEFAULT_TIMING,
    ...rest,
    containerHealthCheck: { ...DEFAULT_TIMING.containerHealthCheck, ...containerHealthCheck },
    targetGroup: { ...DEFAULT_TIMING.targetGroup, ...targetGroup },
  };
}

/** The task start and stop times of a timing, in ms. */
export function taskTimingOf(timing: WorldTiming): TaskTiming {
  return {
    provisioningMs: timing.taskProvisioningSeconds * 1000,
    pendingMs: timing.taskPendingSeconds * 1000,
    stopMs: timing.taskStopSeconds * 1000,
  };
}
