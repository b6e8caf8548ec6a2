/**
 * PollSshBatch (in the VPC): where each detached run of a batch (or of the
 * rollback) stands on its SSH host; each ended host's result and output
 * tail written to the ledger (its run directory is left for the host's own
 * clean-up of week-old runs). A run that
 * outlasts the batch timeout, or that the host lost, fails its host.
 */
import pMap from 'p-map';
import { now } from '../shared/clock.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { assertBatchOutcome, batchProgress, lostRunPatch, verdictPatch, type BatchProgress } from './batch-progress.ts';
import { DetachedRunLost } from './errors.ts';
import { updateLedger, type LedgerItem, type LedgerPatch } from './host-ledger.ts';
import { hostsStarted, RunEventSchema, runTimeoutMs } from './run-selection.ts';
import { PrivateKeys, SSH_CONCURRENCY, sshOptions, sshTargetOf } from './ssh-access.ts';
import { pollDetachedOverSsh } from './ssh-run.ts';

/**
 * What happened to one running host, or undefined while it runs (or does not
 * answer: a host may reboot; only the batch timeout fails it).
 */
async function pollHost(
  event: { mode: 'deploy' | 'rollback'; deployment: Parameters<typeof sshTargetOf>[0] },
  item: LedgerItem,
  keys: PrivateKeys,
): Promise<LedgerPatch | undefined> {
  const { deployment, mode } = event;
  const timedOut = now() - (item.sentAt ?? 0) > runTimeoutMs(deployment);
  try {
    // The run's directory stays until the next run on the host clears week-old ones: removed here, a poll
    // that dies before its ledger write (or is retried) would find the run gone and fail a host that succeeded.
    const status = await pollDetachedOverSsh(await sshTargetOf(deployment, item, keys), item.runId ?? '', sshOptions(deployment));
    if (status.state === 'running') {
      return timedOut ? lostRunPatch(mode, item, `the run did not end within the batch timeout; last output:\n${status.outcome.tail}`) : undefined;
    }
    return verdictPatch(
      mode,
      item,
      status.verdict!,
      status.outcome.phases.map((p) => p.name),
      status.outcome.tail,
    );
  } catch (error) {
    if (error instanceof DetachedRunLost || timedOut) return lostRunPatch(mode, item, (error as Error).message);
    // The host did not answer this time (network, reboot): ask again at the next poll.
    logger.warn('SSH poll failed', { serviceName: deployment.service, host: item.host, error: error as Error });
    return undefined;
  }
}

export const handler = createHandler(RunEventSchema, async function pollSshBatch(event): Promise<BatchProgress> {
  const { deployment } = event;
  const items = await hostsStarted(event, 'ssh');
  const keys = new PrivateKeys();
  const updated = new Map(items.map((i) => [i.host, i]));
  await pMap(
    items.filter((i) => i.status === 'running' && i.runId !== undefined),
    async (item) => {
      const patch = await pollHost(event, item, keys);
      if (patch === undefined) return;
      await updateLedger(deployment.executionName, item.host, patch);
      updated.set(item.host, { ...item, ...patch } as LedgerItem);
    },
    { concurrency: SSH_CONCURRENCY },
  );
  const after = [...updated.values()];
  const progress = batchProgress(deployment, event.mode, after);
  logger.info('batch progress', { serviceName: deployment.service, mode: event.mode, ...progress });
  assertBatchOutcome(
    event.mode,
    event.mode === 'deploy' ? event.batch : 0,
    progress,
    after.filter((i) => i.status === 'failed' || i.status === 'rollback-failed').map((i) => i.host),
  );
  return progress;
});
