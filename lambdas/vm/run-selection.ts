/**
 * Which hosts a Start or Poll handler acts on: a batch's hosts (deploy), or
 * the hosts this execution changed (rollback), of one executor. Also the
 * event every Start/Poll handler takes.
 */
import * as z from 'zod/mini';
import { VmDeploymentSchema, type VmDeployment, type VmExecutor } from '../shared/vm-deployment.ts';
import { readBatch, readLedger, type LedgerItem } from './host-ledger.ts';

/** What a Start or Poll handler is asked: a batch to deploy, or the rollback. */
export const RunEventSchema = z.lazy(() => z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('deploy'),
    deployment: VmDeploymentSchema,
    group: z.enum(['fleet', 'blue', 'green']),
    batch: z.number().check(z.int(), z.gte(0)),
  }),
  z.object({ mode: z.literal('rollback'), deployment: VmDeploymentSchema }),
]));
export type RunEvent = z.output<typeof RunEventSchema>;

/** What a Start handler returns (`$.run`). */
export interface RunStarted {
  hostCount: number;
  /** Hosts whose run could not even start (SSH: connection refused); they count as failed. */
  notStarted: number;
  /** SSM: the commands sent, polled by their ids. */
  commandIds: string[];
}

/**
 * May the rollback touch this host? Only if this execution may have changed
 * it (the script got past its stop, or its run was never seen to end: the
 * execution was stopped while it ran), and it is not back already.
 */
function needsRollback(item: LedgerItem): boolean {
  if (item.status === 'running') return item.mode === 'deploy';
  return item.changed && item.status !== 'rolled-back';
}

/** The hosts a Start handler sends runs to (a retried Start never sends twice). */
export async function hostsToStart(event: RunEvent, executor: VmExecutor): Promise<LedgerItem[]> {
  const items = await hostsOf(event);
  return items.filter((i) => i.executor === executor && (event.mode === 'deploy' ? i.status === 'pending' : needsRollback(i)));
}

/** The hosts a Poll handler follows: the batch, or every host the rollback was sent to. */
export async function hostsStarted(event: RunEvent, executor: VmExecutor): Promise<LedgerItem[]> {
  const items = await hostsOf(event);
  return items.filter((i) => i.executor === executor && (event.mode === 'deploy' || i.mode === 'rollback'));
}

function hostsOf(event: RunEvent): Promise<LedgerItem[]> {
  return event.mode === 'deploy' ? readBatch(event.deployment.executionName, event.group, event.batch) : readLedger(event.deployment.executionName);
}

/** How long a run on a host may take before it counts as failed. */
export function runTimeoutMs(deployment: VmDeployment): number {
  return deployment.batchTimeoutSeconds * 1000;
}
