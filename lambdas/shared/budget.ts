/**
 * The longest a deployment of a service can take, and the most Step
 * Functions history events it can write, from the config alone: every
 * rollout and scaling at its timeout, every bake with its extra wait for
 * traffic, every approval at its timeout, keep-warm, draining, a rollback,
 * and before all that the longest wait for the lock.
 *
 * VM services are counted the same way, batch by batch (see
 * {@link vmDeploymentParts}).
 *
 * Validation refuses a service whose worst case exceeds
 * {@link MAX_WORST_CASE_SECONDS} (so the execution timeout, which also
 * covers waiting behind another deployment, never cuts a rollback short) or
 * {@link MAX_HISTORY_EVENTS_BUDGET} (Step Functions ends an execution at
 * 25,000 events without running any Catch; the rest is left for retries).
 *
 * The event counts per state follow Step Functions' history: a Lambda Task
 * writes 5 events (entered, scheduled, started, succeeded, exited), a
 * `.waitForTaskToken` Task 6, a Wait, Choice or Pass 2. A poll loop (Wait,
 * Task, Choice) is 9; the rolling update's (Wait, CheckService, Verify,
 * Choice) 14.
 */
import type { EcsServiceConfig } from './config.ts';
import type { VmServiceConfig } from './vm-config.ts';

/** A service of either kind, as the config describes it. */
type AnyServiceConfig = EcsServiceConfig | VmServiceConfig;

/** The longest deployment (with its rollback) a config may describe: 36 hours. */
export const MAX_WORST_CASE_SECONDS = 36 * 3600;
/** History events a deployment may plan for: the 25,000 limit less room for retries and the envelope's failure paths. */
export const MAX_HISTORY_EVENTS_BUDGET = 20_000;
/** A waiting deployment checks the lock again at least this often (the wait state's timeout). */
export const LOCK_RECHECK_SECONDS = 900;

/** Seconds a verification may wait past its bake for a complete minute of metrics. */
const METRICS_LAG_SECONDS = 120;
const TASK = 5;
const TOKEN_TASK = 6;
const STATE = 2;
const POLL = 9;
const ROLLOUT_POLL = 14;
/** The envelope around the strategy: validation, lock, records, release, the end (and its failure path). */
const ENVELOPE = 60;
/** Taking the lock after a wake-up or a re-check: the wait, AcquireLock, the Choice. */
const LOCK_CHECK = TOKEN_TASK + TASK + STATE;

/** One part of a deployment, for the budget and for saying what makes it too long. */
export interface BudgetPart {
  what: string;
  seconds: number;
  events: number;
}

/** The worst case of one deployment of a service. */
export interface WorstCase {
  seconds: number;
  events: number;
  parts: BudgetPart[];
}

function polled(what: string, seconds: number, interval: number, perPoll = POLL, fixed = 0): BudgetPart {
  return { what, seconds, events: (Math.ceil(seconds / interval) + 1) * perPoll + fixed };
}

function fixed(what: string, events: number): BudgetPart {
  return { what, seconds: 0, events };
}

function sum(parts: BudgetPart[]): { seconds: number; events: number } {
  return parts.reduce((total, p) => ({ seconds: total.seconds + p.seconds, events: total.events + p.events }), { seconds: 0, events: 0 });
}

/** The parts of one deployment of `svc`, its rollback included, without the wait for the lock. */
function deploymentParts(svc: EcsServiceConfig): BudgetPart[] {
  const timeout = svc.deploymentTimeoutSeconds;
  const interval = svc.verifyIntervalSeconds;
  const parts: BudgetPart[] = [fixed('validation, lock, snapshot and records', ENVELOPE + 2 * TASK)];
  if (svc.strategy === 'rolling') {
    parts.push(polled('the rolling update (verified as it runs)', timeout, interval, ROLLOUT_POLL, 3 * TASK));
    parts.push(polled('the bake', svc.bakeSeconds + interval, interval));
    parts.push(polled('the rollback', timeout, interval, POLL, TASK));
    return parts;
  }
  const extra = svc.verification.maxExtraBake;
  svc.steps.forEach((step, index) => {
    if (step.kind === 'approval') {
      parts.push({ what: `approval step ${index + 1}`, seconds: step.timeoutSeconds ?? svc.approvalTimeout, events: 4 * STATE + TOKEN_TASK });
      return;
    }
    const stepFixed = 6 * STATE + 2 * TASK;
    if (svc.strategy === 'canary') parts.push(polled(`scaling the canary for step ${index + 1}`, timeout, interval, POLL, stepFixed));
    else parts.push(fixed(`step ${index + 1}`, stepFixed));
    parts.push(polled(`the bake of step ${index + 1} (with maxExtraBake)`, step.bakeSeconds + extra + METRICS_LAG_SECONDS, interval));
  });
  if (svc.strategy === 'canary') {
    parts.push(polled('moving the primary to the new revision', timeout, interval, POLL, TASK));
  } else {
    parts.push(polled('the idle colour at full size', timeout, interval, POLL, 2 * TASK));
    parts.push(polled('the check through the test listener', (svc.healthCheck?.failureThreshold ?? 1) * interval, interval, POLL, TASK + 2 * STATE));
    parts.push(polled('keep-warm', svc.keepWarm + extra + METRICS_LAG_SECONDS, interval, POLL, TASK + 2 * STATE));
  }
  parts.push(polled('draining the side that leaves', timeout, interval));
  parts.push(polled('scaling it to zero', timeout, interval, POLL, 3 * TASK));
  parts.push(polled('the rollback: services back', timeout, interval, POLL, 3 * TASK));
  parts.push(polled('the rollback: draining', timeout, interval));
  parts.push(polled('the rollback: the other side back', timeout, interval, POLL, 2 * TASK));
  return parts;
}

/**
 * The parts of one deployment of a VM service, its rollback included: every
 * batch polled for its whole batchTimeout (at verifyIntervalSeconds), the
 * bakes, the canary's bake and approval, the traffic steps and keep-warm of
 * a blue-green, and the rollback of every batch (also at batchTimeout).
 */
function vmDeploymentParts(svc: VmServiceConfig): BudgetPart[] {
  const interval = svc.verifyIntervalSeconds;
  const timeout = svc.batchTimeout;
  const parts: BudgetPart[] = [
    fixed('validation, lock, snapshot and records', ENVELOPE + 2 * TASK),
    fixed('resolving the hosts (and the SSH preflight)', 2 * TASK + 2 * STATE),
  ];
  const batch = (index: number): BudgetPart =>
    // Per batch: the Map iteration, StartBatch, the poll loop, RegisterBatch, Verify and the Choice after it.
    polled(`batch ${index + 1} (at batchTimeout)`, timeout, interval, POLL, 3 * TASK + 4 * STATE);
  svc.batches.forEach((_size, index) => {
    parts.push(batch(index));
    if (svc.strategy === 'canary' && index === 0) {
      parts.push(polled('the canary bake', svc.canary.bake + interval, interval));
      if (svc.canary.approval) parts.push({ what: 'the canary approval', seconds: svc.approvalTimeout, events: 4 * STATE + TOKEN_TASK });
    }
  });
  if (svc.strategy === 'blue-green') {
    const extra = svc.verification.maxExtraBake;
    svc.steps.forEach((step, index) => {
      if (step.kind === 'approval') {
        parts.push({ what: `approval step ${index + 1}`, seconds: step.timeoutSeconds ?? svc.approvalTimeout, events: 4 * STATE + TOKEN_TASK });
        return;
      }
      parts.push(fixed(`step ${index + 1}`, 6 * STATE + 2 * TASK));
      parts.push(polled(`the bake of step ${index + 1} (with maxExtraBake)`, step.bakeSeconds + extra + METRICS_LAG_SECONDS, interval));
    });
    parts.push(polled('the check through the test listener', (svc.verification.healthCheck?.failureThreshold ?? 1) * interval, interval, POLL, TASK + 2 * STATE));
    parts.push(polled('keep-warm', svc.keepWarm + extra + METRICS_LAG_SECONDS, interval, POLL, TASK + 2 * STATE));
    parts.push(fixed('the rollback: traffic back', 2 * TASK + 2 * STATE));
  } else {
    parts.push(polled('the bake', svc.bake + interval, interval));
  }
  svc.batches.forEach((_size, index) => {
    parts.push(polled(`the rollback of batch ${index + 1} (at batchTimeout)`, timeout, interval, POLL, 2 * TASK + 2 * STATE));
  });
  return parts;
}

function isVm(svc: AnyServiceConfig): svc is VmServiceConfig {
  return 'artifacts' in svc;
}

/** The worst case, in seconds and history events, of one deployment of `svc`: the wait for the lock, itself and its rollback. */
export function worstCase(svc: AnyServiceConfig): WorstCase {
  const own = isVm(svc) ? vmDeploymentParts(svc) : deploymentParts(svc);
  const { seconds } = sum(own);
  // The longest wait: behind a deployment of the same service, which takes at most as long (re-checks every 15 minutes).
  const lock: BudgetPart = {
    what: 'waiting for the lock',
    seconds: 0,
    events: (Math.ceil(Math.min(seconds, MAX_WORST_CASE_SECONDS) / LOCK_RECHECK_SECONDS) + 1) * LOCK_CHECK,
  };
  const parts = [lock, ...own];
  return { ...sum(parts), parts };
}

/** The worst case, in seconds, of one deployment of `svc` and its rollback (not counting the wait for the lock). */
export function worstCaseSeconds(svc: AnyServiceConfig): number {
  return worstCase(svc).seconds;
}

/** The smallest verifyIntervalSeconds that keeps `svc` within the history budget, or undefined if none would. */
export function intervalWithinBudget(svc: AnyServiceConfig): number | undefined {
  for (let interval = svc.verifyIntervalSeconds; interval <= 3600; interval += 5) {
    if (worstCase({ ...svc, verifyIntervalSeconds: interval }).events <= MAX_HISTORY_EVENTS_BUDGET) return interval;
  }
  return undefined;
}
