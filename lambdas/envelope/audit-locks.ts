/**
 * AuditLocks: every few minutes, how long each service's lock has been
 * held. A lock held longer than the longest deployment its config allows
 * (its worst case: rollout, bakes, approvals and rollback) means something
 * the watcher could not clean up is blocking every later deployment of that
 * service; the stack's alarm on `OverdueLocks` tells the team.
 */
import * as z from 'zod/mini';
import { worstCaseSeconds } from '../shared/budget.ts';
import { loadCatalog } from '../shared/catalog.ts';
import { allServices } from '../shared/config-lookup.ts';
import { now } from '../shared/clock.ts';
import { emitLockAges, type LockAge } from '../shared/deployment-metrics.ts';
import { createHandler } from '../shared/handler.ts';
import { lockState } from '../shared/lock.ts';
import { logger } from '../shared/logger.ts';

/** Slack on top of the worst case: the watcher's restore and a re-check of the lock. */
export const OVERDUE_GRACE_SECONDS = 900;

/** The scheduled event carries nothing the audit needs. */
const ScheduledEventSchema = z.looseObject({ 'detail-type': z.optional(z.string()) });

export interface AuditResult {
  locks: (LockAge & { holder?: string; limitSeconds: number })[];
}

export const handler = createHandler(ScheduledEventSchema, async function auditLocks(): Promise<AuditResult> {
  const config = await loadCatalog();
  const at = now();
  const locks = await Promise.all(
    allServices(config).map(async (svc) => {
      const { holder, heldSince } = await lockState(svc.name);
      const limitSeconds = worstCaseSeconds(svc) + OVERDUE_GRACE_SECONDS;
      const since = heldSince === undefined ? Number.NaN : Date.parse(heldSince);
      const ageSeconds = holder === undefined || Number.isNaN(since) ? undefined : Math.max(0, Math.round((at - since) / 1000));
      const overdue = ageSeconds !== undefined && ageSeconds > limitSeconds;
      if (overdue) logger.error('lock held longer than the longest deployment allowed', { serviceName: svc.name, holder, heldSince, limitSeconds });
      return { service: svc.name, limitSeconds, overdue, ...(holder === undefined ? {} : { holder }), ...(ageSeconds === undefined ? {} : { ageSeconds }) };
    }),
  );
  emitLockAges(locks);
  return { locks };
});
