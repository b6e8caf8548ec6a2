/**
 * Where the operator commands print, and how they wait between two polls:
 * the process's streams and timers, or whatever a test (or an embedding
 * program) passes instead.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Output of a command: text for people or JSON on stdout, one-line errors and notes on stderr. */
export interface OperatorIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Wait `ms` milliseconds between two polls of a deployment that is followed (`watch`, `deploy --wait`). */
  sleep(ms: number): Promise<void>;
}

/** The process's own stdout and stderr, looked up at each write (so spies installed later see it). */
export const processIo: OperatorIo = {
  stdout: (text) => {
    process.stdout.write(text);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
  sleep: async (ms) => {
    await delay(ms);
  },
};
