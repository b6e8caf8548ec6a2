/**
 * The restore run: when a deployment ends without its own clean-up
 * (stopped, timed out, or failed outside any Catch) after it changed
 * something, the watcher hands the service lock to a new execution of the
 * same state machine started with `{"restore": RestoreRequest}`; it runs the
 * strategy's rollback steps from the snapshot the stopped execution stored
 * in the history, records the result, and releases the lock.
 */
import * as z from 'zod/mini';
import { UNCLEAN_END_STATUSES } from './execution-status.ts';

/** The fields of {@link RestoreRequestSchema}, for a reader that wants only some of them. */
export const restoreRequestFields = {
  /** The execution that ended without restoring what it changed. */
  executionArn: z.string().check(z.minLength(1)),
  service: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  /** Its start, epoch ms: with `name`, the key of its history item. */
  startDate: z.number(),
  status: z.enum(UNCLEAN_END_STATUSES),
  /** Why it ended (`execution was stopped: rollback requested by alice: ...`). */
  reason: z.string(),
};
export const RestoreRequestSchema = z.lazy(() => z.strictObject(restoreRequestFields));
export type RestoreRequest = z.output<typeof RestoreRequestSchema>;

/** Step Functions execution names: at most 80 characters. */
const MAX_NAME = 80;
const SUFFIX = '-restore';

/** The name of the restore run of `executionName` (deterministic, so the lock can be handed to it before it starts). */
export function restoreExecutionName(executionName: string): string {
  return `${executionName.slice(0, MAX_NAME - SUFFIX.length)}${SUFFIX}`;
}

/** The ARN of an execution named `name` of the state machine that ran `executionArn`. */
export function siblingExecutionArn(executionArn: string, name: string): string {
  return `${executionArn.slice(0, executionArn.lastIndexOf(':'))}:${name}`;
}

/** True for the input of a restore run (the watcher never restores a restore run). */
export function isRestoreInput(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'restore' in input;
}
