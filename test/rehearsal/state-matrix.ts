/**
 * The generated failure and stop tests of one strategy (see
 * test/support/state-matrix.ts); each strategy's test file calls this, so
 * vitest runs the three in parallel.
 */
import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../lambdas/shared/config.ts';
import {
  AFTER_SUCCESS,
  expectedOnFailure,
  run,
  sectionsOf,
  statesOf,
  successPath,
  successStates,
} from '../support/state-matrix.ts';
import { image, rehearsalConfig } from '../support/rehearsal-config.ts';

export interface MatrixOptions {
  strategy: Strategy;
  service: string;
  repository: string;
  /** A deploy state where a failure comes late, after everything changed: it sends the rollback through every one of its states. */
  lateFailure: string;
}

/** Register the matrix tests of one strategy. */
export function stateMatrix({ strategy, service, repository, lateFailure }: MatrixOptions): void {
  const config = rehearsalConfig();
  const deploy = { config, service, image: image(repository, 'v1.1.0') };
  const { tasks } = statesOf(strategy);
  const { rollback } = sectionsOf(strategy);
  const onSuccessPath = successStates(strategy);

  it(`${strategy}: a successful deployment passes through every state of its success path`, async () => {
    const path = await successPath(config, service, deploy.image);
    expect(onSuccessPath.filter((s) => !path.includes(s))).toEqual([]);
  });

  describe(`${strategy}: a failure at every Task state`, () => {
    it.each(tasks.filter((t) => onSuccessPath.includes(t)))('%s', async (state) => {
      // Prepare
      const expected = expectedOnFailure(strategy, state);

      // Act
      const { report, holder, history } = await run({ ...deploy, failAt: state });

      // Assess
      expect(report.status, report.error?.cause).toBe(expected);
      if (expected === 'SUCCEEDED') {
        expect(report.final).not.toEqual(report.initial);
        // A lock that could not be released is left to the stale-lock takeover of the next deployment.
        if (state === 'ReleaseLock') expect(holder).toEqual(expect.stringContaining(':execution:'));
        else expect(holder).toBeUndefined();
        return;
      }
      expect(holder, 'the lock is released').toBeUndefined();
      expect(report.final).toEqual(report.initial);
      expect(report.error?.cause).toContain('AccessDenied');
      if (state !== 'ValidateInput') expect(history[0]?.status).toBe(expected);
    });
  });

  describe(`${strategy}: a failure in every rollback state, after a late failure`, () => {
    it.each(tasks.filter((t) => rollback.has(t)))('%s', async (state) => {
      // Act
      const { report, holder, history } = await run({ ...deploy, failAt: lateFailure }, (rehearsal) => {
        rehearsal.world.failCalls({ stateName: state });
      });

      // Assess: the rollback could not finish; the outcome says what could not be restored.
      expect(report.status, report.error?.cause).toBe('FAILED');
      expect(report.error?.error).toBe('RollbackFailed');
      expect(report.states).toContain(state);
      expect(report.error?.cause).toMatch(/rollback of .* failed/);
      expect(holder).toBeUndefined();
      expect(history[0]).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
    });

    it(`every rollback state is reached by a failure at ${lateFailure}`, async () => {
      const { report } = await run({ ...deploy, failAt: lateFailure });
      expect(report.status).toBe('ROLLED_BACK');
      expect(report.final).toEqual(report.initial);
      const unreached = [...rollback].filter((s) => !report.states.includes(s));
      expect(unreached).toEqual([]);
    });
  });

  describe(`${strategy}: a stop at every rollback state, after a late failure`, () => {
    it.each([...rollback])('%s', async (state) => {
      // Act: the rollback is stopped half-way (from the console, or by a timeout); the watcher's restore finishes it.
      const { report, holder } = await run({ ...deploy, failAt: lateFailure, stopAt: state });

      // Assess
      expect(report.states).toContain(state);
      expect(report.status, report.error?.cause).toBe('ABORTED');
      expect(report.restore?.status, report.restore?.error?.cause).toBe('SUCCEEDED');
      expect(report.final).toEqual(report.initial);
      expect(holder, 'the lock is released').toBeUndefined();
    });
  });

  describe(`${strategy}: a stop at every state of a deployment`, () => {
    it.each(onSuccessPath.filter((s) => s !== 'Deployed'))('%s', async (state) => {
      // Act
      const { report, holder, history } = await run({ ...deploy, stopAt: state });

      // Assess
      expect(holder, 'the lock is released').toBeUndefined();
      if (AFTER_SUCCESS.has(state)) {
        expect(report.status).toBe('SUCCEEDED');
        expect(history[0]?.status).toBe('SUCCEEDED');
        return;
      }
      expect(report.status, report.error?.cause).toBe('ABORTED');
      expect(report.final).toEqual(report.initial);
      if (state !== 'Restore?' && state !== 'ValidateInput') expect(history[0]?.status).toBe('ABORTED');
      if (report.restore !== undefined) expect(report.restore.status).toBe('SUCCEEDED');
    });
  });
}
