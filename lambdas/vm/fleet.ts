/**
 * What the ResolveHosts handlers share: cut the reachable hosts into
 * batches, refuse (or skip) the unreachable ones, write the ledger, and
 * return a summary small enough for the state whatever the fleet's size.
 */
import type { VmDeployment, VmExecutor } from '../shared/vm-deployment.ts';
import { batchIndexes } from './batch-plan.ts';
import { HostsUnreachable, NoHosts } from './errors.ts';
import { putLedger, type LedgerItem } from './host-ledger.ts';

/** Names shown in the state and in errors; the rest are counted (the ledger has them all). */
export const MAX_NAMED_HOSTS = 10;

/** A host found by a resolver. */
export interface FoundHost {
  host: string;
  address?: string;
  /** Why it cannot be deployed to, when it cannot. */
  unreachable?: string;
}

/** `$.hosts` (or `$.idleHosts`): the fleet in numbers. */
export interface FleetSummary {
  group: LedgerItem['group'];
  executor: VmExecutor;
  hostCount: number;
  batchCount: number;
  /** `[0, 1, …, batchCount - 1]`: what the batch Map iterates over. */
  batches: number[];
  /** Index of the last batch. */
  lastBatch: number;
  /** Canary: the first batch (`[0]`), then the rest (`[1, …]`, maybe empty). */
  firstBatches: number[];
  restBatches: number[];
  /** Canary: the share of the hosts in the first batch, in percent (rounded up). */
  firstBatchPercent: number;
  skippedCount: number;
  /** At most {@link MAX_NAMED_HOSTS}, as `name: reason`. */
  skipped: string[];
}

/** `a, b, c and 4 more` */
export function namedHosts(names: readonly string[]): string {
  const shown = names.slice(0, MAX_NAMED_HOSTS).join(', ');
  return names.length > MAX_NAMED_HOSTS ? `${shown} and ${names.length - MAX_NAMED_HOSTS} more` : shown;
}

/** Plan the batches of `found` and write them to the ledger. @throws NoHosts, HostsUnreachable */
export async function recordFleet(
  deployment: VmDeployment,
  group: LedgerItem['group'],
  executor: VmExecutor,
  found: readonly FoundHost[],
): Promise<FleetSummary> {
  const sorted = [...found].sort((a, b) => a.host.localeCompare(b.host));
  const unreachable = sorted.filter((h) => h.unreachable !== undefined);
  const reachable = sorted.filter((h) => h.unreachable === undefined);
  const described = unreachable.map((h) => `${h.host}: ${h.unreachable ?? ''}`);
  if (unreachable.length > 0 && (deployment.unreachableHosts === 'fail' || reachable.length === 0)) {
    throw new HostsUnreachable(
      `${unreachable.length} of ${sorted.length} host(s) cannot be deployed to, nothing was changed: ${namedHosts(described)}` +
        (deployment.unreachableHosts === 'fail' ? ' (unreachableHosts: skip deploys to the others)' : ''),
    );
  }
  if (reachable.length === 0) throw new NoHosts(`no host matches the ${group === 'fleet' ? 'targets' : `${group} targets`} of ${deployment.service}: nothing to deploy to`);
  const batches = batchIndexes(deployment.batches, reachable.length);
  const items: LedgerItem[] = [
    ...reachable.map((h, i): LedgerItem => ({
      host: h.host,
      executor,
      group,
      batch: batches[i]!,
      status: 'pending',
      changed: false,
      ...(h.address === undefined ? {} : { address: h.address }),
    })),
    ...unreachable.map((h): LedgerItem => ({
      host: h.host,
      executor,
      group,
      batch: -1,
      status: 'skipped',
      changed: false,
      message: h.unreachable ?? 'unreachable',
    })),
  ];
  await putLedger(deployment.executionName, items);
  const batchCount = (batches.at(-1) ?? 0) + 1;
  return {
    group,
    executor,
    hostCount: reachable.length,
    batchCount,
    batches: Array.from({ length: batchCount }, (_, i) => i),
    lastBatch: batchCount - 1,
    firstBatches: [0],
    restBatches: Array.from({ length: batchCount - 1 }, (_, i) => i + 1),
    firstBatchPercent: Math.ceil((batches.filter((b) => b === 0).length * 100) / reachable.length),
    skippedCount: unreachable.length,
    skipped: described.slice(0, MAX_NAMED_HOSTS),
  };
}
