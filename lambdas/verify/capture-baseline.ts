/**
 * CaptureBaseline: before anything changes, note the alarms already in
 * ALARM (reported, and by default not blocking: the deployment may be the
 * fix) and the old side's figures over the last minutes, which the
 * comparison falls back on once the old side no longer gets traffic.
 */
import { AnyDeploymentSchema } from '../shared/any-deployment.ts';
import * as z from 'zod/mini';
import { loadBalancerDimension, targetGroupFigures, type Figures } from '../shared/alb-metrics.ts';
import { now } from '../shared/clock.ts';
import { SnapshotSchema } from '../shared/deployment.ts';
import { VerificationFailed } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { readAlarms } from './alarms.ts';
import type { Baseline } from './verification-state.ts';

const EventSchema = z.object({ deployment: AnyDeploymentSchema, snapshot: SnapshotSchema });

/** How far back the reference figures go. */
export const REFERENCE_MINUTES = 10;

export const handler = createHandler(EventSchema, async function capture({ deployment, snapshot }): Promise<Baseline> {
  const capturedAt = now();
  const { verification } = deployment;
  const alarms = await readAlarms(verification.alarms, capturedAt + 1);
  const inAlarm = [...alarms.preexisting, ...alarms.firing.map((a) => a.name)];
  if (inAlarm.length > 0 && verification.preexistingAlarms === 'block') {
    throw new VerificationFailed(
      `alarm ${inAlarm.join(', ')} is already in ALARM and preexistingAlarms is "block": nothing was changed`,
    );
  }
  const old = snapshot.services.primary?.targetGroupArn ?? snapshot.services.live?.targetGroupArn;
  const listener = deployment.loadBalancer?.listenerArn;
  let reference: Figures = { requests: 0, errors: 0, errorRate: 0, from: capturedAt, to: capturedAt };
  if (verification.comparison !== undefined && old !== undefined && listener !== undefined) {
    reference = await targetGroupFigures(loadBalancerDimension(listener), old, capturedAt - REFERENCE_MINUTES * 60_000, capturedAt);
  }
  if (inAlarm.length > 0) logger.warn('alarms already in ALARM before the deployment', { serviceName: deployment.service, alarms: inAlarm });
  return { alarmsInAlarm: inAlarm, reference, capturedAt };
});
