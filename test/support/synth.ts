/**
 * One synthesis of the deployer app for all the infra test files.
 *
 * Synthesis bundles every Lambda with esbuild, which takes seconds; vitest
 * runs each test file in its own process, so an in-memory cache is not
 * enough. The cloud assembly is cached on disk under
 * node_modules/.cache/ecs-deployer-synth/<hash of every input>, so a change to
 * any source, ASL, config or dependency gives a fresh synthesis, and the test
 * files running at once wait for the one that synthesizes (a lock directory).
 * `DEPLOYER_SYNTH_CACHE=off` synthesizes in every process instead.
 *
 * The app is built with `addDeployerStack`, exactly as bin/app.ts does,
 * cdk-nag included: a cdk-nag failure does not stop the other tests (the
 * assembly is written before validation), it is reported in
 * `validationViolations` for the cdk-nag test to show.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { App } from 'aws-cdk-lib';
import { addDeployerStack, STACK_NAME } from '../../infra/deployer-app.ts';
import { loadConfigFile } from '../../infra/load-config.ts';
import { REPO_ROOT } from '../../infra/repo-root.ts';
import type { DeployerConfig } from '../../lambdas/shared/config.ts';
import type { FunctionKey } from '../../lambdas/registry.ts';
import { functionLogicalIds, type CfnTemplateJson } from './template-policies.ts';

/** The config the infra tests synthesize with. */
export const EXAMPLE_CONFIG = 'examples/deployer.config.yaml';

/** One finding of a policy-validation plugin (cdk-nag), as in validation-report.json. */
export interface ValidationViolation {
  readonly pluginName: string;
  readonly ruleName: string;
  readonly description: string;
  readonly severity?: string;
  /** Construct paths of the offending resources. */
  readonly constructPaths: string[];
}

/** A synthesized deployer app. */
export interface DeployerSynth {
  /** Config path, relative to the repository root (or absolute). */
  readonly configPath: string;
  readonly config: DeployerConfig;
  /** The cloud assembly directory (templates, bundled assets, validation-report.json). */
  readonly assemblyDir: string;
  /** The EcsDeployer stack's template. */
  readonly template: CfnTemplateJson;
  /** Findings of cdk-nag; empty when the app passed. */
  readonly validationViolations: ValidationViolation[];
  /** The synth error when validation failed. */
  readonly validationError?: string;
}

const CACHE_ROOT = path.join(REPO_ROOT, 'node_modules', '.cache', 'ecs-deployer-synth');
const RESULT_FILE = 'synth-result.json';
const INPUT_DIRS = ['infra', 'lambdas', 'statemachines', 'vm'];
const INPUT_FILES = ['bin/app.ts', 'cdk.json', 'package-lock.json', 'tsconfig.json', 'test/support/synth.ts'];
const WAIT_LIMIT_MS = 170_000;

const memo = new Map<string, Promise<DeployerSynth>>();

/** Synthesize (or reuse the synthesis of) the app with `configPath`. */
export function synthDeployer(configPath: string = EXAMPLE_CONFIG): Promise<DeployerSynth> {
  let pending = memo.get(configPath);
  if (pending === undefined) {
    pending = load(configPath);
    memo.set(configPath, pending);
  }
  return pending;
}

/** Path of the bundled `index.js` of a function, as it is uploaded to Lambda. */
export function functionBundlePath(synth: DeployerSynth, key: FunctionKey): string {
  const logicalId = functionLogicalIds(synth.template)[key];
  // The asset's S3 key is `<hash>.zip`, staged in the assembly as `asset.<hash>/`.
  const code = synth.template.Resources[logicalId]?.Properties?.Code as { S3Key?: unknown } | undefined;
  const match = typeof code?.S3Key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(code.S3Key) : null;
  if (match === null) throw new Error(`${logicalId} has no asset code: ${JSON.stringify(code)}`);
  return path.join(synth.assemblyDir, `asset.${match[1]}`, 'index.js');
}

/** The bundled `index.js` of a function, as it is uploaded to Lambda. */
export function functionBundle(synth: DeployerSynth, key: FunctionKey): string {
  return readFileSync(functionBundlePath(synth, key), 'utf8');
}

/** The feature flags and other context of cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

async function load(configPath: string): Promise<DeployerSynth> {
  const config = loadConfigFile(configPath, REPO_ROOT);
  const assemblyDir =
    process.env.DEPLOYER_SYNTH_CACHE === 'off'
      ? synthesizeInto(mkdtempSync(path.join(os.tmpdir(), 'deployer-synth-')), configPath)
      : await cachedSynth(configPath);
  const result = JSON.parse(readFileSync(path.join(assemblyDir, RESULT_FILE), 'utf8')) as { validationError?: string };
  const template = JSON.parse(
    readFileSync(path.join(assemblyDir, `${STACK_NAME}.template.json`), 'utf8'),
  ) as CfnTemplateJson;
  return {
    configPath,
    config,
    assemblyDir,
    template,
    validationViolations: readViolations(assemblyDir),
    ...(result.validationError !== undefined ? { validationError: result.validationError } : {}),
  };
}

/** Synthesize into `outdir`; returns `outdir`. */
function synthesizeInto(outdir: string, configPath: string): string {
  const app = new App({ outdir, context: cdkJsonContext() });
  addDeployerStack(app, loadConfigFile(configPath, REPO_ROOT));
  let validationError: string | undefined;
  try {
    app.synth();
  } catch (error) {
    // Policy validation (cdk-nag) runs after the templates are written: keep
    // them, and let the cdk-nag test report the findings.
    if (readViolations(outdir).length === 0) throw error;
    validationError = (error as Error).message;
  }
  writeFileSync(path.join(outdir, RESULT_FILE), JSON.stringify({ validationError }));
  return outdir;
}

interface ReportJson {
  pluginReports?: {
    pluginName?: string;
    violations?: {
      ruleName?: string;
      description?: string;
      severity?: string;
      violatingConstructs?: { constructPath?: string }[];
      violatingResources?: { constructPath?: string; resourceLogicalId?: string }[];
    }[];
  }[];
}

function readViolations(assemblyDir: string): ValidationViolation[] {
  const file = path.join(assemblyDir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as ReportJson;
  return (report.pluginReports ?? []).flatMap((plugin) =>
    (plugin.violations ?? []).map((v) => ({
      pluginName: plugin.pluginName ?? '?',
      ruleName: v.ruleName ?? '?',
      description: v.description ?? '',
      ...(v.severity !== undefined ? { severity: v.severity } : {}),
      constructPaths: [...(v.violatingConstructs ?? []), ...(v.violatingResources ?? [])].map(
        (c) => c.constructPath ?? ('resourceLogicalId' in c ? String(c.resourceLogicalId) : '?'),
      ),
    })),
  );
}

/** Hash of everything the synthesized assembly depends on. */
function inputsHash(configPath: string): string {
  const hash = createHash('sha256');
  const files: string[] = [...INPUT_FILES];
  const walk = (dir: string): void => {
    const absolute = path.join(REPO_ROOT, dir);
    if (!existsSync(absolute)) return;
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.isFile()) files.push(relative);
    }
  };
  INPUT_DIRS.forEach(walk);
  for (const file of files.sort()) {
    const absolute = path.join(REPO_ROOT, file);
    hash.update(`${file}\0`);
    if (existsSync(absolute)) hash.update(readFileSync(absolute));
    hash.update('\0');
  }
  hash.update(`config\0${configPath}\0`);
  hash.update(readFileSync(path.resolve(REPO_ROOT, configPath)));
  hash.update(`\0${process.version}`);
  return hash.digest('hex').slice(0, 32);
}

function tryLock(lockDir: string): boolean {
  try {
    mkdirSync(lockDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
  return true;
}

/** The lock's owner died without removing it. */
function lockIsStale(lockDir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8'));
  } catch {
    // Created but the pid not written yet, or removed meanwhile: stale only if old.
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function cachedSynth(configPath: string): Promise<string> {
  const key = inputsHash(configPath);
  const dir = path.join(CACHE_ROOT, key);
  const lockDir = `${dir}.lock`;
  const done = (): boolean => existsSync(path.join(dir, RESULT_FILE));
  mkdirSync(CACHE_ROOT, { recursive: true });
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    if (done()) return dir;
    if (tryLock(lockDir)) {
      try {
        if (done()) return dir;
        const staging = `${dir}.tmp-${process.pid}`;
        rmSync(staging, { recursive: true, force: true });
        synthesizeInto(staging, configPath);
        rmSync(dir, { recursive: true, force: true });
        renameSync(staging, dir);
        pruneCache(key);
        return dir;
      } finally {
        rmSync(lockDir, { recursive: true, force: true });
      }
    }
    if (lockIsStale(lockDir)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`waited too long for another process to synthesize (${lockDir})`);
    await sleep(250);
  }
}

/** Keep the cache to the entries of the last hour (other configs, parallel runs). */
function pruneCache(keep: string): void {
  for (const entry of readdirSync(CACHE_ROOT)) {
    if (entry === keep || entry.endsWith('.lock')) continue;
    const full = path.join(CACHE_ROOT, entry);
    try {
      if (Date.now() - statSync(full).mtimeMs > 3_600_000) rmSync(full, { recursive: true, force: true });
    } catch {
      // Another process pruned it first.
    }
  }
}
