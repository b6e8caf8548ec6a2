/** ReleaseLock: give the service lock back, if this execution holds it (idempotent). */
import * as z from 'zod';
import { DeploymentSchema } from './shared/deployment.ts';
import { createHandler } from './shared/handler.ts';
import { releaseLock } from './shared/lock.ts';
import { logger } from './shared/logger.ts';

const EventSchema = z.object({ deployment: DeploymentSchema });

export const handler = createHandler(EventSchema, async function release({ deployment }) {
  const released = await releaseLock(deployment.service, deployment.executionId);
  logger.info('lock released', { serviceName: deployment.service, released });
  return { released };
});
