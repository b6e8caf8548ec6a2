import { describe, expect, it } from 'vitest';
import { belowTarget, formatScores, scoresByFile } from './scores.ts';

const ROOT = '/repo';

function mutants(file: string, statuses: Record<string, number>): { fileName: string; status: string }[] {
  return Object.entries(statuses).flatMap(([status, count]) => Array.from({ length: count }, () => ({ fileName: `${ROOT}/${file}`, status })));
}

describe('mutation scores per file', () => {
  it('counts killed and timed-out mutants as detected, over detected, survived and uncovered ones', () => {
    // Prepare
    const results = mutants('lambdas/shared/lock.ts', { Killed: 6, Timeout: 1, Survived: 2, NoCoverage: 1 });

    // Act
    const [score] = scoresByFile(results, ROOT);

    // Assess
    expect(score).toEqual({ file: 'lambdas/shared/lock.ts', killed: 7, survived: 2, noCoverage: 1, excluded: 0, score: 70 });
  });

  it('leaves mutants that did not compile, crashed the runner or were ignored out of the score', () => {
    // Prepare
    const results = mutants('lambdas/shared/lock.ts', { Killed: 9, Survived: 1, CompileError: 5, RuntimeError: 2, Ignored: 3 });

    // Act
    const [score] = scoresByFile(results, ROOT);

    // Assess
    expect(score).toMatchObject({ score: 90, excluded: 10 });
  });

  it('lists the worst file first and a file without a valid mutant last', () => {
    // Prepare
    const results = [
      ...mutants('lambdas/a.ts', { Killed: 1 }),
      ...mutants('lambdas/b.ts', { CompileError: 1 }),
      ...mutants('lambdas/c.ts', { Killed: 1, Survived: 1 }),
    ];

    // Act
    const order = scoresByFile(results, ROOT).map((s) => [s.file, s.score]);

    // Assess
    expect(order).toEqual([
      ['lambdas/c.ts', 50],
      ['lambdas/a.ts', 100],
      ['lambdas/b.ts', undefined],
    ]);
  });

  it('holds decision code to 90% and other files to nothing', () => {
    // Prepare
    const scores = scoresByFile(
      [
        ...mutants('lambdas/shared/lock.ts', { Killed: 89, Survived: 11 }),
        ...mutants('lambdas/envelope/trigger.ts', { Killed: 90, Survived: 10 }),
        ...mutants('lambdas/shared/logger.ts', { Survived: 1 }),
      ],
      ROOT,
    );

    // Act
    const low = belowTarget(scores).map((s) => s.file);
    const table = formatScores(scores);

    // Assess
    expect(low).toEqual(['lambdas/shared/lock.ts']);
    expect(table).toMatch(/lambdas\/shared\/lock\.ts +89\.0% .*decision code: below 90%/);
    expect(table).toMatch(/lambdas\/envelope\/trigger\.ts +90\.0% .*decision code$/m);
    expect(table).toMatch(/lambdas\/shared\/logger\.ts +0\.0% +0 +1 +0 +0$/m);
  });
});
