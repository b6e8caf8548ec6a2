/**
 * A VM deployment of 1,000 hosts in 10% batches, run by the local runner
 * through the real `vm-*.asl.json` files with stand-ins for the handlers
 * (each batch takes five minutes to deploy): the execution stays far below
 * Step Functions' 25,000 history events and its state stays a few KB,
 * because batches are polled as a whole and hosts live in the ledger.
 * (The handlers themselves are tested in test/lambdas/vm/.)
 */
import { describe, expect, it } from 'vitest';
import { BATCH_SECONDS, fleetDeployment, rehearseFleet } from '../support/vm-fleet.ts';

describe('a VM deployment of 1,000 hosts in 10% batches', () => {
  it.each([
    ['vm-rolling.asl.json', 'rolling'],
    ['vm-canary.asl.json', 'canary'],
    ['vm-blue-green.asl.json', 'blue-green'],
  ] as const)('%s: ten batches polled as a whole, far below 25,000 history events, a state of a few KB', async (file, strategy) => {
    // Prepare
    const deployment = fleetDeployment(strategy);

    // Act
    const { record, polls, batchesStarted, bakes } = await rehearseFleet(file, deployment);

    // Assess
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('SUCCEEDED');
    expect(batchesStarted).toBe(10);
    // One check between batches; the canary's bake after the first; the bake after the last (rolling, canary).
    if (strategy === 'rolling') expect(bakes.slice(0, 10)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 300]);
    if (strategy === 'canary') expect(bakes.slice(0, 10)).toEqual([600, 0, 0, 0, 0, 0, 0, 0, 0, 300]);
    // One poll per batch every 30 s for its five minutes (and one more when it ends), not one per host.
    expect(polls).toBeLessThanOrEqual(10 * (BATCH_SECONDS / 30 + 1));
    expect(record.historyEvents).toBeLessThan(2_500);
    expect(record.maxPayloadBytes).toBeLessThan(8 * 1024);
    console.info(`${file}: ${record.historyEvents} history events, ${record.transitions} transitions, largest state ${record.maxPayloadBytes} bytes`);
  });
});

describe('a VM deployment whose third batch fails', () => {
  it.each(['vm-rolling.asl.json', 'vm-canary.asl.json', 'vm-blue-green.asl.json'])(
    '%s: stops at that batch, rolls back the changed hosts, registers every host again and ends RolledBack',
    async (file) => {
      // Prepare
      const strategy = file === 'vm-canary.asl.json' ? 'canary' : file === 'vm-blue-green.asl.json' ? 'blue-green' : 'rolling';
      const deployment = fleetDeployment(strategy);

      // Act
      const { record, batchesStarted, modes } = await rehearseFleet(file, deployment, 2);

      // Assess
      expect(record.status).toBe('FAILED');
      expect(record.error?.error).toBe('RolledBack');
      expect(record.error?.cause).toMatch(/BatchFailed|batch 3/);
      expect(batchesStarted).toBe(3);
      expect(modes.at(-1)).toBe('rollback');
      const visited = record.visits.map((v) => v.name);
      expect(visited).toEqual(expect.arrayContaining(['RollbackSsmHosts', 'PollSsmRollback', 'ReregisterHosts', 'RecordRollback']));
      if (strategy === 'blue-green') expect(visited.indexOf('RollbackWeights')).toBeLessThan(visited.indexOf('RollbackSsmHosts'));
    },
  );
});
