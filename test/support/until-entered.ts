import type { RunningExecution } from '../../simulator/local-state-machine.ts';

/** Let `run` go on (its handlers answer from memory) until it has entered `state`. */
export async function untilEntered(run: RunningExecution, state: string): Promise<void> {
  while (!run.record.visits.some((v) => v.name === state)) {
    if (run.record.status !== 'RUNNING') throw new Error(`${run.record.name} ended (${run.record.status}) before ${state}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
