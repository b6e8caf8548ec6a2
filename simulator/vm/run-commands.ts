/**
 * How the simulated SSM agent carries out an AWS-RunShellScript command on a
 * local host: the command's lines are written to `_script.sh` in a directory
 * of that command (as the agent writes them under its orchestration
 * directory) and run with bash — Amazon Linux's `sh` is bash, and the
 * release script needs bash — with stdin closed (`/dev/null`, as the agent
 * gives it), in the host's own directory, killed at the execution timeout.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandRun } from '../aws/fleet.ts';
import { hostEnvironment } from './local-host.ts';

/** Output kept per stream: more than SSM ever returns (24,000 characters), enough for CloudWatch Logs in tests. */
const MAX_KEPT_BYTES = 4 * 1024 * 1024;
/** After the process exits, how long its pipes may stay open (a daemon that kept them) before we stop reading. */
const PIPE_GRACE_MS = 200;

class Capped {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  public push(chunk: Buffer): void {
    if (this.size >= MAX_KEPT_BYTES) return;
    const kept = chunk.subarray(0, MAX_KEPT_BYTES - this.size);
    this.chunks.push(kept);
    this.size += kept.length;
  }

  public text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Run `text` as a shell script with bash in `cwd`, stdin closed, killed
 * (its process group: SIGTERM, then SIGKILL 2 s later) after `timeoutMs`
 * or when `signal` aborts (a cancelled command).
 */
export function runShellScript(
  text: string,
  options: { cwd: string; workDir: string; timeoutMs: number; env?: Record<string, string>; signal?: AbortSignal },
): Promise<CommandRun> {
  mkdirSync(options.workDir, { recursive: true });
  mkdirSync(options.cwd, { recursive: true });
  const scriptFile = path.join(options.workDir, '_script.sh');
  writeFileSync(scriptFile, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o700 });
  const started = Date.now();
  const stdout = new Capped();
  const stderr = new Capped();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [scriptFile], {
      cwd: options.cwd,
      env: options.env ?? hostEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that a timeout kills whatever the script started in the foreground.
      detached: true,
    });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), 2_000);
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', () => killGroup('SIGKILL'), { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const finish = (code: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ exitCode: code, stdout: stdout.text(), stderr: stderr.text(), timedOut, durationMs: Date.now() - started });
    };
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run bash: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => finish(code));
    // A daemon the script started may hold the pipes open: the command is over when bash exits.
    child.on('exit', (code) => setTimeout(() => finish(code), PIPE_GRACE_MS));
  });
}
