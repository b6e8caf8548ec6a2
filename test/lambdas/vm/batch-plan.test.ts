import { describe, expect, it } from 'vitest';
import { allowedFailures, batchIndexes, cumulativeBatchSizes } from '../../../lambdas/vm/batch-plan.ts';

describe('batch plan', () => {
  it('cuts 10 hosts in 25% / 50% / 100% into batches of 3, 2 and 5 (cumulative, rounded up)', () => {
    // Act
    const sizes = cumulativeBatchSizes(['25%', '50%', '100%'], 10);
    const batches = batchIndexes(['25%', '50%', '100%'], 10);

    // Assess
    expect(sizes).toEqual([3, 5, 10]);
    expect(batches).toEqual([0, 0, 0, 1, 1, 2, 2, 2, 2, 2]);
  });

  it('drops batches that add no host and always ends with the whole fleet', () => {
    // Act
    const sizes = cumulativeBatchSizes([1, 1, '10%', '50%'], 4);

    // Assess: 1, (1 again), 10% of 4 = 1 again, 50% = 2, then the rest
    expect(sizes).toEqual([1, 2, 4]);
  });

  it('cuts 1,000 hosts in 10% batches into ten batches of 100', () => {
    // Act
    const sizes = cumulativeBatchSizes(['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%'], 1000);

    // Assess
    expect(sizes).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  it('reads maxErrors as a count or as a percentage of the batch (rounded down)', () => {
    expect(allowedFailures(0, 50)).toBe(0);
    expect(allowedFailures(2, 50)).toBe(2);
    expect(allowedFailures('10%', 25)).toBe(2);
    expect(allowedFailures('10%', 5)).toBe(0);
    expect(() => allowedFailures('ten', 5)).toThrow(/maxErrors/);
  });
});
