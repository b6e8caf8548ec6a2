/**
 * ReleaseLock: give the service lock back, if this execution holds it
 * (idempotent). The execution ARN comes from `$$.Execution.Id`, so a
 * restore run releases the lock the watcher handed it.
 */
import * as z from 'zod/mini';
import { createHandler } from '../shared/handler.ts';
import { releaseLock } from '../shared/lock.ts';
import { logger } from '../shared/logger.ts';

const EventSchema = z.object({ service: z.string().check(z.minLength(1)), executionArn: z.string().check(z.minLength(1)) });

export const handler = createHandler(EventSchema, async function release({ service, executionArn }) {
  const released = await releaseLock(service, executionArn);
  logger.info('lock released', { serviceName: service, released });
  return { released };
});
