/**
 * RestoreService: put one ECS service back as the snapshot recorded it, from
 * wherever the deployment stopped: on its previous revision and task count,
 * or (a canary the deployer created) down to zero tasks, to be deleted
 * once drained. Nothing is sent when the service already is as recorded, so
 * a rollback (or a restore run) can call it for every role.
 */
import * as z from 'zod/mini';
import { now } from '../shared/clock.ts';
import { DeploymentSchema, ServiceStateSchema } from '../shared/deployment.ts';
import { ServiceNotReady } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { findService, primaryDeployment, runningTaskDefinition } from './ecs-client.ts';
import type { ServiceChangeResult } from './service-change.ts';
import { updateService } from './update-service.ts';

const EventSchema = z.object({ deployment: DeploymentSchema, state: ServiceStateSchema });

export const handler = createHandler(EventSchema, async function restore({ deployment, state }): Promise<ServiceChangeResult> {
  const where = `${deployment.ecs.cluster}/${state.service}`;
  const service = await findService(deployment.ecs.cluster, state.service);
  const at = now();
  const unchanged = (taskDefinitionArn: string, desiredCount: number, action: string): ServiceChangeResult => ({
    state: 'COMPLETED',
    action,
    service: state.service,
    taskDefinitionArn,
    desiredCount,
    startedAt: at,
    deadline: at,
  });
  if (service === undefined) {
    if (!state.exists) return unchanged('', 0, 'absent, as before');
    throw new ServiceNotReady(`ECS service ${where} no longer exists: it cannot be put back on its previous revision`);
  }
  const running = runningTaskDefinition(service) ?? '';
  if (!state.exists) {
    // Created by this deployment: no task may run outside it. DeleteService removes it once drained.
    if ((service.desiredCount ?? 0) === 0) {
      // Already asked to scale to zero: its tasks may still be stopping.
      return { ...unchanged(running, 0, 'scaled to zero'), state: 'IN_PROGRESS', deadline: at + deployment.deploymentTimeoutSeconds * 1000 };
    }
    const result = await updateService(deployment, state.service, { desiredCount: 0 });
    logger.info('service scaled to zero', { serviceName: deployment.service, ecsService: state.service });
    return { ...result, action: 'scaled to zero' };
  }
  const target = state.taskDefinitionArn ?? running;
  const deployments = service.deployments ?? [];
  const primary = primaryDeployment(service);
  if (running === target && service.desiredCount === state.desiredCount && deployments.length === 1 && primary?.rolloutState !== 'IN_PROGRESS') {
    if ((primary?.runningCount ?? 0) === state.desiredCount && (primary?.pendingCount ?? 0) === 0) {
      return unchanged(target, state.desiredCount, 'unchanged');
    }
    // Scaled back already, by the run that was stopped (this is a restore run), and its tasks are still
    // starting: wait for them and their targets as for a rollout, rather than report it done.
    return {
      ...unchanged(target, state.desiredCount, 'being restored'),
      state: 'IN_PROGRESS',
      deadline: at + deployment.deploymentTimeoutSeconds * 1000,
    };
  }
  const result = await updateService(deployment, state.service, {
    taskDefinitionArn: target,
    desiredCount: state.desiredCount,
    basis: state,
    restore: true,
  });
  logger.info('service restored', { serviceName: deployment.service, ecsService: state.service, taskDefinition: target });
  return { ...result, action: 'restored' };
});
