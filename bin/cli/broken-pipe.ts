/**
 * Output piped into a reader that stops early (`deployer history web | head
 * -3`): the next write to the closed pipe fails with EPIPE. That is the
 * reader's choice, not a failure of the command, so the process ends
 * quietly instead of crashing with a stack trace.
 */

/** Exit quietly (with the exit code set so far) when `stream`'s reader has gone; other errors are rethrown. */
export function exitQuietlyOnBrokenPipe(stream: NodeJS.WriteStream, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      return;
    }
    throw error;
  });
}
