/**
 * `npm run mutate [-- GLOB...]`: mutation testing of the Lambda code with
 * StrykerJS. Stryker changes the code one small way at a time (a `<` for a
 * `<=`, a condition set to `true`, a string emptied) and runs the tests that
 * cover it; a change no test notices "survives" and shows a behaviour
 * nobody checks.
 *
 * 1. A self-check first (see self-check.ts): a file whose tests kill every
 *    mutant must have every mutant killed, or no score below means anything.
 * 2. Then the files named (default: all of lambdas/), against the mirrored
 *    unit tests under test/lambdas (test/mutation/vitest.config.ts).
 *    Results are kept per set of globs under reports/mutation/incremental/:
 *    the next run of the same globs retests only what changed since.
 * 3. Prints the score per file, worst first. Exit code 1 when the
 *    self-check fails or a decision-code file is below 90% (scores.ts).
 *
 * The HTML report (every mutant, survived ones highlighted) is written to
 * reports/mutation/mutation.html. Not part of `npm test`.
 */
import { createHash } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { Stryker } from '@stryker-mutator/core';
import { runSelfCheck } from './self-check.ts';
import { belowTarget, DECISION_CODE, DECISION_TARGET, formatScores, scoresByFile } from './scores.ts';

type StrykerOptions = ConstructorParameters<typeof Stryker>[0];
type LogLevel = NonNullable<StrykerOptions['logLevel']>;

const DEFAULT_GLOBS = ['lambdas/**/*.ts'];

interface MutateOptions {
  force: boolean;
  typecheck: boolean;
  concurrency?: number;
  selfCheck: boolean;
  skipSelfCheck: boolean;
  decisionCode: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of 1 or more');
  return n;
}

/** One incremental file per set of globs: a run of one file must not forget the results of the others. */
function incrementalFileFor(globs: readonly string[]): string {
  const key = [...globs].sort().join(' ');
  const readable = key.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return `reports/mutation/incremental/${readable}-${hash}.json`;
}

/** The Stryker options of a run over `globs`. */
function strykerOptions(globs: readonly string[], options: MutateOptions): StrykerOptions {
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner', ...(options.typecheck ? ['@stryker-mutator/typescript-checker'] : [])],
    vitest: { configFile: 'test/mutation/vitest.config.ts', related: true },
    // Each mutant runs only the tests that executed its code in the first run.
    coverageAnalysis: 'perTest',
    ...(options.typecheck
      ? { checkers: ['typescript'], tsconfigFile: 'test/mutation/tsconfig.json', typescriptChecker: { prioritizePerformanceOverAccuracy: true } }
      : {}),
    mutate: [...globs],
    ignorePatterns: ['cdk.out', '.cdk.staging', 'coverage', 'tmp'],
    incremental: true,
    incrementalFile: incrementalFileFor(globs),
    force: options.force,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    reporters: ['clear-text', 'html', process.stdout.isTTY ? 'progress' : 'dots'],
    clearTextReporter: { logTests: false, reportScoreTable: false, reportMutants: true },
    htmlReporter: { fileName: 'reports/mutation/mutation.html' },
    thresholds: { high: DECISION_TARGET, low: 80, break: null },
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    fileLogLevel: 'off' as LogLevel,
  };
}

/** Run `npm run mutate` with `argv` (without node and script); the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('npm run mutate --')
    .description('Mutation testing of the Lambda code (StrykerJS): the score per file, worst first.')
    .argument('[globs...]', 'files to mutate; a Stryker line range is allowed (lambdas/shared/lock.ts:60-120)', DEFAULT_GLOBS)
    .option(
      '--force',
      'retest every mutant, ignoring the results kept from the last run of the same globs (needed after a change to code run at module load, e.g. a schema built at import: Stryker records no test for it and keeps its old result)',
      false,
    )
    .option('--typecheck', 'leave out mutants that do not compile (TypeScript checker): truer scores, several times slower', false)
    .option('--concurrency <n>', 'test runners in parallel (default: the number of cores)', positiveInteger)
    .option('--decision-code', 'mutate the decision code only (the files held to 90%, listed in test/mutation/scores.ts)', false)
    .option('--self-check', 'run only the self-check: does a file whose tests kill every mutant get every mutant killed?', false)
    .option('--skip-self-check', 'trust the setup without checking it first', false)
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    return typeof (error as { exitCode?: unknown }).exitCode === 'number' ? (error as { exitCode: number }).exitCode : 2;
  }
  const options = program.opts<MutateOptions>();
  const named = program.processedArgs[0] as string[];
  if (options.decisionCode && program.args.length > 0) {
    process.stderr.write('mutate: give either --decision-code or files, not both\n');
    return 2;
  }
  const globs = options.decisionCode ? [...DECISION_CODE] : named;

  if (!options.skipSelfCheck) {
    process.stdout.write('mutate: self-check (a file whose tests kill every mutant of it)...\n');
    const check = await runSelfCheck();
    if (!check.ok) {
      process.stderr.write(
        `mutate: self-check FAILED: ${check.missed.length} of ${check.mutants} mutants were not killed by a test that ran.\n` +
          'Mutant runs do not execute their tests (a Stryker or vitest upgrade?), so no score can be trusted:\n' +
          check.missed.map((m) => `  ${m}\n`).join(''),
      );
      return 1;
    }
    process.stdout.write(`mutate: self-check passed: ${check.mutants} of ${check.mutants} mutants killed.\n`);
    if (options.selfCheck) return 0;
  }

  const mutants = await new Stryker(strykerOptions(globs, options)).runMutationTest();
  const scores = scoresByFile(mutants, process.cwd());
  process.stdout.write(`\nMutation score per file (killed / (killed + survived + no coverage)):\n${formatScores(scores)}\n`);
  process.stdout.write('Every mutant: reports/mutation/mutation.html\n');
  const low = belowTarget(scores);
  if (low.length > 0) {
    process.stderr.write(`mutate: decision code below ${DECISION_TARGET}%: ${low.map((s) => s.file).join(', ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
