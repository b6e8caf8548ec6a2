/**
 * `npm run bench`, VM part: the release script deploying the demo app on one
 * local host (a directory and a port), time per phase, for a first install,
 * an upgrade, and an upgrade whose health check fails and is rolled back.
 * Measured, never asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RELEASE_PHASES } from '../../lambdas/vm/release-result.ts';
import { buildDemoArtifact, demoServiceSettings } from '../../simulator/vm/demo-artifact.ts';
import { freePort } from '../../simulator/vm/free-port.ts';
import { LocalHost, type ScriptRun } from '../../simulator/vm/local-host.ts';

/** Milliseconds spent in each phase: from its line to the next one (the last to the end of the run). */
function phaseDurations(run: ScriptRun): Map<string, number> {
  const out = new Map<string, number>();
  run.outcome.phases.forEach((phase, i) => {
    const next = run.outcome.phases[i + 1]?.atMs ?? run.durationMs;
    out.set(phase.name, (out.get(phase.name) ?? 0) + (next - (phase.atMs ?? 0)));
  });
  return out;
}

/** The table's rows: one per phase reached by any run, then the total. */
export async function vmHostBench(table: (header: string[], rows: string[][]) => string): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'deployer-bench-vm-'));
  const port = await freePort();
  const health = { healthRetries: 20, healthIntervalSeconds: 0.2 };
  const host = new LocalHost({ name: 'bench', dir: path.join(root, 'host'), port, defaults: { serviceName: 'demo', ...demoServiceSettings(port), ...health } });
  try {
    const runs: [string, ScriptRun][] = [];
    for (const [label, version, kind] of [
      ['first install (v1)', 'v1', 'up'],
      ['upgrade (v2 over v1)', 'v2', 'up'],
      ['unhealthy v3, rolled back', 'v3', 'down'],
    ] as const) {
      const artifact = await buildDemoArtifact({ version, dir: path.join(root, 'artifacts'), health: kind });
      runs.push([label, await host.release({ version, artifactUrl: artifact.url, artifactSha256: artifact.sha256 })]);
    }
    const durations = runs.map(([, run]) => phaseDurations(run));
    const rows = RELEASE_PHASES.filter((phase) => durations.some((d) => d.has(phase))).map((phase) => [
      phase,
      ...durations.map((d) => (d.has(phase) ? d.get(phase)!.toFixed(0) : '')),
    ]);
    rows.push(['total (status)', ...runs.map(([, run]) => `${run.durationMs} (${run.verdict.status})`)]);
    return [
      table(['release script phase, ms', ...runs.map(([label]) => label)], rows),
      '',
      `One local host: vm/release.sh fed to bash -s, the demo app on Node.js; health checked every ${health.healthIntervalSeconds} s, at most ${health.healthRetries} tries, so a release that never gets healthy spends them all before the rollback. Over SSH, add the connection (ssh2 in pure JavaScript: about a second).`,
    ].join('\n');
  } finally {
    await host.stopService();
    await rm(root, { recursive: true, force: true });
  }
}
