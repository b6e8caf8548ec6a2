/**
 * `npm run bench`: what the deployer costs, measured, never asserted.
 *
 * - each Lambda's bundle exactly as `cdk synth` stages it (minified, Node 24,
 *   arm64): its size and cold import time (median of several fresh Node
 *   processes), next to a bundle that imports only the same AWS SDK clients
 *   (and, for the SSH functions, ssh2, loaded on first use as they load it),
 *   measured in turns with it (what the handler's own code adds to the init
 *   phase: the median of the pairs' differences);
 * - each strategy rehearsed with its default steps: state transitions (what
 *   Step Functions bills), Lambda invocations, an estimated cost per
 *   deployment at list price, and where the time goes: bakes and approvals,
 *   ECS rollouts, ALB draining, and the deployer's own overhead;
 * - a bad canary: virtual seconds from its first bad figures to the weights
 *   restored;
 * - the VM release script on one local host: milliseconds per phase.
 *
 * Options: `--runs N` fresh processes per import measure (default 7);
 * `--only SECTION` (repeatable: lambdas, deployments, limits, vm-host,
 * vm-fleet) to print only those sections.
 */
// First: quiets the handlers' logs before anything builds their logger.
import './silent-handlers.ts';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE_MAIN_FIELDS, BUNDLE_TARGET } from '../../infra/deployer-function.ts';
import { fromRepoRoot } from '../../infra/repo-root.ts';
import { ALL_FUNCTIONS, type FunctionKey } from '../../lambdas/registry.ts';
import { parseConfigYaml } from '../../lambdas/shared/config-file.ts';
import type { ExecutionRecord } from '../../simulator/local-state-machine.ts';
import { rehearseDeployment } from '../../simulator/rehearsal.ts';
import { functionBundlePath, synthDeployer } from '../support/synth.ts';
import { MAX_HISTORY_EVENTS_BUDGET, worstCase } from '../../lambdas/shared/budget.ts';
import { MAX_HISTORY_EVENTS } from '../../simulator/local-state-machine.ts';
import { vmFleetBench } from './vm-fleet.ts';
import { configWith, longestAccepted, LONGEST } from '../support/longest-config.ts';
import { image, rehearsalConfigYaml } from '../support/rehearsal-config.ts';
import { vmHostBench } from './vm-host.ts';

const SECTIONS = ['lambdas', 'deployments', 'limits', 'vm-host', 'vm-fleet'] as const;
type Section = (typeof SECTIONS)[number];
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, only: { type: 'string', multiple: true } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write(`bench: --runs must be a positive integer, got '${values.runs}'\n`);
  process.exit(2);
}
const unknownSection = (values.only ?? []).find((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknownSection !== undefined) {
  process.stderr.write(`bench: --only must be one of ${SECTIONS.join(', ')}, got '${unknownSection}'\n`);
  process.exit(2);
}
/** True when `section` is to be measured (all of them unless --only names some). */
function wanted(section: Section): boolean {
  return values.only === undefined || values.only.includes(section);
}

/** List prices (us-east-1): Step Functions Standard per transition, Lambda arm64 per GB-second and per request. */
const PRICE = { transition: 0.000025, gbSecond: 0.0000133334, request: 0.0000002 };
/** What an invocation is assumed to bill: 256 MB for 100 ms (a few AWS calls). */
const INVOCATION = { gb: 0.25, seconds: 0.1 };

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * What a fresh Node process spends to `require` the bundle (module init
 * included): wall-clock milliseconds, and CPU milliseconds (user + system,
 * every thread), which other load on the machine inflates far less.
 */
function coldImport(bundle: string): { wall: number; cpu: number } {
  const script =
    'const c = process.cpuUsage(); const t = process.hrtime.bigint(); require(process.argv[1]); ' +
    'const u = process.cpuUsage(c); ' +
    'process.stdout.write(JSON.stringify([Number(process.hrtime.bigint() - t) / 1e6, (u.user + u.system) / 1000]));';
  const out = execFileSync(process.execPath, ['-e', script, bundle], {
    // What the Lambda environment provides at init; nothing is called.
    env: { ...process.env, AWS_REGION: 'us-east-1', DEPLOYER_TABLE: 'bench', DEPLOYER_STATE_MACHINES: '{}', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    encoding: 'utf8',
  });
  const [wall, cpu] = JSON.parse(out) as [number, number];
  return { wall, cpu };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * What a handler's sources import from its clients: package -> the names they
 * import (`*` for a namespace import, `import()` for a package loaded on
 * first use).
 */
type SdkImports = Map<string, Set<string>>;

const SDK_IMPORT = /^import\s+(?!type\b)([^;]*?)\s+from\s+'(@aws-sdk\/[^']+)';/gm;
/**
 * The SSH functions' client, ssh2 (330 KB with its crypto), loaded as they
 * load it: by the first connection (`lambdas/vm/ssh-run.ts`). It is to them
 * what an AWS SDK client is to the others, so it counts with the clients, not
 * with the handler's own code (loaded later, it still costs the init phase
 * the parsing of its code: about 17 ms).
 */
const LAZY_CLIENT_IMPORT = /\bimport\('(ssh2)'\)/g;

/** The AWS SDK imports of every source file under lambdas/ that a handler's bundle includes. */
async function sdkImportsOf(entry: string): Promise<SdkImports> {
  const result = await build({
    entryPoints: [fromRepoRoot(entry)],
    bundle: true,
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
    mainFields: BUNDLE_MAIN_FIELDS,
    // As the SSH functions are bundled (infra/deployer-function.ts): native addons stay out.
    external: ['cpu-features', '*.node'],
  });
  const imports: SdkImports = new Map();
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input.includes('node_modules') || !input.startsWith('lambdas/')) continue;
    const source = readFileSync(fromRepoRoot(input), 'utf8');
    for (const match of source.matchAll(SDK_IMPORT)) {
      const [, clause, pkg] = match as unknown as [string, string, string];
      const names = imports.get(pkg) ?? new Set<string>();
      if (clause.startsWith('*')) names.add('*');
      for (const name of /\{([^}]*)\}/.exec(clause)?.[1]?.split(',') ?? []) {
        const bare = name.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!;
        if (bare !== '' && !name.trim().startsWith('type ')) names.add(bare);
      }
      imports.set(pkg, names);
    }
    for (const [, pkg] of source.matchAll(LAZY_CLIENT_IMPORT)) imports.set(pkg!, new Set(['import()']));
  }
  return imports;
}

/** One key per distinct set of SDK imports: handlers importing the same share a baseline. */
function importsKey(imports: SdkImports): string {
  return [...imports].map(([pkg, names]) => `${pkg}:${[...names].sort().join('+')}`).sort().join(',');
}

/**
 * A bundle built like the functions' that imports only what the handler
 * imports from the AWS SDK (the same clients and commands: with the SDK's ES
 * builds, esbuild leaves out the commands nobody imports, in both).
 */
async function baselineBundle(imports: SdkImports, dir: string): Promise<string> {
  const source = path.join(dir, `baseline-${createHash('sha256').update(importsKey(imports)).digest('hex').slice(0, 16)}.mjs`);
  const lines = [...imports].map(([pkg, names], i) => {
    if (names.has('import()')) return `globalThis.keep${i} = () => import('${pkg}');`;
    return names.has('*')
      ? `import * as c${i} from '${pkg}'; globalThis.keep${i} = c${i};`
      : `import { ${[...names].join(', ')} } from '${pkg}'; globalThis.keep${i} = [${[...names].join(', ')}];`;
  });
  writeFileSync(source, lines.join('\n'));
  const outfile = source.replace(/\.mjs$/, '.js');
  await build({
    entryPoints: [source],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLE_TARGET,
    mainFields: BUNDLE_MAIN_FIELDS,
    outfile,
    nodePaths: [fromRepoRoot('node_modules')],
    logLevel: 'silent',
    external: ['cpu-features', '*.node'],
  });
  return outfile;
}

/**
 * Cold import of `bundle` and of `baseline`, measured in turns (one of each,
 * RUNS times) so that other load on the machine weighs on both alike; the
 * difference is the median of the pairs' differences.
 */
function pairedImportMs(bundle: string, baseline: string): { ms: number; base: number; added: number; addedCpu: number } {
  const pairs = Array.from({ length: RUNS }, () => ({ handler: coldImport(bundle), base: coldImport(baseline) }));
  return {
    ms: median(pairs.map((p) => p.handler.wall)),
    base: median(pairs.map((p) => p.base.wall)),
    added: median(pairs.map((p) => p.handler.wall - p.base.wall)),
    addedCpu: median(pairs.map((p) => p.handler.cpu - p.base.cpu)),
  };
}

async function lambdas(): Promise<string> {
  const synth = await synthDeployer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deployer-bench-'));
  const baselines = new Map<string, string>();
  const rows: string[][] = [];
  for (const key of Object.keys(ALL_FUNCTIONS) as FunctionKey[]) {
    const bundle = functionBundlePath(synth, key);
    const kib = statSync(bundle).size / 1024;
    const imports = await sdkImportsOf(ALL_FUNCTIONS[key].entry);
    const clients = [...imports.keys()].sort();
    const id = importsKey(imports);
    if (!baselines.has(id)) baselines.set(id, await baselineBundle(imports, dir));
    const { ms, base, added, addedCpu } = pairedImportMs(bundle, baselines.get(id)!);
    rows.push([
      key,
      kib.toFixed(1),
      ms.toFixed(1),
      base.toFixed(1),
      `${added >= 0 ? '+' : ''}${added.toFixed(1)}`,
      `${addedCpu >= 0 ? '+' : ''}${addedCpu.toFixed(1)}`,
      clients.map((c) => c.replace('@aws-sdk/', '') + (imports.get(c)?.has('import()') === true ? ' (on first use)' : '')).join(' '),
    ]);
  }
  return table(['Lambda', 'bundle KiB', `import ms (median of ${RUNS})`, 'its SDK imports alone ms', 'handler adds ms (median of pairs)', 'handler adds CPU ms', 'clients'], rows);
}

/** Virtual seconds spent in the states whose names match, entry to the next state's entry. */
function secondsIn(record: ExecutionRecord, match: RegExp): number {
  let ms = 0;
  record.visits.forEach((visit, i) => {
    const next = record.visits[i + 1];
    if (next !== undefined && match.test(visit.name)) ms += next.enteredAt - visit.enteredAt;
  });
  return ms / 1000;
}

const BAKING = /^(WaitForBake|Verify|StepVerified\?|BakeComplete\?|WaitForKeepWarm|VerifyKeepWarm|KeptWarm\?|StartBake|StartStepBake|StartKeepWarm|RequestApproval)$/;
const ECS = /^(WaitFor(Rollout|Canary|Primary|Idle|OldScaleDown|CanaryScaleDown|Rollback)|Check(Rollout|Canary|Primary|Idle|OldScaleDown|CanaryScaleDown|Rollback)|VerifyRollout|.*Ready\?|RolloutComplete\?|CanaryRemoved\?|OldScaledDown\?|RollbackStable\?)$/;
const DRAIN = /Drain/;

function dollars(value: number): string {
  return `$${value.toFixed(4)}`;
}

async function deployments(): Promise<string> {
  // Default steps: no `steps` in the config.
  const yaml = rehearsalConfigYaml().replace('keepWarm: 2m', 'keepWarm: 15m');
  // The example checkout again, as `canary30`: four steps, thirty minutes of bake (on a second listener).
  const canary30 = yaml
    .slice(yaml.indexOf('  - name: checkout'), yaml.indexOf('  - name: payments'))
    .replace('name: checkout', 'name: canary30')
    .replace('service: checkout', 'service: checkout-30')
    .replace(/f2f7dc8efc522ab2/g, 'aaaa00000000aaaa')
    .replace(/targetgroup\/checkout\//, 'targetgroup/checkout30/')
    .replace(/targetgroup\/checkout-canary\//, 'targetgroup/checkout30-canary/')
    .replace('repository: checkout', 'repository: checkout30');
  const steps = '    steps: [{weight: 10, bake: 5m}, {weight: 25, bake: 5m}, {weight: 50, bake: 10m}, {weight: 100, bake: 10m}]\n';
  const config = parseConfigYaml(`${yaml}${canary30}${steps}`, 'bench config');
  const world = { account: '123456789012', region: 'us-east-1' };
  const scenarios = [
    { name: 'rolling (bake 60s)', service: 'web', repository: 'web' },
    { name: 'canary, default steps', service: 'checkout', repository: 'checkout' },
    { name: 'canary, 4 steps, 30m of bake', service: 'canary30', repository: 'checkout30' },
    { name: 'blue-green, default steps', service: 'payments', repository: 'payments' },
    { name: 'canary, bad canary', service: 'checkout', repository: 'checkout', bad: true },
    { name: 'rolling, unhealthy image', service: 'web', repository: 'web', unhealthy: true },
  ];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const s of scenarios) {
    const started = process.hrtime.bigint();
    const { report, record } = await rehearseDeployment({
      config,
      service: s.service,
      image: image(s.repository, 'v1.1.0'),
      bad: s.bad === true,
      unhealthy: s.unhealthy === true,
      world,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const baking = secondsIn(record, BAKING);
    const ecs = secondsIn(record, ECS);
    const drain = secondsIn(record, DRAIN);
    const overhead = report.virtualSeconds - baking - ecs - drain;
    const cost =
      report.transitions * PRICE.transition + report.lambdaInvocations * (PRICE.request + INVOCATION.gb * INVOCATION.seconds * PRICE.gbSecond);
    rows.push([
      s.name,
      report.status,
      String(report.transitions),
      String(report.historyEvents),
      String(report.lambdaInvocations),
      dollars(cost),
      String(report.virtualSeconds),
      String(Math.round(baking)),
      String(Math.round(ecs)),
      String(Math.round(drain)),
      String(Math.round(overhead)),
      wallMs.toFixed(0),
    ]);
    if (s.bad === true) {
      const shifted = record.visits.find((v) => v.name === 'ShiftTraffic')!;
      const setAt = (shifted.output as { weights: { setAt: number } }).weights.setAt;
      // ALB metrics come by the minute: the first bad figures exist when the minute of the shift ends.
      const firstBad = Math.ceil(setAt / 60_000) * 60_000;
      const restored = record.visits.find((v) => v.name === 'RollbackWeights');
      const after = restored === undefined ? undefined : record.visits[record.visits.indexOf(restored) + 1];
      if (after !== undefined) {
        notes.push(
          `bad canary: weights restored ${((after.enteredAt - firstBad) / 1000).toFixed(0)} s (virtual) after its first bad figures (verify interval ${config.ecs[1]!.verifyIntervalSeconds} s)`,
        );
      }
    }
  }
  const header = ['deployment', 'status', 'transitions', 'history events', 'Lambda invocations', 'est. cost', 'AWS time s', 'baking s', 'ECS s', 'draining s', 'overhead s', 'rehearsal ms'];
  return [
    table(header, rows),
    '',
    `est. cost: Standard transitions at ${PRICE.transition * 1000}/1000, Lambda arm64 at ${PRICE.gbSecond}/GB-s (256 MB, 100 ms each) + ${(PRICE.request * 1e6).toFixed(2)}/1M requests.`,
    'overhead: AWS time not spent baking (and waiting for approvals), in ECS rollouts and scaling, or draining.',
    ...notes,
  ].join('\n');
}

/** History events of the default and of the longest configuration validation accepts, per strategy, against the 25,000 limit. */
async function limits(): Promise<string> {
  const rows: string[][] = [];
  for (const [service, repository] of [['web', 'web'], ['checkout', 'checkout'], ['payments', 'payments']] as const) {
    // The schema's default steps (not the short steps the tests use).
    const defaults = parseConfigYaml(rehearsalConfigYaml(), 'bench config');
    const { minutes, svc } = longestAccepted(service, LONGEST[service]);
    for (const [label, config, budgetSvc] of [
      ['default steps', defaults, defaults.ecs.find((x) => x.name === service)!],
      [`longest accepted (bakes of ${minutes}m, every 10s)`, configWith(service, LONGEST[service](minutes)), svc],
    ] as const) {
      const { report } = await rehearseDeployment({ config, service, image: image(repository, 'v1.1.0') });
      rows.push([
        `${service} (${budgetSvc.strategy}), ${label}`,
        report.status,
        String(report.historyEvents),
        String(worstCase(budgetSvc).events),
        `${(report.maxPayloadBytes / 1024).toFixed(1)}`,
        String(report.virtualSeconds),
      ]);
    }
  }
  return [
    table(['configuration', 'status', 'history events', 'worst case (budget)', 'largest state KiB', 'AWS time s'], rows),
    '',
    `Step Functions ends an execution at ${MAX_HISTORY_EVENTS} events and refuses a state over 256 KiB; validation refuses a configuration whose worst case exceeds ${MAX_HISTORY_EVENTS_BUDGET}.`,
  ].join('\n');
}

const started = Date.now();
process.stdout.write(`Node ${process.version}, ${path.basename(process.execPath)}\n\n`);
if (wanted('lambdas')) process.stdout.write(`${await lambdas()}\n\n`);
if (wanted('deployments')) process.stdout.write(`${await deployments()}\n\n`);
if (wanted('limits')) process.stdout.write(`${await limits()}\n\n`);
if (wanted('vm-host')) process.stdout.write(`${await vmHostBench(table)}\n\n`);
if (wanted('vm-fleet')) process.stdout.write(`${await vmFleetBench(table)}\n\n`);
process.stdout.write(`(bench took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
