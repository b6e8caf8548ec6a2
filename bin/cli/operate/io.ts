/**
 * Where the operator commands print: the process's streams, or whatever a
 * test (or an embedding program) passes instead.
 */

/** Output of a command: text for people or JSON on stdout, one-line errors and notes on stderr. */
export interface OperatorIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The process's own stdout and stderr, looked up at each write (so spies installed later see it). */
export const processIo: OperatorIo = {
  stdout: (text) => {
    process.stdout.write(text);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
};
