/**
 * The history record of an execution that ended without running its own
 * clean-up (stopped, timed out, failed outside a Catch), or succeeded
 * without recording its success. Written by the
 * ExecutionEnded safety net, and by AcquireLock when it takes over the lock
 * such an execution left behind.
 */
import { nowIso } from './clock.ts';
import type { UncleanEndStatus } from './execution-status.ts';
import { writeHistory } from './history.ts';

/** How an execution ended, as its status-change event or DescribeExecution says. */
export interface ExecutionEnd {
  service: string;
  executionArn: string;
  name: string;
  status: UncleanEndStatus | 'SUCCEEDED';
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number | null;
  error?: string | null;
  cause?: string | null;
}

/** Why the execution ended, in words for the history and notifications. */
export function endReason(end: ExecutionEnd): string {
  // StopExecution's cause says who stopped it and why (`deployer rollback` gives one).
  if (end.status === 'ABORTED') return end.cause != null && end.cause !== '' ? `execution was stopped: ${end.cause}` : 'execution was stopped';
  if (end.status === 'TIMED_OUT') return 'execution timed out';
  if (end.status === 'SUCCEEDED') return 'deployment succeeded; the execution could not record it, the watcher did';
  return `execution failed: ${end.error ?? ''} ${end.cause ?? ''}`.trim();
}

/**
 * Record the end unless the state machine already recorded a final status
 * (then returns false). `lockNote` says what became of its lock.
 */
export function recordExecutionEnd(end: ExecutionEnd, lockNote?: string, extra: Record<string, string> = {}): Promise<boolean> {
  const why = endReason(end);
  return writeHistory(
    { service: end.service, executionStartTime: new Date(end.startDate).toISOString(), executionName: end.name },
    {
      service: end.service,
      status: end.status,
      executionArn: end.executionArn,
      startedAt: new Date(end.startDate).toISOString(),
      endedAt: end.stopDate != null ? new Date(end.stopDate).toISOString() : nowIso(),
      reason: lockNote === undefined ? why : `${why}; ${lockNote}`,
      ...extra,
    },
    { onlyIfOpen: true },
  );
}
