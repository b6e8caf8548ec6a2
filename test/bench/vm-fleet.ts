/**
 * `npm run bench`: what the VM state machines cost for a fleet of 1,000
 * hosts in 10% batches (each batch five minutes): transitions, history
 * events and the largest state, per strategy, with the handlers stood in for
 * (test/support/vm-fleet.ts). It measures; it asserts nothing.
 */
import { MAX_HISTORY_EVENTS } from '../../simulator/local-state-machine.ts';
import { fleetDeployment, HOSTS, rehearseFleet } from '../support/vm-fleet.ts';

export async function vmFleetBench(table: (header: string[], rows: string[][]) => string): Promise<string> {
  const rows: string[][] = [];
  for (const strategy of ['rolling', 'canary', 'blue-green'] as const) {
    const { record, polls } = await rehearseFleet(`vm-${strategy}.asl.json`, fleetDeployment(strategy));
    rows.push([
      `vm-${strategy}, ${HOSTS} hosts in 10% batches`,
      record.status,
      String(record.transitions),
      String(record.historyEvents),
      String(polls),
      (record.maxPayloadBytes / 1024).toFixed(1),
      String(Math.round(((record.stoppedAt ?? record.startedAt) - record.startedAt) / 1000)),
    ]);
  }
  return [
    table(['VM deployment', 'status', 'transitions', 'history events', 'batch polls', 'largest state KiB', 'AWS time s'], rows),
    '',
    `One poll per batch (not per host) and the hosts in the ledger: far below the ${MAX_HISTORY_EVENTS} events and 256 KiB Step Functions allows.`,
  ].join('\n');
}
