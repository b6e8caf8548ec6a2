/**
 * ReadWeights: the forward weights of the listeners a deployment may
 * change (the production listener or rule, and the test listener), as the
 * snapshot a rollback restores. For blue-green it also tells which colour is
 * live: the one that receives all the traffic. Traffic split between both
 * colours means an earlier deployment did not finish: refused, nothing
 * changes.
 */
import { AnyDeploymentSchema, colourTargetGroups, type AnyDeployment } from '../shared/any-deployment.ts';
import * as z from 'zod/mini';
import { type Weights } from '../shared/deployment.ts';
import { ListenerNotReady } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { targetGroupName } from '../shared/snapshot-summary.ts';
import { readActions } from './elb-client.ts';
import { asPercentages, forwardWeights } from './forward-weights.ts';

const EventSchema = z.object({ deployment: AnyDeploymentSchema });

type Colour = 'blue' | 'green';

export interface ReadWeightsResult {
  listeners: Record<string, Weights>;
  sides?: { live: Colour; idle: Colour };
}

/** Which colour is live by the production weights; refused when neither has all the traffic. */
export function liveColour(deployment: AnyDeployment, weights: Weights): Colour {
  const colours = colourTargetGroups(deployment);
  const blue = colours.blue ?? '';
  const green = colours.green ?? '';
  const percent = asPercentages(weights);
  const others = Object.keys(weights).filter((tg) => tg !== blue && tg !== green && (weights[tg] ?? 0) > 0);
  if (others.length > 0) {
    throw new ListenerNotReady(
      `the listener also forwards to ${others.map(targetGroupName).join(', ')}: it must forward only to the blue and green target groups`,
    );
  }
  if ((percent[blue] ?? 0) === 100) return 'blue';
  if ((percent[green] ?? 0) === 100) return 'green';
  throw new ListenerNotReady(
    `traffic is split between blue (${percent[blue] ?? 0}%) and green (${percent[green] ?? 0}%): an earlier deployment did not finish; put all traffic on one colour, then deploy again`,
  );
}

export const handler = createHandler(EventSchema, async function read({ deployment }): Promise<ReadWeightsResult> {
  const { loadBalancer } = deployment;
  if (loadBalancer === undefined) throw new ListenerNotReady(`${deployment.strategy} deployments need a load balancer listener`);
  const arns = [loadBalancer.listenerArn, ...(loadBalancer.testListenerArn !== undefined ? [loadBalancer.testListenerArn] : [])];
  const listeners: Record<string, Weights> = {};
  for (const arn of arns) {
    const weights = forwardWeights(await readActions(arn));
    if (Object.keys(weights).length === 0) {
      throw new ListenerNotReady(`${arn} has no forward action: the deployer shifts traffic by the weights of a forward action`);
    }
    listeners[arn] = weights;
  }
  if (deployment.kind === 'ecs' && deployment.strategy === 'canary') {
    const primary = deployment.ecs.primary?.targetGroupArn ?? '';
    const percent = asPercentages(listeners[loadBalancer.listenerArn] ?? {});
    if ((percent[primary] ?? 0) !== 100) {
      throw new ListenerNotReady(
        `the primary target group ${targetGroupName(primary)} has ${percent[primary] ?? 0}% of the traffic, not all of it: an earlier deployment did not finish; put all traffic on the primary, then deploy again`,
      );
    }
  }
  if (deployment.strategy !== 'blue-green') return { listeners };
  const live = liveColour(deployment, listeners[loadBalancer.listenerArn] ?? {});
  return { listeners, sides: { live, idle: live === 'blue' ? 'green' : 'blue' } };
});
