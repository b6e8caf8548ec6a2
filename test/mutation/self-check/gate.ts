/**
 * The mutation run's self-check: a deliberately small decision whose tests
 * (gate.check.ts) kill every mutant Stryker makes of it. If a Stryker or
 * vitest upgrade stops the mutant runs from executing their tests (as
 * @stryker-mutator/vitest-runner 10.0 did with vitest 5, whose test names
 * join suites with " > "), these mutants survive and `npm run mutate` says
 * its scores cannot be trusted.
 */

/** Whether a step may go on: errors within the budget and the canary healthy. */
export function mayProceed(errors: number, budget: number, healthy: boolean): boolean {
  if (!healthy) return false;
  return errors <= budget;
}
