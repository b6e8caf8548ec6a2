/**
 * The new side against the old side, from their target groups' figures.
 *
 * - 5xx rate: the new side may exceed the old side by `maxErrorRateIncrease`
 *   percentage points. It fails only when the excess is beyond that margin
 *   with 99% confidence (a one-sided z-test on the difference of two
 *   proportions), so a healthy canary is not rolled back for a couple of
 *   unlucky requests early in a step, and a bad one is caught as soon as the
 *   evidence is there.
 * - p99 latency: the new side's p99 may be at most `maxLatencyRatio` times
 *   the old side's (and a difference of 25 ms or less never fails: noise). A p99
 *   of fewer than 50 requests is only their slowest one: not compared.
 * - Below `minRequests` on the new side there is no verdict: the step keeps
 *   baking, up to `maxExtraBake` past its bake, then fails.
 */
import type { Figures } from '../shared/alb-metrics.ts';

export interface ComparisonSettings {
  maxErrorRateIncrease: number;
  maxLatencyRatio: number;
  minRequests: number;
}

export type ComparisonVerdict =
  | { kind: 'pass'; detail: string }
  | { kind: 'fail'; detail: string }
  | { kind: 'insufficient'; detail: string };

/** z for 99% one-sided confidence. */
const Z_99 = 2.326;
/** A p99 difference below this (seconds) is noise, whatever the ratio. */
const LATENCY_FLOOR_SECONDS = 0.025;
/** Requests each side needs before its p99 means anything. */
export const LATENCY_MIN_REQUESTS = 50;

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate < 0.1 ? 2 : 1)}%`;
}

function ms(seconds: number): string {
  return `${Math.round(seconds * 1000)} ms`;
}

/** True when the new error rate exceeds the old by more than `margin` with 99% confidence. */
export function errorRateExceeds(newSide: Figures, oldSide: Figures, margin: number): boolean {
  const excess = newSide.errorRate - oldSide.errorRate - margin;
  // Laplace-smoothed rates keep the standard error above zero for 0 errors,
  // so an excess of 0 or less never passes the test below.
  const pn = (newSide.errors + 1) / (newSide.requests + 2);
  const po = (oldSide.errors + 1) / (oldSide.requests + 2);
  const se = Math.sqrt((pn * (1 - pn)) / Math.max(1, newSide.requests) + (po * (1 - po)) / Math.max(1, oldSide.requests));
  // Stryker disable next-line EqualityOperator: `>=` differs only when a rate difference equals 2.326 times a square root exactly, which no request count gives.
  return excess > Z_99 * se;
}

/** Compare the new side's figures with the old side's (or the reference, when the old side has no traffic). */
export function compareSides(
  newSide: Figures,
  oldSide: Figures | undefined,
  settings: ComparisonSettings,
  newLabel = 'new',
): ComparisonVerdict {
  if (newSide.requests === 0 && settings.minRequests === 0) {
    return { kind: 'pass', detail: `${newLabel} served no request (minRequests 0: nothing to compare)` };
  }
  if (newSide.requests < Math.max(1, settings.minRequests)) {
    return { kind: 'insufficient', detail: `${newLabel} served ${newSide.requests} request(s), fewer than minRequests ${settings.minRequests}` };
  }
  const rates = oldSide === undefined
    ? `${newLabel} 5xx ${percent(newSide.errorRate)} (no old-side figures to compare with)`
    : `${newLabel} 5xx ${percent(newSide.errorRate)} vs ${percent(oldSide.errorRate)} (limit +${settings.maxErrorRateIncrease} pt)`;
  if (oldSide === undefined) return { kind: 'pass', detail: `${rates} over ${newSide.requests} requests` };
  const margin = settings.maxErrorRateIncrease / 100;
  if (errorRateExceeds(newSide, oldSide, margin)) {
    return {
      kind: 'fail',
      detail: `${newLabel} side 5xx rate ${percent(newSide.errorRate)} (${newSide.errors}/${newSide.requests}) exceeds the old side's ${percent(oldSide.errorRate)} (${oldSide.errors}/${oldSide.requests}) by more than ${settings.maxErrorRateIncrease} point(s)`,
    };
  }
  let latency = '';
  const enoughForLatency = newSide.requests >= LATENCY_MIN_REQUESTS && oldSide.requests >= LATENCY_MIN_REQUESTS;
  if (newSide.p99 !== undefined && oldSide.p99 !== undefined && enoughForLatency) {
    // Against the limit, not a ratio: an old p99 of 0 ms (all answered within 1 ms) still sets one.
    const slower = newSide.p99 > oldSide.p99 * settings.maxLatencyRatio;
    const times = oldSide.p99 > 0 ? (newSide.p99 / oldSide.p99).toFixed(2) : '∞';
    if (slower && newSide.p99 - oldSide.p99 > LATENCY_FLOOR_SECONDS) {
      return {
        kind: 'fail',
        detail: `${newLabel} side p99 ${ms(newSide.p99)} is ${times}x the old side's ${ms(oldSide.p99)} (limit ${settings.maxLatencyRatio}x)`,
      };
    }
    latency = `, p99 ${ms(newSide.p99)} vs ${ms(oldSide.p99)} (x${times} <= ${settings.maxLatencyRatio})`;
  }
  return { kind: 'pass', detail: `${rates}${latency} over ${newSide.requests} requests` };
}
