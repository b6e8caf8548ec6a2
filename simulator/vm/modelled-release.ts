/**
 * A modelled host for fleets too large to run the release script for real
 * (the 1,000-host bench): a {@link CommandRunner} that reads the release
 * script's environment from the command text (the `export NAME='value'`
 * lines `scriptWithEnvironment` writes) and answers as `vm/release.sh`
 * does — `DEPLOYER_PHASE` lines, `DEPLOYER_ROLLED_BACK`, one
 * `DEPLOYER_RESULT` line, exit code 0, 1 or 2 — keeping the host's
 * current and previous release in memory. The artifact is checked as the
 * script checks it: it must be a `file:///` URL of an existing file (the
 * simulated SSM turns presigned URLs into those, and refused ones into files
 * that do not exist) whose sha256 is ARTIFACT_SHA256. Nothing runs: each
 * phase takes its modelled virtual time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CommandRun, CommandRunner } from '../aws/fleet.ts';
import type { ReleasePhase } from '../../lambdas/vm/release-result.ts';
import { exportedVariables } from './command-exports.ts';

/** Virtual seconds each phase takes by default: a small service on a small VM. */
export const MODELLED_PHASE_SECONDS: Readonly<Record<ReleasePhase, number>> = Object.freeze({
  validate: 1,
  preflight: 1,
  download: 5,
  unpack: 2,
  configure: 1,
  permissions: 1,
  stop: 3,
  switch: 1,
  start: 3,
  health: 6,
  smoke: 2,
  cleanup: 1,
  rollback: 8,
});

export interface ModelledReleaseOptions {
  /** The release current on the host at first (none: a first install). */
  current?: string;
  /** Releases whose health check fails on this host. */
  unhealthyVersions?: Iterable<string>;
  phaseSeconds?: Partial<Record<ReleasePhase, number>>;
}

/** A modelled host: its runner, and what it serves. */
export interface ModelledHost {
  runner: CommandRunner;
  current(): string | undefined;
  previous(): string | undefined;
}

function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A modelled host, answering like `vm/release.sh`. */
export function modelledReleaseHost(options: ModelledReleaseOptions = {}): ModelledHost {
  let current = options.current;
  let previous: string | undefined;
  const unhealthy = new Set(options.unhealthyVersions ?? []);
  const seconds = { ...MODELLED_PHASE_SECONDS, ...options.phaseSeconds };

  const runner: CommandRunner = (text) => {
    const env = exportedVariables(text);
    const mode = env.DEPLOYER_MODE ?? 'deploy';
    const version = env.VERSION ?? '';
    const lines: string[] = [];
    let elapsed = 0;
    let phase: ReleasePhase = 'validate';
    const enter = (name: ReleasePhase): void => {
      phase = name;
      elapsed += seconds[name] * 1000;
      lines.push(`DEPLOYER_PHASE ${name}`);
    };
    const before = current ?? '';
    const end = (status: 'SUCCEEDED' | 'FAILED' | 'ROLLED_BACK', message: string, exitCode: number): Promise<CommandRun> => {
      const result = { status, phase, previous: before, current: current ?? '', message, mode, version };
      lines.push(`DEPLOYER_RESULT ${JSON.stringify(result)}`);
      return Promise.resolve({ exitCode, stdout: `${lines.join('\n')}\n`, stderr: '', timedOut: false, durationMs: elapsed });
    };
    enter('validate');
    if (mode === 'rollback') {
      const target = env.ROLLBACK_TO ?? previous;
      if (target === undefined) return end('FAILED', 'no previous release to roll back to', 1);
      for (const name of ['preflight', 'stop', 'switch'] as const) enter(name);
      previous = current;
      current = target;
      for (const name of ['start', 'health'] as const) enter(name);
      if (unhealthy.has(target)) return end('FAILED', `health check of ${target} failed`, 1);
      return end('SUCCEEDED', `rolled back to ${target}`, 0);
    }
    if (version === '' || env.ARTIFACT_URL === undefined || env.ARTIFACT_SHA256 === undefined) {
      return end('FAILED', 'VERSION, ARTIFACT_URL and ARTIFACT_SHA256 are required', 2);
    }
    enter('preflight');
    enter('download');
    const url = env.ARTIFACT_URL;
    const file = url.startsWith('file:///') ? fileURLToPath(url) : undefined;
    if (file === undefined || !existsSync(file)) return end('FAILED', `download failed: ${url.startsWith('file:///') ? 'no such file' : 'no network'} (${url})`, 1);
    if (sha256Of(file) !== env.ARTIFACT_SHA256.toLowerCase()) return end('FAILED', 'the artifact does not have the expected sha256', 1);
    if (version === current) {
      enter('health');
      if (unhealthy.has(version)) return end('FAILED', `health check of ${version} failed`, 1);
      return end('SUCCEEDED', `${version} is already current`, 0);
    }
    for (const name of ['unpack', 'configure', 'permissions', 'stop', 'switch', 'start', 'health'] as const) enter(name);
    const old = current;
    if (unhealthy.has(version)) {
      const failed = phase;
      if (old === undefined) {
        current = version;
        return end('FAILED', `health check of ${version} failed`, 1);
      }
      elapsed += seconds.rollback * 1000;
      lines.push('DEPLOYER_PHASE rollback', `DEPLOYER_ROLLED_BACK ${old}`);
      phase = failed;
      return end('ROLLED_BACK', `health check of ${version} failed; ${old} serves again`, 1);
    }
    previous = old;
    current = version;
    for (const name of ['smoke', 'cleanup'] as const) enter(name);
    return end('SUCCEEDED', `${version} deployed`, 0);
  };
  return { runner, current: () => current, previous: () => previous };
}
