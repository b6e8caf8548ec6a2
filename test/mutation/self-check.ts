/**
 * Proof that a mutation run can be trusted: Stryker mutates
 * `self-check/gate.ts`, whose tests kill every mutant of it, and each
 * mutant must be killed by a test that ran. A runner that filters the tests
 * of a mutant run by a name vitest no longer uses (vitest 5's " > " between
 * suite and test names, which @stryker-mutator/vitest-runner before 10.1
 * did not follow) runs no test, and every mutant "survives".
 */
import path from 'node:path';
import { Stryker } from '@stryker-mutator/core';

type StrykerOptions = ConstructorParameters<typeof Stryker>[0];
type LogLevel = NonNullable<StrykerOptions['logLevel']>;
type MutantResult = Awaited<ReturnType<Stryker['runMutationTest']>>[number];

/** What the self-check found. */
export interface SelfCheckResult {
  ok: boolean;
  mutants: number;
  /** Mutants not killed by a test that ran, in words. */
  missed: string[];
}

/** The self-check's Stryker options: its fixture, its tests, nothing reported. */
export const SELF_CHECK_OPTIONS: StrykerOptions = {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'test/mutation/self-check/vitest.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: ['test/mutation/self-check/gate.ts'],
  reporters: [],
  incremental: false,
  concurrency: 1,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  logLevel: 'error' as LogLevel,
  fileLogLevel: 'off' as LogLevel,
};

/** A mutant that escaped, in words. */
function describeMiss(mutant: MutantResult): string {
  const where = `${path.relative(process.cwd(), mutant.fileName)}:${mutant.location.start.line}:${mutant.location.start.column}`;
  return `${mutant.mutatorName} at ${where} (${mutant.replacement}): ${mutant.status}, ${mutant.testsCompleted ?? 0} test(s) ran`;
}

/** Judge a self-check run: every mutant killed by at least one test. */
export function judgeSelfCheck(mutants: readonly MutantResult[]): SelfCheckResult {
  const missed = mutants.filter((m) => m.status !== 'Killed' || (m.killedBy?.length ?? 0) === 0).map(describeMiss);
  return { ok: mutants.length > 0 && missed.length === 0, mutants: mutants.length, missed };
}

/** Run the self-check. */
export async function runSelfCheck(): Promise<SelfCheckResult> {
  const mutants = await new Stryker(SELF_CHECK_OPTIONS).runMutationTest();
  return judgeSelfCheck(mutants);
}
