/**
 * A simulated VM host on this machine: its own directory (INSTALL_DIR) and
 * port, on which the real release script runs as a local process, fed on
 * stdin exactly as SSM or SSH feed it on a host (`bash -s`). The simulated
 * SSM runs its commands through here; the tests and `npm run bench` use it
 * directly.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  parseReleaseInput,
  releaseEnvironment,
  type ReleaseInputSource,
} from '../../lambdas/vm/release-environment.ts';
import {
  DEFAULT_TAIL_BYTES,
  ReleaseOutputCollector,
  releaseVerdict,
  type ReleaseOutcome,
  type ReleaseResult,
} from '../../lambdas/vm/release-result.ts';
import { readReleaseScript } from '../../lambdas/vm/release-script.ts';
import { CHECKOUT_RELEASE_SCRIPT } from './checkout-release-script.ts';
import { scriptWithEnvironment } from '../../lambdas/vm/shell-text.ts';

/** One run of a script. */
export interface ScriptRun {
  /** null when the process was killed. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  outcome: ReleaseOutcome;
  /** The script's result, or a failure saying how far it got. */
  verdict: ReleaseResult;
  timedOut: boolean;
  durationMs: number;
}

export interface BashRunOptions {
  /** Killed after this long (SIGTERM, then SIGKILL 5 s later). Default 10 minutes. */
  timeoutMs?: number;
  /** The signal sent at the timeout (default SIGTERM; SSM's agent kills with SIGKILL). */
  killSignal?: NodeJS.Signals;
  tailBytes?: number;
  cwd?: string;
  /** The process's own environment (default: PATH, HOME, USER, LANG of this one). */
  env?: Record<string, string>;
}

/** What a host's shell would have: the variables a login gives, nothing of this process. */
export function hostEnvironment(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: 'C' };
  env.HOME = os.homedir();
  env.USER = os.userInfo().username;
  return env;
}

/** Run `text` with `bash -s` (the text on stdin, then stdin closed), collecting its output. */
export function runBashScript(text: string, options: BashRunOptions = {}): Promise<ScriptRun> {
  const started = Date.now();
  const collector = new ReleaseOutputCollector(options.tailBytes ?? DEFAULT_TAIL_BYTES);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-s'], {
      cwd: options.cwd ?? os.tmpdir(),
      env: options.env ?? hostEnvironment(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill(options.killSignal ?? 'SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }, options.timeoutMs ?? 600_000);
    child.stdout.on('data', (chunk: Buffer) => collector.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => collector.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run bash: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      const outcome = collector.finish();
      resolve({ exitCode: code, signal, outcome, verdict: releaseVerdict(code, outcome), timedOut, durationMs: Date.now() - started });
    });
    // A script that exits early closes its stdin: that is not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

/** Run the release script with these environment variables, as given (no validation here). */
export function runReleaseScript(env: Readonly<Record<string, string>>, options: BashRunOptions & { script?: string } = {}): Promise<ScriptRun> {
  return runBashScript(scriptWithEnvironment(options.script ?? readReleaseScript(CHECKOUT_RELEASE_SCRIPT), env), options);
}

export interface LocalHostOptions {
  name: string;
  /** The host's own directory; its INSTALL_DIR is `<dir>/app` unless `installDir` says. */
  dir: string;
  /** Its INSTALL_DIR, when a config gives it (an SSH host's `installDir`). */
  installDir?: string;
  /** The port its service listens on. */
  port: number;
  /** Release inputs every run on this host starts from (service name, commands, health...). */
  defaults?: Partial<ReleaseInputSource>;
}

/** A simulated host: the release script runs here for real, in the host's own directory. */
export class LocalHost {
  public readonly name: string;
  public readonly dir: string;
  public readonly installDir: string;
  public readonly port: number;
  private readonly defaults: Partial<ReleaseInputSource>;

  public constructor(options: LocalHostOptions) {
    this.name = options.name;
    this.dir = path.resolve(options.dir);
    this.installDir = options.installDir === undefined ? path.join(this.dir, 'app') : path.resolve(options.installDir);
    this.port = options.port;
    this.defaults = options.defaults ?? {};
    mkdirSync(this.dir, { recursive: true });
  }

  /** The inputs of a run here: the host's defaults, its INSTALL_DIR, then `input`. Validated. @throws InvalidInput */
  public environment(input: Partial<ReleaseInputSource>): Record<string, string> {
    const merged = { serviceName: 'app', ...this.defaults, installDir: this.installDir, ...input };
    return releaseEnvironment(parseReleaseInput(merged, `host ${this.name}`));
  }

  /** Deploy (or roll back, `mode: 'rollback'`) on this host. @throws InvalidInput before anything runs */
  public release(input: Partial<ReleaseInputSource>, options: BashRunOptions = {}): Promise<ScriptRun> {
    return runReleaseScript(this.environment(input), { cwd: this.dir, ...options });
  }

  /** The release `current` points to, if any. */
  public current(): string | undefined {
    return this.link('current');
  }

  /** The release `previous` points to, if any. */
  public previous(): string | undefined {
    return this.link('previous');
  }

  /** Stop the service with the host's stop command (when a release is current). */
  public async stopService(): Promise<void> {
    if (this.current() === undefined) return;
    const stop = this.defaults.stopCommand ?? 'systemctl stop "$SERVICE_NAME"';
    await runBashScript(`cd / && ${stop}\n`, {
      env: { ...hostEnvironment(), INSTALL_DIR: this.installDir, SERVICE_NAME: this.defaults.serviceName ?? 'app' },
      timeoutMs: 30_000,
    });
  }

  private link(name: string): string | undefined {
    try {
      return readlinkSync(path.join(this.installDir, name)).replace(/^releases\//, '');
    } catch {
      return undefined;
    }
  }
}
