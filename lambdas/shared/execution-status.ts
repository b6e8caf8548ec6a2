/**
 * The ends of an execution that skip its own clean-up (releasing the lock,
 * recording the outcome): stopped from the console, timed out, or failed
 * outside a Catch. One list for the EventBridge rule that reports them, the
 * handlers that clean up after them and the rehearsal that emulates the rule.
 */
export const UNCLEAN_END_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

export type UncleanEndStatus = (typeof UNCLEAN_END_STATUSES)[number];

/**
 * The ends the watcher hears of: the unclean ones, and SUCCEEDED, because a
 * deployment whose RecordSuccess failed (after success nothing rolls back)
 * succeeds with its history item still open; the watcher closes it.
 */
export const WATCHED_END_STATUSES = [...UNCLEAN_END_STATUSES, 'SUCCEEDED'] as const;

export type WatchedEndStatus = (typeof WATCHED_END_STATUSES)[number];

/** True for the ends the watcher hears of (the EventBridge rule's pattern). */
export function isWatchedEnd(status: string | undefined): status is WatchedEndStatus {
  return (WATCHED_END_STATUSES as readonly string[]).includes(status ?? '');
}

/** True when an execution with this status ended without running its own clean-up. */
export function isUncleanEnd(status: string | undefined): status is UncleanEndStatus {
  return (UNCLEAN_END_STATUSES as readonly string[]).includes(status ?? '');
}
