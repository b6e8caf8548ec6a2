/**
 * SetWeights: move traffic. Before a target group is given (more) traffic it
 * must have a healthy target (DescribeTargetHealth); after the change the
 * weights are read back and must be the ones set. These are the races that
 * give other tools 503s in the middle of a rollout.
 *
 * Three ways to say what to set: `shift` (a percentage to the new side, the
 * rest to the old), `set` (exact weights of one listener, e.g. the test
 * listener onto the idle colour), or `restore` (every listener of the
 * snapshot, exactly; no health check, since it returns to what served
 * before).
 */
import { AnyDeploymentSchema } from '../shared/any-deployment.ts';
import * as z from 'zod/mini';
import { now } from '../shared/clock.ts';
import { WeightsSchema, type Weights } from '../shared/deployment.ts';
import { ListenerNotReady, TargetsNotReady } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { targetGroupName } from '../shared/snapshot-summary.ts';
import { readActions, targetHealth, writeActions } from './elb-client.ts';
import { asPercentages, forwardWeights, withForwardWeights } from './forward-weights.ts';

const EventSchema = z.object({
  deployment: AnyDeploymentSchema,
  listenerArn: z.optional(z.string().check(z.minLength(1))),
  shift: z.optional(z.object({ to: z.string().check(z.minLength(1)), from: z.string().check(z.minLength(1)), percent: z.number().check(z.int(), z.gte(0), z.lte(100)) })),
  set: z.optional(WeightsSchema),
  restore: z.optional(z.record(z.string(), WeightsSchema)),
  /** With restore: check the receiving target groups first too (moving traffic back after a success). */
  checkHealth: z.optional(z.boolean()),
}).check(
  z.refine((e) => [e.shift, e.set, e.restore].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of shift, set or restore',
  }),
  z.refine((e) => e.restore !== undefined || e.listenerArn !== undefined, { message: 'shift and set need a listenerArn' }),
);

export interface SetWeightsResult {
  /** The weights read back after the change, by listener. */
  listeners: Record<string, Weights>;
  /** Epoch ms of the change: a step's verification window starts here. */
  setAt: number;
  /** False when every listener already had these weights (nothing to drain). */
  changed: boolean;
}

function sameWeights(a: Weights, b: Weights): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0)) && Object.keys(a).length === Object.keys(b).length;
}

/** Refuse to send (more of the) traffic to a target group without a healthy target. */
async function checkReceivers(current: Weights, wanted: Weights): Promise<void> {
  // Shares, not raw weights: 1 alone and 100 beside a 0 are both all the traffic.
  const before = asPercentages(current);
  for (const [targetGroup, share] of Object.entries(asPercentages(wanted))) {
    if (share <= (before[targetGroup] ?? 0)) continue;
    const targets = await targetHealth(targetGroup);
    const healthy = targets.filter((t) => t.TargetHealth?.State === 'healthy').length;
    if (healthy === 0) {
      const states = targets.map((t) => t.TargetHealth?.State ?? '?').join(', ') || 'no targets';
      throw new TargetsNotReady(
        `target group ${targetGroupName(targetGroup)} has no healthy target (${states}): no traffic was moved to it`,
      );
    }
  }
}

/** Set the weights of one listener or rule; returns them as read back, and whether they changed. */
async function setListener(arn: string, wanted: Weights, checkHealth: boolean): Promise<{ weights: Weights; changed: boolean }> {
  const actions = await readActions(arn);
  const current = forwardWeights(actions);
  if (sameWeights(current, wanted)) return { weights: current, changed: false };
  if (checkHealth) await checkReceivers(current, wanted);
  await writeActions(arn, withForwardWeights(actions, wanted));
  const readBack = forwardWeights(await readActions(arn));
  if (!sameWeights(readBack, wanted)) {
    throw new ListenerNotReady(`${arn} reads back ${JSON.stringify(readBack)} after setting ${JSON.stringify(wanted)}`);
  }
  return { weights: readBack, changed: true };
}

export const handler = createHandler(EventSchema, async function setWeights(event): Promise<SetWeightsResult> {
  const listeners: Record<string, Weights> = {};
  let changed = false;
  const apply = async (arn: string, weights: Weights, checkHealth: boolean): Promise<void> => {
    const result = await setListener(arn, weights, checkHealth);
    listeners[arn] = result.weights;
    changed ||= result.changed;
  };
  if (event.restore !== undefined) {
    for (const [arn, weights] of Object.entries(event.restore)) await apply(arn, weights, event.checkHealth === true);
  } else {
    const arn = event.listenerArn!;
    const wanted: Weights =
      event.shift !== undefined
        ? { [event.shift.from]: 100 - event.shift.percent, [event.shift.to]: event.shift.percent }
        : event.set!;
    await apply(arn, wanted, true);
  }
  logger.info('weights set', { serviceName: event.deployment.service, listeners, changed });
  return { listeners, setAt: now(), changed };
});
