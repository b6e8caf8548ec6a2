/**
 * The health of one target in one target group, as a pure function of time,
 * the way Elastic Load Balancing reports it (DescribeTargetHealth) and ECS
 * reads it. Sources:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 * (states and reason codes, thresholds) and
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
 * (draining for the deregistration delay).
 *
 * - A target is listed from its registration until its deregistration delay
 *   has passed after deregistration; it is `draining` during that delay.
 * - Health checks run only while a listener or rule forwards to the target
 *   group ("in use"); otherwise the target is `unused` (Target.NotInUse).
 * - Once checks run, the target is `initial` until it has answered
 *   `healthyThreshold` checks (one per interval) and then `healthy`; a target
 *   whose checks fail turns `unhealthy` after `unhealthyThreshold` checks.
 *   Being taken out of use and back restarts the count.
 */
import type { TargetHealth } from '@aws-sdk/client-elastic-load-balancing-v2';

/** A period during which a listener or rule forwards to the target group; `to` undefined while it lasts. */
export interface UsageInterval {
  from: number;
  to?: number;
}

/** The health check settings that set the pace, in ms and counts. */
export interface HealthCheckTiming {
  intervalMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** `deregistration_delay.timeout_seconds`, in ms. */
  deregistrationDelayMs: number;
}

/** One target's registration and whether it answers its health checks. */
export interface TargetPresence {
  registeredAt: number;
  /** When deregistration started (ECS stopping the task). */
  deregisteredAt?: number;
  /** Whether the target's health checks succeed. */
  passes: boolean;
}

function containing(usage: readonly UsageInterval[], t: number): UsageInterval | undefined {
  return usage.find((u) => u.from <= t && (u.to === undefined || t < u.to));
}

/** The target's health at `t`, or undefined when it is not listed (not yet registered, or gone after draining). */
export function targetHealthAt(
  presence: TargetPresence,
  t: number,
  usage: readonly UsageInterval[],
  timing: HealthCheckTiming,
): TargetHealth | undefined {
  if (t < presence.registeredAt) return undefined;
  if (presence.deregisteredAt !== undefined && t >= presence.deregisteredAt) {
    if (t >= presence.deregisteredAt + timing.deregistrationDelayMs) return undefined;
    return {
      State: 'draining',
      Reason: 'Target.DeregistrationInProgress',
      Description: 'Target deregistration is in progress',
    };
  }
  const interval = containing(usage, t);
  if (interval === undefined) {
    return {
      State: 'unused',
      Reason: 'Target.NotInUse',
      Description: 'Target group is not configured to receive traffic from the load balancer',
    };
  }
  const checksFrom = Math.max(presence.registeredAt, interval.from);
  const needed = (presence.passes ? timing.healthyThreshold : timing.unhealthyThreshold) * timing.intervalMs;
  if (t < checksFrom + needed) {
    return t < checksFrom + timing.intervalMs
      ? { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' }
      : { State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' };
  }
  if (presence.passes) return { State: 'healthy' };
  return {
    State: 'unhealthy',
    Reason: 'Target.ResponseCodeMismatch',
    Description: 'Health checks failed with these codes: [503]',
  };
}

/**
 * When ECS may count the target as healthy: the first instant at or after
 * registration at which it is `healthy`, or `unused` (a target group no
 * listener forwards to has no health checks to wait for). Undefined when that
 * never happens as far as the usage known now goes.
 */
export function acceptableSince(
  presence: TargetPresence,
  usage: readonly UsageInterval[],
  timing: HealthCheckTiming,
): number | undefined {
  const r = presence.registeredAt;
  const interval = containing(usage, r);
  if (interval === undefined) return r;
  if (!presence.passes) return interval.to;
  const healthyAt = r + timing.healthyThreshold * timing.intervalMs;
  return interval.to === undefined || healthyAt < interval.to ? healthyAt : interval.to;
}

/** The first instant the target is `unhealthy` (its checks fail), if checks ever run long enough. */
export function unhealthySince(
  presence: TargetPresence,
  usage: readonly UsageInterval[],
  timing: HealthCheckTiming,
): number | undefined {
  if (presence.passes) return undefined;
  const needed = timing.unhealthyThreshold * timing.intervalMs;
  for (const interval of usage) {
    if (interval.to !== undefined && interval.to <= presence.registeredAt) continue;
    const at = Math.max(presence.registeredAt, interval.from) + needed;
    if (interval.to === undefined || at < interval.to) return at;
  }
  return undefined;
}

/** Whether the target receives requests at `t`: registered, not draining, and healthy. */
export function servesAt(
  presence: TargetPresence,
  t: number,
  usage: readonly UsageInterval[],
  timing: HealthCheckTiming,
): boolean {
  return targetHealthAt(presence, t, usage, timing)?.State === 'healthy';
}
