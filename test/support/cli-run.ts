/**
 * The `deployer` CLI run in-process, as the CLI tests drive it: its exit
 * code and what it printed to stdout and stderr.
 */
import { vi } from 'vitest';
import { main } from '../../bin/deployer.ts';

/** What one run of the CLI returned and printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI in-process with `argv`; returns its exit code and what it printed. */
export async function run(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
