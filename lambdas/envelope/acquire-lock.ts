/**
 * AcquireLock: one deployment per service at a time. Returns ACQUIRED,
 * WAITING (the state machine waits and asks again) or SUPERSEDED (a newer
 * deployment of the service was asked for while this one waited).
 *
 * While waiting, it asks Step Functions whether the holder still runs: a
 * holder that ended without releasing the lock (stopped or timed out, and
 * its status-change event lost) would otherwise block the service forever.
 * Its lock is taken over and its end recorded in the history.
 */
import { AnyDeploymentSchema } from '../shared/any-deployment.ts';
import * as z from 'zod/mini';
import { nowIso } from '../shared/clock.ts';

import { recordExecutionEnd } from '../shared/execution-end.ts';
import { isUncleanEnd } from '../shared/execution-status.ts';
import { describeExecution } from '../shared/executions.ts';
import { createHandler } from '../shared/handler.ts';
import { acquireLock, takeOverLock, type LockRequest, type LockResult } from '../shared/lock.ts';
import { logger } from '../shared/logger.ts';
import { needsRestore, startRestore } from '../shared/restore-start.ts';

const EventSchema = z.object({ deployment: AnyDeploymentSchema });

/**
 * How long a holder that does not exist (yet) keeps the lock: the watcher
 * hands a stopped deployment's lock to its restore run just before starting
 * it, and that run must not lose it in between.
 */
export const UNSTARTED_HOLDER_GRACE_MS = 10 * 60_000;

/** Take over the lock of a holder that is no longer running; the result to return, or undefined to keep waiting. */
async function takeOverIfEnded(request: LockRequest, holder: string, heldSince: string | undefined): Promise<LockResult | undefined> {
  const execution = await describeExecution(holder);
  if (execution?.status === 'RUNNING') return undefined;
  if (
    execution === undefined &&
    // Stryker disable next-line ConditionalExpression: equivalent: without heldSince, Date.parse(undefined) is NaN and NaN < grace is false; the check is for the type.
    heldSince !== undefined &&
    Date.parse(request.now) - Date.parse(heldSince) < UNSTARTED_HOLDER_GRACE_MS
  ) {
    return undefined;
  }
  if (execution !== undefined && isUncleanEnd(execution.status)) {
    // Stopped after it changed something, and the watcher never heard of it: restore it first.
    const end = { service: request.service, ...execution, status: execution.status };
    if (await needsRestore(end)) {
      const restoring = await startRestore(end);
      if (restoring !== undefined) {
        logger.warn('restoring a stopped deployment before taking its lock', { serviceName: request.service, staleHolder: holder, restoring });
        return {
          status: 'WAITING',
          holder: restoring,
          reason: `${holder} ended ${execution.status} without its clean-up: its snapshot is being restored (${restoring}) before this deployment starts`,
        };
      }
    }
  }
  if (!(await takeOverLock(request, holder))) return undefined;
  const ended = execution === undefined ? 'no longer exists' : `ended ${execution.status}`;
  if (execution !== undefined && isUncleanEnd(execution.status)) {
    await recordExecutionEnd(
      { service: request.service, ...execution, status: execution.status },
      `its lock was taken over by ${request.executionId}`,
    );
  }
  const reason = `took over the lock of ${holder}, which ${ended} without releasing it`;
  logger.warn('stale lock taken over', { serviceName: request.service, staleHolder: holder, status: execution?.status ?? 'GONE' });
  return { status: 'ACQUIRED', holder: request.executionId, reason };
}

export const handler = createHandler(EventSchema, async function acquire({ deployment }) {
  const request: LockRequest = {
    service: deployment.service,
    executionId: deployment.executionId,
    image: deployment.image,
    requestedAt: deployment.requestedAt,
    now: nowIso(),
  };
  let result = await acquireLock(request);
  if (
    result.status === 'WAITING' &&
    // Stryker disable next-line ConditionalExpression: equivalent: acquireLock's WAITING always names a holder ('unknown' when the item does not say); the check is for the type.
    result.holder !== undefined &&
    result.holder !== 'unknown'
  ) {
    result = (await takeOverIfEnded(request, result.holder, result.heldSince)) ?? result;
  }
  logger.info('lock', { serviceName: deployment.service, ...result });
  return result;
});
