import { describe, expect, it } from 'vitest';
import { OUTCOMES, deploymentOutcome, type ExecutionEndFacts } from '../../../lambdas/shared/outcome.ts';

describe('deployment outcome', () => {
  it.each<[string, ExecutionEndFacts, string | undefined]>([
    ['a succeeded execution', { status: 'SUCCEEDED' }, 'SUCCEEDED'],
    ['an execution stopped before it recorded anything', { status: 'ABORTED' }, 'ABORTED'],
    ['an execution stopped after it recorded its success: the verified deployment stays', { status: 'ABORTED', recorded: 'SUCCEEDED' }, 'SUCCEEDED'],
    ['an execution stopped while it ran', { status: 'ABORTED', recorded: 'IN_PROGRESS' }, 'ABORTED'],
    ['a timed-out execution', { status: 'TIMED_OUT', recorded: null }, 'TIMED_OUT'],
    ['a timed-out execution that had recorded its success', { status: 'TIMED_OUT', recorded: 'SUCCEEDED' }, 'SUCCEEDED'],
    ['an execution whose input was rejected', { status: 'FAILED', error: 'InvalidInput' }, 'REJECTED'],
    ['an execution a newer one superseded', { status: 'FAILED', error: 'Superseded' }, 'SUPERSEDED'],
    ['an execution that rolled back', { status: 'FAILED', error: 'RolledBack' }, 'ROLLED_BACK'],
    ['an execution whose rollback failed', { status: 'FAILED', error: 'RollbackFailed' }, 'FAILED'],
    ['an execution that failed outside a Catch', { status: 'FAILED', error: 'States.Runtime' }, 'FAILED'],
    ['a failed execution without an error', { status: 'FAILED', error: null }, 'FAILED'],
    ['a running execution', { status: 'RUNNING' }, undefined],
    ['an execution waiting for a redrive', { status: 'PENDING_REDRIVE' }, undefined],
  ])('calls %s %s', (_what, facts, outcome) => {
    // Prepare
    const input = facts;

    // Act
    const result = deploymentOutcome(input);

    // Assess
    expect(result).toBe(outcome);
    if (result !== undefined) expect(OUTCOMES).toContain(result);
  });
});
