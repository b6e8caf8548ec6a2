/**
 * Mutation scores per file, from the mutants a Stryker run returns.
 *
 * The score is Stryker's own: detected (killed or timed out) over valid
 * mutants (detected, survived, or covered by no test). Mutants that did not
 * compile or crashed the runner, and ignored ones, do not count.
 */
import path from 'node:path';
import picomatch from 'picomatch';

/** The part of a Stryker mutant result the scores need. */
export interface ScoredMutant {
  fileName: string;
  status: string;
}

/** One file's counts and score. */
export interface FileScore {
  /** Relative to the repository root, with forward slashes. */
  file: string;
  killed: number;
  survived: number;
  noCoverage: number;
  /** Mutants that do not count: compile or runtime errors, ignored. */
  excluded: number;
  /** Percent, or undefined when the file has no valid mutant. */
  score: number | undefined;
}

/** The score decision code must keep (issue 8, section 9). */
export const DECISION_TARGET = 90;

/**
 * Decision code: the files whose mistakes deploy the wrong thing, keep a
 * service locked, or roll back (or fail to) for the wrong reason. Each must
 * keep `DECISION_TARGET`.
 */
export const DECISION_CODE: readonly string[] = [
  'lambdas/shared/lock.ts',
  'lambdas/shared/lock-waiter.ts',
  'lambdas/envelope/acquire-lock.ts',
  'lambdas/envelope/trigger.ts',
  'lambdas/ecs/check-service.ts',
  'lambdas/verify/verify.ts',
  'lambdas/verify/alarms.ts',
  'lambdas/verify/comparison.ts',
  'lambdas/verify/verification-state.ts',
  'lambdas/shared/health-check.ts',
  'lambdas/shared/aws-call.ts',
  'lambdas/shared/errors.ts',
  'lambdas/shared/outcome.ts',
  'lambdas/shared/table.ts',
  'lambdas/shared/config.ts',
  // Split out of config.ts (durations, ARNs, steps): the same checks, held to the same score.
  'lambdas/shared/config-fields.ts',
  'lambdas/elb/set-weights.ts',
  'lambdas/elb/forward-weights.ts',
  'lambdas/elb/read-weights.ts',
];

const isDecisionCode = picomatch([...DECISION_CODE]);

/** True when `file` (repository-relative) is decision code. */
export function isDecision(file: string): boolean {
  return isDecisionCode(file);
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived']);
const UNCOVERED = new Set(['NoCoverage']);

/** Per-file scores, worst first; files without a valid mutant last. */
export function scoresByFile(mutants: readonly ScoredMutant[], root: string): FileScore[] {
  const byFile = new Map<string, FileScore>();
  for (const mutant of mutants) {
    const file = path.relative(root, path.resolve(root, mutant.fileName)).split(path.sep).join('/');
    const entry = byFile.get(file) ?? { file, killed: 0, survived: 0, noCoverage: 0, excluded: 0, score: undefined };
    if (DETECTED.has(mutant.status)) entry.killed += 1;
    else if (UNDETECTED.has(mutant.status)) entry.survived += 1;
    else if (UNCOVERED.has(mutant.status)) entry.noCoverage += 1;
    else entry.excluded += 1;
    byFile.set(file, entry);
  }
  const scores = [...byFile.values()].map((entry) => {
    const valid = entry.killed + entry.survived + entry.noCoverage;
    return { ...entry, score: valid === 0 ? undefined : (100 * entry.killed) / valid };
  });
  return scores.sort((a, b) => (a.score ?? Infinity) - (b.score ?? Infinity) || a.file.localeCompare(b.file));
}

/** Decision-code files below the target. */
export function belowTarget(scores: readonly FileScore[]): FileScore[] {
  return scores.filter((s) => isDecision(s.file) && s.score !== undefined && s.score < DECISION_TARGET);
}

/** The table `npm run mutate` prints: one line per file, decision code marked. */
export function formatScores(scores: readonly FileScore[]): string {
  const width = Math.max(4, ...scores.map((s) => s.file.length));
  const header = `${'file'.padEnd(width)}  score  killed  survived  no-cov  excluded`;
  const lines = scores.map((s) => {
    const score = s.score === undefined ? '   n/a' : `${s.score.toFixed(1).padStart(5)}%`;
    const mark = !isDecision(s.file) ? '' : s.score !== undefined && s.score < DECISION_TARGET ? `  decision code: below ${DECISION_TARGET}%` : '  decision code';
    return `${s.file.padEnd(width)} ${score}  ${String(s.killed).padStart(6)}  ${String(s.survived).padStart(8)}  ${String(s.noCoverage).padStart(6)}  ${String(s.excluded).padStart(8)}${mark}`;
  });
  return [header, ...lines].join('\n');
}
