import { describe, expect, it } from 'vitest';
import type { Figures } from '../../../lambdas/shared/alb-metrics.ts';
import { compareSides, errorRateExceeds } from '../../../lambdas/verify/comparison.ts';

/** The example's thresholds: +1 point of 5xx, 1.5x p99, 100 requests. */
const SETTINGS = { maxErrorRateIncrease: 1, maxLatencyRatio: 1.5, minRequests: 100 };

function side(requests: number, errors: number, p99?: number): Figures {
  return { requests, errors, errorRate: requests === 0 ? 0 : errors / requests, ...(p99 !== undefined ? { p99 } : {}), from: 0, to: 300_000 };
}

/** A primary serving 90% of a step: 1350 requests, 0.5% errors, p99 200 ms. */
const PRIMARY = side(1350, 7, 0.2);

describe('new-vs-old comparison', () => {
  describe('5xx rate', () => {
    it('catches a bad canary (8% errors) at a 10% step with about 150 requests', () => {
      // Prepare
      const canary = side(150, 12, 0.2);

      // Act
      const verdict = compareSides(canary, PRIMARY, SETTINGS, 'canary');

      // Assess
      expect(verdict).toEqual({
        kind: 'fail',
        detail: "canary side 5xx rate 8.00% (12/150) exceeds the old side's 0.52% (7/1350) by more than 1 point(s)",
      });
    });

    it.each([
      [1, 100],
      [2, 100],
      [3, 120],
    ])('does not fail a healthy canary for %i unlucky error(s) in its first %i requests', (errors, requests) => {
      // Prepare
      const canary = side(requests, errors, 0.2);

      // Act
      const verdict = compareSides(canary, PRIMARY, SETTINGS, 'canary');

      // Assess
      expect(verdict.kind).toBe('pass');
    });

    it('fails the same excess once the evidence is there', () => {
      // Prepare: 3% errors: within noise at 100 requests, beyond the margin at 3000.
      const early = side(100, 3);
      const later = side(3000, 90);

      // Act
      const verdicts = [compareSides(early, PRIMARY, SETTINGS), compareSides(later, side(27_000, 135), SETTINGS)];

      // Assess
      expect(verdicts.map((v) => v.kind)).toEqual(['pass', 'fail']);
    });

    it('never fails a new side whose rate is within the margin, however many requests', () => {
      // Prepare
      const newSide = side(1_000_000, 14_000);
      const oldSide = side(1_000_000, 5_000);

      // Act
      const exceeds = errorRateExceeds(newSide, oldSide, 0.01);

      // Assess
      expect(exceeds).toBe(false);
    });

    it('never fails a new side with fewer errors than the old one', () => {
      // Prepare
      const newSide = side(500, 0);

      // Act
      const exceeds = errorRateExceeds(newSide, side(5000, 500), 0);

      // Assess
      expect(exceeds).toBe(false);
    });

    it('takes maxErrorRateIncrease in percentage points', () => {
      // Prepare: 6% against 0.5%: beyond 1 point, within 10.
      const canary = side(1000, 60);

      // Act
      const strict = compareSides(canary, PRIMARY, SETTINGS);
      const lenient = compareSides(canary, PRIMARY, { ...SETTINGS, maxErrorRateIncrease: 10 });

      // Assess
      expect([strict.kind, lenient.kind]).toEqual(['fail', 'pass']);
    });
    it.each([
      ['the primary of a 10% step (7 errors in 1350)', side(1350, 7), 150, 10],
      ['an old side without errors', side(100, 0), 100, 8],
      ['an old side without errors, on ten times the requests', side(100, 0), 1000, 37],
      ['an old side failing half its requests', side(60, 30), 100, 70],
    ])('fails a new side from the first error beyond the margin with 99%% confidence, against %s', (_name, oldSide, requests, firstFailing) => {
      // Prepare: one error fewer is still within noise (thresholds worked out by hand from the z-test).
      const lastPassing = side(requests, firstFailing - 1);
      const failing = side(requests, firstFailing);

      // Act
      const verdicts = [compareSides(lastPassing, oldSide, SETTINGS), compareSides(failing, oldSide, SETTINGS)];

      // Assess
      expect(verdicts.map((v) => v.kind)).toEqual(['pass', 'fail']);
    });
  });

  describe('p99 latency', () => {
    it('fails a new side whose p99 is more than maxLatencyRatio times the old side’s', () => {
      // Prepare
      const canary = side(200, 0, 0.32);

      // Act
      const verdict = compareSides(canary, PRIMARY, SETTINGS, 'canary');

      // Assess
      expect(verdict).toEqual({ kind: 'fail', detail: "canary side p99 320 ms is 1.60x the old side's 200 ms (limit 1.5x)" });
    });

    it('passes a p99 right at the ratio', () => {
      // Prepare
      const canary = side(200, 0, 0.3);

      // Act
      const verdict = compareSides(canary, PRIMARY, SETTINGS);

      // Assess
      expect(verdict.kind).toBe('pass');
    });

    it('passes a p99 of exactly maxLatencyRatio times the old side’s', () => {
      // Prepare: 375 ms against 250 ms is 1.5x with no rounding.
      const canary = side(200, 0, 0.375);

      // Act
      const verdict = compareSides(canary, side(1350, 7, 0.25), SETTINGS, 'canary');

      // Assess
      expect(verdict).toEqual({ kind: 'pass', detail: 'canary 5xx 0.00% vs 0.52% (limit +1 pt), p99 375 ms vs 250 ms (x1.50 <= 1.5) over 200 requests' });
    });

    it('never fails a difference of exactly 25 ms, whatever the ratio', () => {
      // Prepare: 2x slower, by 25 ms exactly.
      const canary = side(200, 0, 0.05);

      // Act
      const verdict = compareSides(canary, side(2000, 0, 0.025), SETTINGS);

      // Assess
      expect(verdict.kind).toBe('pass');
    });

    it('fails a new side over 25 ms slower than an old side whose p99 is 0 ms', () => {
      // Prepare
      const canary = side(200, 0, 0.03);

      // Act
      const verdict = compareSides(canary, side(2000, 0, 0), SETTINGS, 'canary');

      // Assess
      expect(verdict).toEqual({ kind: 'fail', detail: "canary side p99 30 ms is ∞x the old side's 0 ms (limit 1.5x)" });
    });

    it('never fails a difference under 25 ms, whatever the ratio (fast services are noisy)', () => {
      // Prepare: 3x slower, but 20 ms.
      const fastOld = side(2000, 0, 0.01);
      const canary = side(200, 0, 0.03);

      // Act
      const verdict = compareSides(canary, fastOld, SETTINGS);

      // Assess
      expect(verdict.kind).toBe('pass');
    });

    it('fails a difference just over 25 ms beyond the ratio', () => {
      // Prepare
      const fastOld = side(2000, 0, 0.01);
      const canary = side(200, 0, 0.036);

      // Act
      const verdict = compareSides(canary, fastOld, SETTINGS);

      // Assess
      expect(verdict.kind).toBe('fail');
    });

    it('does not compare the p99 of fewer than 50 requests on either side (it is only their slowest one)', () => {
      // Prepare
      const lowTraffic = { ...SETTINGS, minRequests: 10 };
      const canary = side(40, 0, 0.9);

      // Act
      const verdicts = [compareSides(canary, PRIMARY, lowTraffic), compareSides(side(60, 0, 0.9), side(30, 0, 0.2), lowTraffic), compareSides(side(60, 0, 0.9), PRIMARY, lowTraffic)];

      // Assess
      expect(verdicts.map((v) => v.kind)).toEqual(['pass', 'pass', 'fail']);
      expect(verdicts[0]?.detail).not.toContain('p99');
    });

    it('does not judge latency when a side has no p99', () => {
      // Prepare
      const canary = side(200, 0, 5);

      // Act
      const verdict = compareSides(canary, side(1350, 7), SETTINGS, 'canary');

      // Assess
      expect(verdict).toEqual({ kind: 'pass', detail: 'canary 5xx 0.00% vs 0.52% (limit +1 pt) over 200 requests' });
    });
    it('does not judge latency when the new side has no p99', () => {
      // Prepare
      const canary = side(200, 0);

      // Act
      const verdict = compareSides(canary, PRIMARY, SETTINGS);

      // Assess
      expect(verdict).toEqual({ kind: 'pass', detail: 'new 5xx 0.00% vs 0.52% (limit +1 pt) over 200 requests' });
    });

    it.each([
      ['the new side', side(50, 0, 0.9), PRIMARY],
      ['the old side', side(200, 0, 0.9), side(50, 0, 0.2)],
    ])('compares the p99 of exactly 50 requests on %s', (_name, newSide, oldSide) => {
      // Prepare
      const lowTraffic = { ...SETTINGS, minRequests: 10 };

      // Act
      const verdict = compareSides(newSide, oldSide, lowTraffic);

      // Assess
      expect(verdict.kind).toBe('fail');
    });
  });

  describe('too little traffic', () => {
    it('gives no verdict below minRequests, however bad the figures look', () => {
      // Prepare
      const canary = side(99, 50, 3);

      // Act
      const verdict = compareSides(canary, PRIMARY, SETTINGS, 'canary');

      // Assess
      expect(verdict).toEqual({ kind: 'insufficient', detail: 'canary served 99 request(s), fewer than minRequests 100' });
    });

    it('passes a new side that served nothing when minRequests is 0: nothing to compare', () => {
      // Prepare
      const canary = side(0, 0);

      // Act
      const verdict = compareSides(canary, PRIMARY, { ...SETTINGS, minRequests: 0 }, 'canary');

      // Assess
      expect(verdict).toEqual({ kind: 'pass', detail: 'canary served no request (minRequests 0: nothing to compare)' });
    });

    it('judges a single request when minRequests is 0', () => {
      // Prepare
      const canary = side(1, 1);

      // Act
      const verdict = compareSides(canary, PRIMARY, { ...SETTINGS, minRequests: 0 }, 'canary');

      // Assess
      expect(verdict.kind).not.toBe('insufficient');
    });

    it('gives no verdict on a new side that served nothing while minRequests asks for traffic', () => {
      // Prepare
      const canary = side(0, 0);

      // Act
      const verdict = compareSides(canary, PRIMARY, SETTINGS, 'canary');

      // Assess
      expect(verdict).toEqual({ kind: 'insufficient', detail: 'canary served 0 request(s), fewer than minRequests 100' });
    });

    it('fails a new side that did serve requests, all of them errors, when minRequests is 0', () => {
      // Prepare
      const canary = side(60, 60, 0.2);

      // Act
      const verdict = compareSides(canary, PRIMARY, { ...SETTINGS, minRequests: 0 }, 'canary');

      // Assess
      expect(verdict.kind).toBe('fail');
    });

    it('passes on the new side alone when there are no old-side figures', () => {
      // Prepare
      const colour = side(300, 30, 2);

      // Act
      const verdict = compareSides(colour, undefined, SETTINGS, 'new colour');

      // Assess
      expect(verdict).toEqual({ kind: 'pass', detail: 'new colour 5xx 10.0% (no old-side figures to compare with) over 300 requests' });
    });
  });
});
