/**
 * Deployment metrics, as CloudWatch Embedded Metric Format lines in the
 * function's log (no API call, no IAM): one count per deployment phase and
 * the duration of finished deployments, per service and for the whole
 * deployer. The stack's dashboard charts them and its alarms watch the
 * deployer-wide `Failed` count and lock ages.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DeploymentStatus } from './history.ts';
import { logger } from './logger.ts';

/** The `service` dimension Powertools puts on every metric: the deployer itself. */
export const DEPLOYER_DIMENSION = 'deployer';
/** The dimension naming the deployed service. */
export const SERVICE_DIMENSION = 'ServiceName';

/** The metric counting each status: `Started`, `Succeeded`, `RolledBack`... */
export const STATUS_METRIC: Record<DeploymentStatus, string> = {
  IN_PROGRESS: 'Started',
  SUCCEEDED: 'Succeeded',
  ROLLED_BACK: 'RolledBack',
  FAILED: 'Failed',
  SUPERSEDED: 'Superseded',
  ABORTED: 'Aborted',
  TIMED_OUT: 'TimedOut',
};
/** Seconds from the start of an execution to its outcome. */
export const DURATION_METRIC = 'DurationSeconds';
/** Seconds a service's lock has been held (emitted by AuditLocks). */
export const LOCK_AGE_METRIC = 'LockAgeSeconds';
/** Locks held longer than their service's longest deployment (emitted by AuditLocks). */
export const OVERDUE_LOCKS_METRIC = 'OverdueLocks';

export interface DeploymentMetric {
  service: string;
  status: DeploymentStatus;
  /** Seconds since the execution started, for a final status. */
  durationSeconds?: number;
}

/** A fresh Metrics object: the namespace and switches are read from the environment each time. */
function metrics(): Metrics {
  return new Metrics({ serviceName: DEPLOYER_DIMENSION });
}

/**
 * Emit one status of a deployment: its count and duration per service, and
 * its count for the whole deployer (what the stack's alarms watch). Never
 * fails the caller: a metric is not worth a rollback.
 */
export function emitDeploymentMetric({ service, status, durationSeconds }: DeploymentMetric): void {
  try {
    const perService = metrics();
    perService.addDimension(SERVICE_DIMENSION, service);
    perService.addMetric(STATUS_METRIC[status], MetricUnit.Count, 1);
    if (durationSeconds !== undefined && status !== 'IN_PROGRESS') {
      perService.addMetric(DURATION_METRIC, MetricUnit.Seconds, Math.max(0, durationSeconds));
    }
    perService.publishStoredMetrics();
    const deployerWide = metrics();
    deployerWide.addMetric(STATUS_METRIC[status], MetricUnit.Count, 1);
    deployerWide.publishStoredMetrics();
  } catch (error) {
    logger.warn('could not emit the deployment metric', { serviceName: service, status, error: error as Error });
  }
}

export interface LockAge {
  service: string;
  /** Seconds the lock has been held; undefined when nobody holds it. */
  ageSeconds?: number;
  /** True when it is held longer than the service's longest deployment. */
  overdue: boolean;
}

/** Emit the age of each held lock and how many are overdue (0 included, so the alarm always has data). */
export function emitLockAges(locks: readonly LockAge[]): void {
  for (const lock of locks) {
    if (lock.ageSeconds === undefined) continue;
    const perService = metrics();
    perService.addDimension(SERVICE_DIMENSION, lock.service);
    perService.addMetric(LOCK_AGE_METRIC, MetricUnit.Seconds, lock.ageSeconds);
    perService.publishStoredMetrics();
  }
  const deployerWide = metrics();
  deployerWide.addMetric(OVERDUE_LOCKS_METRIC, MetricUnit.Count, locks.filter((l) => l.overdue).length);
  deployerWide.publishStoredMetrics();
}
