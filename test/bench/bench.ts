/**
 * `npm run bench`: what the deployer costs, measured, never asserted.
 *
 * - each Lambda's bundle exactly as `cdk synth` stages it (minified, Node 24,
 *   arm64): its size, and its cold import time as the median of several
 *   fresh Node processes (what an init phase pays before the handler runs);
 * - the rolling state machine rehearsed locally, once succeeding and once
 *   rolling back an unhealthy image: state transitions (what Step Functions
 *   bills), Lambda invocations, and how long it would take in AWS.
 *
 * Options: `--runs N` fresh processes per import measure (default 7).
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_FUNCTIONS, type FunctionKey } from '../../lambdas/registry.ts';
import { rehearseDeployment } from '../../simulator/rehearsal.ts';
import { functionBundlePath, synthDeployer } from '../support/synth.ts';
import { exampleConfig, webImage } from '../support/example-config.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write(`bench: --runs must be a positive integer, got '${values.runs}'\n`);
  process.exit(2);
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds a fresh Node process takes to `require` the bundle (module init included). */
function coldImportMs(bundle: string): number {
  const script =
    'const t = process.hrtime.bigint(); require(process.argv[1]); ' +
    'process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));';
  const out = execFileSync(process.execPath, ['-e', script, bundle], {
    // What the Lambda environment provides at init; nothing is called.
    env: { ...process.env, AWS_REGION: 'us-east-1', DEPLOYER_TABLE: 'bench', DEPLOYER_STATE_MACHINE_ARN: 'bench', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    encoding: 'utf8',
  });
  return Number(out);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function lambdas(): Promise<string> {
  const synth = await synthDeployer();
  const rows = (Object.keys(ALL_FUNCTIONS) as FunctionKey[]).map((key) => {
    const bundle = functionBundlePath(synth, key);
    const kib = statSync(bundle).size / 1024;
    const samples = Array.from({ length: RUNS }, () => coldImportMs(bundle));
    return [key, kib.toFixed(1), median(samples).toFixed(1), Math.min(...samples).toFixed(1), Math.max(...samples).toFixed(1)];
  });
  return table(['Lambda', 'bundle KiB', `import ms (median of ${RUNS})`, 'min', 'max'], rows);
}

async function deployments(): Promise<string> {
  const config = exampleConfig();
  const world = { account: '123456789012', region: 'us-east-1' };
  const scenarios = [
    { name: 'rolling, succeeds', unhealthy: false },
    { name: 'rolling, rolled back (unhealthy image)', unhealthy: true },
  ];
  const rows: string[][] = [];
  for (const s of scenarios) {
    const image = webImage('v1.1.0');
    const started = process.hrtime.bigint();
    const { report } = await rehearseDeployment({ config, service: 'web', image, unhealthy: s.unhealthy, world });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    rows.push([
      s.name,
      report.status,
      String(report.transitions),
      String(report.lambdaInvocations),
      `${Math.round(report.virtualSeconds)}`,
      wallMs.toFixed(0),
    ]);
  }
  return table(['deployment', 'status', 'transitions', 'Lambda invocations', 'AWS time s', 'rehearsal ms'], rows);
}

const started = Date.now();
process.stdout.write(`Node ${process.version}, ${path.basename(process.execPath)}\n\n`);
process.stdout.write(`${await lambdas()}\n\n`);
process.stdout.write(`${await deployments()}\n\n`);
process.stdout.write(`(bench took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
