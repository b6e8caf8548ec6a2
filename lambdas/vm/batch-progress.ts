/**
 * Where a batch (or the rollback) stands, from its hosts' ledger items: what
 * each ended run means for its host, and the small summary the state
 * carries. A batch that ends with more failures than `maxErrors` allows
 * fails the deployment (BatchFailed); a rollback that leaves any host off
 * its previous release fails the rollback (HostRollbackFailed).
 */
import { now } from '../shared/clock.ts';
import type { VmDeployment } from '../shared/vm-deployment.ts';
import { allowedFailures } from './batch-plan.ts';
import { BatchFailed, HostRollbackFailed } from './errors.ts';
import { MAX_NAMED_HOSTS, namedHosts } from './fleet.ts';
import type { LedgerItem, LedgerPatch } from './host-ledger.ts';
import type { ReleaseResult } from './release-result.ts';

/** Phases after which the host may no longer serve what it served (the script stopped it). */
const CHANGING_PHASES = new Set(['stop', 'switch', 'start', 'health', 'smoke', 'cleanup', 'rollback']);

/** Bytes of a host's output tail kept in the ledger (the full output is in CloudWatch Logs). */
export const LEDGER_TAIL_CHARS = 2000;

/** `$.batch` after a poll. */
export interface BatchProgress {
  done: boolean;
  hostCount: number;
  succeeded: number;
  failed: number;
  running: number;
  /** Failures the batch tolerates. */
  allowedFailures: number;
  /** At most 10, as `host (phase): message`. */
  failedHosts: string[];
  /** When this poll saw it (epoch ms): verification after the batch starts here. */
  at: number;
}

/** The ledger change once a host's run ended with `verdict`. */
export function verdictPatch(
  mode: 'deploy' | 'rollback',
  item: LedgerItem,
  verdict: ReleaseResult,
  phases: readonly string[],
  tail: string,
): LedgerPatch {
  const message = `${verdict.message}\n${tail}`.slice(-LEDGER_TAIL_CHARS);
  if (mode === 'rollback') {
    return verdict.status === 'SUCCEEDED'
      ? { status: 'rolled-back', phase: verdict.phase, releaseAfter: verdict.current || undefined, message }
      : { status: 'rollback-failed', phase: verdict.phase, releaseAfter: verdict.current || undefined, message };
  }
  const changed =
    phases.some((p) => CHANGING_PHASES.has(p)) || CHANGING_PHASES.has(verdict.phase) || (verdict.current !== '' && verdict.current !== verdict.previous);
  return {
    status: verdict.status === 'SUCCEEDED' ? 'succeeded' : 'failed',
    phase: verdict.phase,
    // The script reports what served before it ran: a rollback returns the host there.
    releaseBefore: verdict.previous !== '' ? verdict.previous : item.releaseBefore,
    releaseAfter: verdict.current || undefined,
    changed: item.changed || changed,
    message,
  };
}

/** The ledger change for a host whose run cannot be followed any more (never delivered, timed out, lost). */
export function lostRunPatch(mode: 'deploy' | 'rollback', item: LedgerItem, reason: string): LedgerPatch {
  if (mode === 'rollback') return { status: 'rollback-failed', message: reason };
  // It may have got past the stop: the rollback must look at it.
  return { status: 'failed', message: reason, changed: true, ...(item.phase === undefined ? {} : { phase: item.phase }) };
}

const ENDED_DEPLOY = new Set<LedgerItem['status']>(['succeeded', 'failed']);
const ENDED_ROLLBACK = new Set<LedgerItem['status']>(['rolled-back', 'rollback-failed']);

/** Summarize `items` (the batch's hosts, or the rollback's). */
export function batchProgress(deployment: VmDeployment, mode: 'deploy' | 'rollback', items: readonly LedgerItem[]): BatchProgress {
  const ended = mode === 'deploy' ? ENDED_DEPLOY : ENDED_ROLLBACK;
  const failedStatus = mode === 'deploy' ? 'failed' : 'rollback-failed';
  const failed = items.filter((i) => i.status === failedStatus);
  const running = items.filter((i) => !ended.has(i.status)).length;
  return {
    done: running === 0,
    hostCount: items.length,
    succeeded: items.length - running - failed.length,
    failed: failed.length,
    running,
    allowedFailures: mode === 'deploy' ? allowedFailures(deployment.maxErrors, items.length) : 0,
    failedHosts: failed.slice(0, MAX_NAMED_HOSTS).map((i) => `${i.host}${i.phase === undefined ? '' : ` (${i.phase})`}: ${firstLine(i.message)}`),
    at: now(),
  };
}

function firstLine(text: string | undefined): string {
  return (text ?? 'failed').split('\n', 1)[0]!.slice(0, 200);
}

/** Throw when an ended batch failed: the state machine rolls back (or reports a failed rollback). */
export function assertBatchOutcome(mode: 'deploy' | 'rollback', batch: number, progress: BatchProgress, failedNames: readonly string[]): void {
  if (!progress.done) return;
  if (mode === 'deploy' && progress.failed > progress.allowedFailures) {
    throw new BatchFailed(
      `batch ${batch + 1}: ${progress.failed} of ${progress.hostCount} host(s) failed (maxErrors allows ${progress.allowedFailures}): ${progress.failedHosts.join('; ')}${
        failedNames.length > MAX_NAMED_HOSTS ? ` and ${failedNames.length - MAX_NAMED_HOSTS} more` : ''
      }`,
    );
  }
  if (mode === 'rollback' && progress.failed > 0) {
    throw new HostRollbackFailed(
      `${progress.failed} of ${progress.hostCount} host(s) could not be returned to their previous release and need attention: ${namedHosts(progress.failedHosts)}`,
    );
  }
}
