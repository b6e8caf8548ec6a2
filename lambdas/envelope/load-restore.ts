/**
 * LoadRestore: the first step of a restore run. Reads the deployment and
 * snapshot the stopped execution stored with its history, and checks that
 * this execution holds the service lock (the watcher hands it over before
 * starting the run), so a restore never races a deployment.
 */
import { AnyDeploymentSchema } from '../shared/any-deployment.ts';
import * as z from 'zod/mini';
import { SnapshotSchema } from '../shared/deployment.ts';
import { RestoreRefused } from '../shared/errors.ts';
import { formatIssues, issueMessage } from '../shared/format-issues.ts';
import { createHandler } from '../shared/handler.ts';
import { readHistory } from '../shared/history.ts';
import { lockHolder } from '../shared/lock.ts';
import { logger } from '../shared/logger.ts';
import { RestoreRequestSchema } from '../shared/restore.ts';

const EventSchema = z.object({ restore: RestoreRequestSchema, executionArn: z.string().check(z.minLength(1)) });

function parseStored<S extends z.core.$ZodType>(schema: S, text: unknown, what: string): z.output<S> {
  if (typeof text !== 'string') throw new RestoreRefused(`the history has no ${what} to restore from`);
  const result = z.safeParse(schema, JSON.parse(text), { error: issueMessage });
  if (!result.success) throw new RestoreRefused(`the stored ${what} is not readable: ${formatIssues(result.error.issues).join('; ')}`);
  return result.data;
}

export const handler = createHandler(EventSchema, async function loadRestore({ restore, executionArn }) {
  const holder = await lockHolder(restore.service);
  if (holder !== executionArn) {
    throw new RestoreRefused(
      `${restore.service}'s lock is held by ${holder ?? 'nobody'}, not by this restore run: restores are started by the deployer's watcher, which hands them the lock`,
    );
  }
  const item = await readHistory({
    service: restore.service,
    executionStartTime: new Date(restore.startDate).toISOString(),
    executionName: restore.name,
  });
  const deployment = parseStored(AnyDeploymentSchema, item?.deploymentJson, 'deployment');
  const snapshot = parseStored(SnapshotSchema, item?.snapshotJson, 'snapshot');
  const baseline: unknown = typeof item?.baselineJson === 'string' ? JSON.parse(item.baselineJson) : {};
  logger.info('restoring', { serviceName: restore.service, of: restore.executionArn, status: restore.status });
  return {
    restore,
    deployment,
    snapshot,
    baseline,
    failure: { Error: restore.status === 'TIMED_OUT' ? 'States.Timeout' : restore.status === 'FAILED' ? 'ExecutionFailed' : 'ExecutionAborted', Cause: restore.reason },
  };
});
