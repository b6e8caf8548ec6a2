/**
 * Batches and their error budget, from the deployment's settings: the
 * cumulative batch sizes (`["25%", "50%", "100%"]`, or counts) cut a fleet
 * into consecutive batches, and `maxErrors` (a count, or a percentage of the
 * batch) says how many failed hosts a batch tolerates.
 */
import { InvalidInput } from '../shared/errors.ts';
import type { VmDeployment } from '../shared/vm-deployment.ts';

/** Hosts reached after each batch (cumulative), for a fleet of `hostCount`; empty batches are dropped, the last one reaches every host. */
export function cumulativeBatchSizes(batches: VmDeployment['batches'], hostCount: number): number[] {
  const sizes: number[] = [];
  for (const size of batches) {
    const reached =
      typeof size === 'number' ? Math.min(size, hostCount) : Math.ceil((hostCount * Number(size.slice(0, -1))) / 100);
    const previous = sizes.at(-1) ?? 0;
    if (reached > previous) sizes.push(Math.min(reached, hostCount));
  }
  if ((sizes.at(-1) ?? 0) < hostCount) sizes.push(hostCount);
  return sizes;
}

/** The 0-based batch of each of `hostCount` hosts, in order. */
export function batchIndexes(batches: VmDeployment['batches'], hostCount: number): number[] {
  const sizes = cumulativeBatchSizes(batches, hostCount);
  const out: number[] = [];
  let batch = 0;
  for (let i = 0; i < hostCount; i += 1) {
    while (i >= sizes[batch]!) batch += 1;
    out.push(batch);
  }
  return out;
}

/** How many failed hosts a batch of `batchSize` tolerates. */
export function allowedFailures(maxErrors: VmDeployment['maxErrors'], batchSize: number): number {
  if (typeof maxErrors === 'number') return maxErrors;
  const percent = /^(\d{1,3})%$/.exec(maxErrors);
  if (percent !== null && Number(percent[1]) <= 100) return Math.floor((batchSize * Number(percent[1])) / 100);
  if (/^\d+$/.test(maxErrors)) return Number(maxErrors);
  throw new InvalidInput(`deployment.maxErrors: '${maxErrors}' is neither a count nor a percentage such as "10%"`);
}

/** How long a command may wait to reach an instance (SSM's TimeoutSeconds); PollSsmBatch fails a host still Pending or Delayed after it. */
export const DELIVERY_TIMEOUT_SECONDS = 600;

/** SSM's delivery timeout for a deployment: never longer than the batch may run. */
export function deliveryTimeoutSeconds(batchTimeoutSeconds: number): number {
  return Math.max(30, Math.min(DELIVERY_TIMEOUT_SECONDS, batchTimeoutSeconds));
}

/** SSM's MaxErrors for one command: the batch's tolerance, as SendCommand writes it. */
export function ssmMaxErrors(maxErrors: VmDeployment['maxErrors']): string {
  return typeof maxErrors === 'number' ? String(maxErrors) : maxErrors;
}
