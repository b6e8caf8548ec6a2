/**
 * CheckDrained: whether a target group has stopped receiving requests since
 * its weight went to zero at `since`: at least one complete minute after
 * `since` has passed, and no request was counted in any. Only then is the
 * side scaled down (ECS then deregisters its targets, which drain for the
 * target group's deregistration delay before the tasks stop).
 */
import * as z from 'zod/mini';
import { loadBalancerDimension, minuteCeil, minuteFloor, targetGroupFigures } from '../shared/alb-metrics.ts';
import { now } from '../shared/clock.ts';
import { DeploymentSchema } from '../shared/deployment.ts';
import { ListenerNotReady, TargetsNotReady } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { targetGroupName } from '../shared/snapshot-summary.ts';

const EventSchema = z.object({
  deployment: DeploymentSchema,
  targetGroupArn: z.string().check(z.minLength(1)),
  /** Epoch ms the group's weight went to zero. */
  since: z.number(),
});

/** How long after a minute ends its ALB metrics can be relied on. */
export const METRICS_PUBLICATION_DELAY_MS = 60_000;

export interface DrainState {
  drained: boolean;
  /** Requests counted in the complete minutes after `since`. */
  requests: number;
  checkedAt: number;
}

export const handler = createHandler(EventSchema, async function checkDrained({ deployment, targetGroupArn, since }): Promise<DrainState> {
  const listener = deployment.loadBalancer?.listenerArn;
  if (listener === undefined) throw new ListenerNotReady('draining needs the load balancer listener');
  const checkedAt = now();
  const from = minuteCeil(since);
  // A minute of ALB metrics is published up to a minute after it ends; before that, no datapoint is not no request.
  const to = minuteFloor(checkedAt - METRICS_PUBLICATION_DELAY_MS);
  if (to <= from) return { drained: false, requests: 0, checkedAt };
  const figures = await targetGroupFigures(loadBalancerDimension(listener), targetGroupArn, from, to);
  if (figures.requests > 0 && checkedAt - since > deployment.deploymentTimeoutSeconds * 1000) {
    throw new TargetsNotReady(
      `target group ${targetGroupName(targetGroupArn)} still receives requests ${Math.round((checkedAt - since) / 1000)}s after its weight went to 0 (${figures.requests} in the last minutes): check listener stickiness and other rules that forward to it`,
    );
  }
  return { drained: figures.requests === 0, requests: figures.requests, checkedAt };
});
