/**
 * ExecutionEnded: the watcher of executions that end without running their
 * own clean-up: stopped from the console or by `deployer rollback`
 * (ABORTED), past the state machine timeout (TIMED_OUT), or FAILED outside a
 * Catch (`States.Runtime`, the history quota).
 *
 * - If the deployment had started changing things (its history holds a
 *   snapshot) and had not recorded an end, the watcher hands the service
 *   lock to a restore run of the same state machine, which puts the
 *   snapshot back and then releases the lock: a stop is an abort.
 * - Otherwise (nothing changed yet, or the end was recorded: a stop after
 *   success keeps the verified deployment) it releases the lock if the
 *   execution still holds it, and records the end.
 * - A restore run that itself ends this way is recorded as a failed
 *   restore, and its lock released: the service needs a person.
 */
import * as z from 'zod/mini';
import { nowIso } from '../shared/clock.ts';
import { endReason, recordExecutionEnd, type ExecutionEnd } from '../shared/execution-end.ts';
import { isWatchedEnd } from '../shared/execution-status.ts';
import { describeFailure } from '../shared/failure.ts';
import { createHandler, parseEvent } from '../shared/handler.ts';
import { readHistory, writeHistory } from '../shared/history.ts';
import { announceOutcome } from '../shared/lifecycle-events.ts';
import { forgetWaiter, releaseLock } from '../shared/lock.ts';
import { logger } from '../shared/logger.ts';
import { RestoreRequestSchema, type RestoreRequest } from '../shared/restore.ts';
import { startRestore } from '../shared/restore-start.ts';

export const ExecutionStatusEventSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().check(z.minLength(1)),
    stateMachineArn: z.string().check(z.minLength(1)),
    name: z.string().check(z.minLength(1)),
    status: z.enum(['ABORTED', 'TIMED_OUT', 'FAILED', 'SUCCEEDED', 'RUNNING', 'PENDING_REDRIVE']),
    startDate: z.number(),
    stopDate: z.optional(z.nullable(z.number())),
    input: z.optional(z.nullable(z.string())),
    error: z.optional(z.nullable(z.string())),
    cause: z.optional(z.nullable(z.string())),
  }),
});
type StatusEvent = z.output<typeof ExecutionStatusEventSchema>['detail'];

const DeploymentInputSchema = z.object({ service: z.string().check(z.minLength(1)) });
const RestoreInputSchema = z.object({ restore: RestoreRequestSchema });

export type WatcherAction = 'none' | 'released' | 'recorded' | 'restore-started' | 'restore-failed';

export interface WatcherResult {
  action: WatcherAction;
  released: boolean;
  recorded: boolean;
  restoreExecutionArn?: string;
}

function parseInput(detail: StatusEvent): unknown {
  try {
    return JSON.parse(detail.input ?? '{}') as unknown;
  } catch {
    return {};
  }
}

/**
 * A restore run ended without its clean-up: say so on the stopped
 * deployment's record (unless the run recorded its own end), free the lock.
 */
async function restoreRunEnded(detail: StatusEvent, restore: RestoreRequest): Promise<WatcherResult> {
  const released = await releaseLock(restore.service, detail.executionArn);
  const key = { service: restore.service, executionStartTime: new Date(restore.startDate).toISOString(), executionName: restore.name };
  const item = await readHistory(key);
  if (typeof item?.restore === 'string' && item.restore !== 'RUNNING') {
    // The restore run recorded how it ended (RecordRestoreFailure): nothing to add.
    return { action: released ? 'released' : 'none', released, recorded: false };
  }
  const how =
    detail.status === 'ABORTED'
      ? 'was stopped'
      : detail.status === 'TIMED_OUT'
        ? 'timed out'
        : `failed (${describeFailure({ Error: detail.error ?? 'Error', Cause: detail.cause ?? '' })})`;
  const reason = `${restore.reason}; the restore run ${detail.name} ${how} before it finished; the service needs attention`;
  await writeHistory(key, { status: 'FAILED', restore: 'FAILED', error: 'RollbackFailed', reason, restoredAt: nowIso() });
  await announceOutcome({
    service: restore.service,
    status: 'FAILED',
    image: typeof item?.image === 'string' ? item.image : undefined,
    executionArn: restore.executionArn,
    reason,
    error: 'RollbackFailed',
  });
  logger.error('restore run ended without restoring', { serviceName: restore.service, restoreExecution: detail.executionArn });
  return { action: 'restore-failed', released, recorded: true };
}

export const handler = createHandler(ExecutionStatusEventSchema, async function executionEnded({ detail }): Promise<WatcherResult> {
  const nothing: WatcherResult = { action: 'none', released: false, recorded: false };
  const { status } = detail;
  if (!isWatchedEnd(status)) return nothing;
  const succeeded = status === 'SUCCEEDED';
  const input = parseInput(detail);
  const restoreInput = RestoreInputSchema.safeParse(input);
  if (restoreInput.success) return succeeded ? nothing : restoreRunEnded(detail, restoreInput.data.restore);
  if (detail.status === 'FAILED' && detail.error === 'InvalidInput') {
    // Rejected before any lock was taken or anything recorded.
    return nothing;
  }
  let service: string;
  try {
    service = parseEvent(DeploymentInputSchema, input, 'execution input').service;
  } catch (error) {
    logger.info('execution without a service ended; nothing to clean up', { executionArn: detail.executionArn, error: error as Error });
    return nothing;
  }
  const end: ExecutionEnd = {
    service,
    executionArn: detail.executionArn,
    name: detail.name,
    status,
    startDate: detail.startDate,
    stopDate: detail.stopDate,
    error: detail.error,
    cause: detail.cause,
  };
  const item = await readHistory({ service, executionStartTime: new Date(detail.startDate).toISOString(), executionName: detail.name });
  const recordedStatus = typeof item?.status === 'string' ? item.status : undefined;
  const changedSomething = typeof item?.snapshotJson === 'string';
  // A redelivered event (StartExecution failed, or the Lambda was retried) carries on with a restore already under way.
  const restoring = item?.restore === 'RUNNING';
  if (succeeded && recordedStatus !== 'IN_PROGRESS') {
    // The usual success: the execution recorded it and released its lock.
    return nothing;
  }
  if (end.status !== 'SUCCEEDED' && changedSomething && (recordedStatus === undefined || recordedStatus === 'IN_PROGRESS' || restoring)) {
    const restoreExecutionArn = await startRestore({ ...end, status: end.status }, detail.stateMachineArn);
    if (restoreExecutionArn !== undefined) return { action: 'restore-started', released: false, recorded: true, restoreExecutionArn };
  }
  const released = await releaseLock(service, detail.executionArn);
  // A waiting deployment that was stopped must not keep superseding the ones waiting behind it.
  await forgetWaiter(service, detail.executionArn);
  const recorded = await recordExecutionEnd(end, released ? 'its lock was released' : undefined);
  if (recorded) {
    const image = typeof item?.image === 'string' ? item.image : undefined;
    await announceOutcome({
      service,
      status: end.status,
      image,
      executionArn: detail.executionArn,
      reason: endReason(end),
      durationSeconds: end.stopDate != null ? Math.round((end.stopDate - end.startDate) / 1000) : undefined,
    });
  }
  logger.info('execution end handled', { serviceName: service, status: detail.status, released, recorded });
  return { action: recorded ? 'recorded' : released ? 'released' : 'none', released, recorded };
});
