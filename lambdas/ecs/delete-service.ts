/**
 * DeleteService: delete the canary service the deployer created for this
 * deployment, once it runs no task, so no canary outlives its deployment.
 * A service that existed before the deployment (the snapshot says so, or
 * the team owns it) is never deleted.
 */
import { DeleteServiceCommand } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { awsCall } from '../shared/aws-call.ts';
import { DeploymentSchema, ServiceStateSchema } from '../shared/deployment.ts';
import { ServiceNotReady } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { ecs, findService } from './ecs-client.ts';

const EventSchema = z.object({ deployment: DeploymentSchema, state: ServiceStateSchema });

export const handler = createHandler(EventSchema, async function remove({ deployment, state }) {
  if (state.exists || deployment.ecs.canary?.owned === true) return { deleted: false, reason: 'existed before the deployment' };
  const service = await findService(deployment.ecs.cluster, state.service);
  if (service === undefined) return { deleted: false, reason: 'already gone' };
  if ((service.desiredCount ?? 0) > 0 || (service.runningCount ?? 0) > 0) {
    throw new ServiceNotReady(
      `ECS service ${deployment.ecs.cluster}/${state.service} still runs ${service.runningCount ?? 0} task(s): scale it to zero before deleting it`,
    );
  }
  await awsCall('ecs:DeleteService', () =>
    ecs().send(new DeleteServiceCommand({ cluster: deployment.ecs.cluster, service: state.service })),
  );
  logger.info('canary service deleted', { serviceName: deployment.service, ecsService: state.service });
  return { deleted: true };
});
