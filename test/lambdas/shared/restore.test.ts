import { describe, expect, it } from 'vitest';
import { RestoreRequestSchema, isRestoreInput, restoreExecutionName, siblingExecutionArn } from '../../../lambdas/shared/restore.ts';
import { EXECUTION_ARN, EXECUTION_NAME } from '../../support/lambda-fixtures.ts';

describe('restore runs', () => {
  it('are named after the execution they restore', () => {
    // Prepare
    const name = EXECUTION_NAME;

    // Act
    const restore = restoreExecutionName(name);

    // Assess
    expect(restore).toBe(`${EXECUTION_NAME}-restore`);
  });

  it('keep within the 80 characters of an execution name, deterministically', () => {
    // Prepare: a 40-character service name and the 32-character digest prefix of a push.
    const name = `${'s'.repeat(40)}-${'ab12'.repeat(8)}-x-y`;

    // Act
    const restore = restoreExecutionName(name);

    // Assess
    expect(restore).toHaveLength(80);
    expect(restore.endsWith('-restore')).toBe(true);
    expect(restoreExecutionName(name)).toBe(restore);
  });

  it('run on the state machine of the execution they restore', () => {
    // Prepare
    const name = restoreExecutionName(EXECUTION_NAME);

    // Act
    const arn = siblingExecutionArn(EXECUTION_ARN, name);

    // Assess
    expect(arn).toBe(`${EXECUTION_ARN}-restore`);
  });

  it.each([
    [{ restore: { service: 'web' } }, true],
    [{ service: 'web', image: 'x' }, false],
    ['restore', false],
    [null, false],
  ])('tell a restore input (%j) from a deployment request', (input, expected) => {
    // Prepare
    const value = input;

    // Act
    const result = isRestoreInput(value);

    // Assess
    expect(result).toBe(expected);
  });

  it('accept only the statuses of an unclean end, and no unknown field', () => {
    // Prepare
    const request = { executionArn: EXECUTION_ARN, service: 'web', name: EXECUTION_NAME, startDate: 1, status: 'ABORTED', reason: 'stopped' };

    // Act
    const results = [
      RestoreRequestSchema.safeParse(request).success,
      RestoreRequestSchema.safeParse({ ...request, status: 'SUCCEEDED' }).success,
      RestoreRequestSchema.safeParse({ ...request, force: true }).success,
    ];

    // Assess
    expect(results).toEqual([true, false, false]);
  });
});
