/**
 * AwaitLock: a deployment that found its service busy waits here
 * (`.waitForTaskToken`) instead of polling: its task token goes on the lock
 * item, and whoever releases the lock wakes it. If the lock was released
 * (or a newer deployment came) in the meantime, it wakes itself at once; the
 * deployment it replaces as newest waiter is woken to find it was
 * superseded. The wait state's timeout makes it check again anyway.
 */
import { AnyDeploymentSchema } from '../shared/any-deployment.ts';
import * as z from 'zod/mini';
import { nowIso } from '../shared/clock.ts';

import { createHandler } from '../shared/handler.ts';
import { registerWaiter, wakeWaiter } from '../shared/lock-waiter.ts';
import { logger } from '../shared/logger.ts';

const EventSchema = z.object({ deployment: AnyDeploymentSchema, token: z.string().check(z.minLength(1)) });

export const handler = createHandler(EventSchema, async function awaitLock({ deployment, token }) {
  const since = nowIso();
  const { registered, previous } = await registerWaiter(deployment.service, deployment.executionId, token, since);
  if (!registered) await wakeWaiter({ executionArn: deployment.executionId, token, since });
  if (previous !== undefined) await wakeWaiter(previous);
  logger.info('waiting for the lock', { serviceName: deployment.service, registered, replaced: previous?.executionArn });
  return { registered };
});
