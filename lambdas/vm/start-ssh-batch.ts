/**
 * StartSshBatch (in the VPC): start the release script, detached, on each of
 * a batch's SSH hosts (or, in `rollback` mode, on each host this execution
 * changed, back to the release it served). The host key is checked against
 * the pinned one before anything is sent; a host that cannot be reached
 * fails (nothing ran on it). The runs go on after this function returns:
 * PollSshBatch follows them.
 *
 * A rollback first cancels the deploy a stopped execution left running on a
 * host (SIGTERM to its script, which returns the host to the release that
 * served), and its own script waits for the host's lock until that run ends.
 */
import pMap from 'p-map';
import { now } from '../shared/clock.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { presignedArtifactUrl } from './artifact-url.ts';
import { isDeployStillRunning, updateLedger, type LedgerItem } from './host-ledger.ts';
import { hostReleaseEnvironment, rollbackRunOf } from './host-release.ts';
import { hostsToStart, RunEventSchema, type RunStarted } from './run-selection.ts';
import { PrivateKeys, SSH_CONCURRENCY, sshOptions, sshTargetOf } from './ssh-access.ts';
import { cancelDetachedOverSsh, startDetachedReleaseOverSsh, type SshTarget } from './ssh-run.ts';

/**
 * Cancel the deploy still running on `item` (an execution stopped mid-batch
 * left it going). Best effort: a failure is logged, and the rollback's script
 * waits for the host's lock all the same.
 */
async function cancelRunningDeploy(target: SshTarget, item: LedgerItem, service: string): Promise<void> {
  if (!isDeployStillRunning(item) || item.runId === undefined) return;
  try {
    const signalled = await cancelDetachedOverSsh(target, item.runId);
    logger.info(signalled ? 'running deploy cancelled before the rollback' : 'nothing to cancel: the deploy run has ended', {
      serviceName: service,
      host: item.host,
      runId: item.runId,
    });
  } catch (error) {
    logger.warn('the running deploy could not be cancelled; the rollback waits for it', { serviceName: service, host: item.host, error: error as Error });
  }
}

export const handler = createHandler(RunEventSchema, async function startSshBatch(event): Promise<RunStarted> {
  const { deployment } = event;
  const items = await hostsToStart(event, 'ssh');
  if (items.length === 0) return { hostCount: 0, notStarted: 0, commandIds: [] };
  const artifactUrl = event.mode === 'deploy' ? await presignedArtifactUrl(deployment, deployment.batchTimeoutSeconds + 300) : undefined;
  const keys = new PrivateKeys();
  const options = sshOptions(deployment);
  const started = await pMap(
    items,
    async (item): Promise<boolean> => {
      const env = hostReleaseEnvironment(
        deployment,
        item,
        artifactUrl !== undefined ? { mode: 'deploy', artifactUrl } : rollbackRunOf(deployment, item),
      );
      try {
        const target = await sshTargetOf(deployment, item, keys);
        if (event.mode === 'rollback') await cancelRunningDeploy(target, item, deployment.service);
        const run = await startDetachedReleaseOverSsh(target, env, options);
        await updateLedger(deployment.executionName, item.host, { status: 'running', mode: event.mode, runId: run.runId, sentAt: now() });
        return true;
      } catch (error) {
        const message = `the run did not start: ${(error as Error).message}`;
        logger.warn('SSH run not started', { serviceName: deployment.service, host: item.host, error: error as Error });
        await updateLedger(
          deployment.executionName,
          item.host,
          event.mode === 'deploy' ? { status: 'failed', mode: 'deploy', message } : { status: 'rollback-failed', mode: 'rollback', message },
        );
        return false;
      }
    },
    { concurrency: SSH_CONCURRENCY },
  );
  const notStarted = started.filter((s) => !s).length;
  logger.info('SSH runs started', { serviceName: deployment.service, mode: event.mode, hosts: items.length, notStarted });
  return { hostCount: items.length, notStarted, commandIds: [] };
});
