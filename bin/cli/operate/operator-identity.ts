/**
 * Who acts (`--by`, default the OS user) and why (`--reason`): recorded in
 * the deployment's output, the lock item and Step Functions errors.
 */
import os from 'node:os';
import { UsageError } from '../exit-codes.ts';

/** Longest `--by` kept (the history's `startedBy` allows the same). */
const MAX_BY = 256;
/** Longest `--reason` kept (the history's `reason` allows the same). */
const MAX_REASON = 1024;

/** The OS user running the command, else `$USER`, else `unknown`. */
export function osUserName(): string {
  try {
    const name = os.userInfo().username;
    if (name !== '') return name;
  } catch {
    // No passwd entry (some containers): fall through.
  }
  return process.env.USER ?? process.env.USERNAME ?? 'unknown';
}

/** `--by` checked, or the OS user when not given. */
export function operatorName(by: string | undefined): string {
  if (by === undefined) return osUserName();
  const name = by.trim();
  if (name === '' || name.length > MAX_BY) throw new UsageError(`--by: give a name of 1 to ${MAX_BY} characters (default: your OS user name)`);
  return name;
}

/** `--reason` checked: not blank, at most {@link MAX_REASON} characters. */
export function operatorReason(reason: string): string {
  const text = reason.trim();
  if (text === '' || text.length > MAX_REASON) {
    throw new UsageError(`--reason: say why in 1 to ${MAX_REASON} characters, e.g. --reason "p99 latency doubled"`);
  }
  return text;
}
