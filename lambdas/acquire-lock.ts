/**
 * AcquireLock: one deployment per service at a time. Returns ACQUIRED,
 * WAITING (the state machine waits and asks again) or SUPERSEDED (a newer
 * deployment of the service was asked for while this one waited).
 */
import * as z from 'zod';
import { nowIso } from './shared/clock.ts';
import { DeploymentSchema } from './shared/deployment.ts';
import { createHandler } from './shared/handler.ts';
import { acquireLock } from './shared/lock.ts';
import { logger } from './shared/logger.ts';

const EventSchema = z.object({ deployment: DeploymentSchema });

export const handler = createHandler(EventSchema, async function acquire({ deployment }) {
  const result = await acquireLock({
    service: deployment.service,
    executionId: deployment.executionId,
    image: deployment.image,
    requestedAt: deployment.requestedAt,
    now: nowIso(),
  });
  logger.info('lock', { serviceName: deployment.service, ...result });
  return result;
});
