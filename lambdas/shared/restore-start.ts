/**
 * Starting the restore run of a deployment that ended without its own
 * clean-up after it had changed something: the watcher does it when the
 * execution's status-change event arrives, and AcquireLock does it when it
 * finds such an execution still holding the lock (the event was lost), so
 * that a stopped deployment is always restored before the next one starts.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { awsCall, errorName } from './aws-call.ts';
import { lazyClient } from './clients.ts';
import { nowIso } from './clock.ts';
import { endReason, recordExecutionEnd, type ExecutionEnd } from './execution-end.ts';
import type { UncleanEndStatus } from './execution-status.ts';
import { readHistory } from './history.ts';
import { handOverLock, lockHolder } from './lock.ts';
import { logger } from './logger.ts';
import { restoreExecutionName, siblingExecutionArn, type RestoreRequest } from './restore.ts';

const sfn = lazyClient(() => new SFNClient({}));

/** The state machine an execution belongs to: `...:execution:<machine>:<name>` -> `...:stateMachine:<machine>`. */
export function stateMachineOf(executionArn: string): string {
  const [prefix = '', rest = ''] = executionArn.split(':execution:');
  return `${prefix}:stateMachine:${rest.slice(0, rest.lastIndexOf(':'))}`;
}

/** True when the history says the execution had changed something and its end is not recorded (or its restore is under way). */
export async function needsRestore(end: Pick<ExecutionEnd, 'service' | 'startDate' | 'name'>): Promise<boolean> {
  const item = await readHistory({ service: end.service, executionStartTime: new Date(end.startDate).toISOString(), executionName: end.name });
  if (typeof item?.snapshotJson !== 'string') return false;
  const status = typeof item.status === 'string' ? item.status : undefined;
  return status === undefined || status === 'IN_PROGRESS' || item.restore === 'RUNNING';
}

/**
 * Hand the lock to the restore run of `end` and start it; idempotent (a
 * redelivered event, or the watcher and AcquireLock both). Undefined when
 * the execution no longer holds the lock (nothing of it to restore safely).
 */
export async function startRestore(end: ExecutionEnd & { status: UncleanEndStatus }, stateMachineArn = stateMachineOf(end.executionArn)): Promise<string | undefined> {
  const name = restoreExecutionName(end.name);
  const restoreArn = siblingExecutionArn(end.executionArn, name);
  const handed = await handOverLock(end.service, end.executionArn, restoreArn, nowIso());
  if (!handed && (await lockHolder(end.service)) !== restoreArn) return undefined;
  const request: RestoreRequest = {
    executionArn: end.executionArn,
    service: end.service,
    name: end.name,
    startDate: end.startDate,
    status: end.status,
    reason: endReason(end),
  };
  await recordExecutionEnd(end, `restoring its snapshot (execution ${name})`, { restore: 'RUNNING', restoreExecutionArn: restoreArn });
  await awsCall('states:StartExecution', async () => {
    try {
      await sfn().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ restore: request }) }));
    } catch (error) {
      // Already started (a redelivered event).
      if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
    }
  });
  logger.warn('restoring a deployment that ended without its clean-up', { serviceName: end.service, status: end.status, restoreExecution: restoreArn });
  return restoreArn;
}
