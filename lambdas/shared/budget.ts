/**
 * The longest a deployment of a service can take, from the config alone:
 * every rollout and scaling at its timeout, every bake with its extra wait
 * for traffic, every approval at its timeout, keep-warm, draining, and then
 * a rollback. Validation refuses a service whose worst case exceeds
 * {@link MAX_WORST_CASE_SECONDS}, so the state machines' execution timeout
 * (which also covers waiting behind another deployment) can never cut a
 * rollback short.
 */
import type { EcsServiceConfig } from './config.ts';

/** The longest deployment (with its rollback) a config may describe: 36 hours. */
export const MAX_WORST_CASE_SECONDS = 36 * 3600;

/** Seconds one verification may take beyond its interval before it is judged (rounding to whole minutes of metrics). */
const METRICS_LAG_SECONDS = 120;

/** The worst case, in seconds, of one deployment of `svc`, its rollback included. */
export function worstCaseSeconds(svc: EcsServiceConfig): number {
  const rollout = svc.deploymentTimeoutSeconds;
  const interval = svc.verifyIntervalSeconds;
  if (svc.strategy === 'rolling') {
    // rollout (verified as it runs), bake, rollback
    return rollout + svc.bakeSeconds + interval + rollout;
  }
  const extra = svc.verification.maxExtraBake;
  let steps = 0;
  for (const step of svc.steps) {
    if (step.kind === 'approval') steps += step.timeoutSeconds ?? svc.approvalTimeout;
    else steps += step.bakeSeconds + extra + interval + METRICS_LAG_SECONDS + (svc.strategy === 'canary' ? rollout : 0);
  }
  // drain (bounded by the rollout timeout) and scale-down of the side that leaves
  const finish = 2 * rollout;
  // weights back, then every service restored, drained and scaled
  const rollback = 3 * rollout;
  if (svc.strategy === 'canary') return steps + rollout + finish + rollback;
  const test = (svc.healthCheck?.failureThreshold ?? 1) * interval;
  return rollout + test + steps + svc.keepWarm + extra + interval + finish + rollback;
}
