/**
 * The forward weights of a listener's default actions or a rule's actions,
 * and the same actions with other weights. Only the `forward` action's
 * target groups change: authentication actions before it, stickiness and
 * everything else are kept as they are.
 */
import type { Action, TargetGroupTuple } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Weights } from '../shared/deployment.ts';

/** The `forward` action of a list of actions, if there is one. */
export function forwardAction(actions: readonly Action[]): Action | undefined {
  return actions.find((a) => a.Type === 'forward');
}

/**
 * `{targetGroupArn: weight}` of the forward action. A forward to a single
 * group without ForwardConfig counts as weight 1, as ELB reports it.
 */
export function forwardWeights(actions: readonly Action[]): Weights {
  const forward = forwardAction(actions);
  if (forward === undefined) return {};
  const groups = forward.ForwardConfig?.TargetGroups ?? [];
  if (groups.length > 0) {
    return Object.fromEntries(
      groups.filter((g) => g.TargetGroupArn !== undefined).map((g) => [g.TargetGroupArn!, g.Weight ?? 1]),
    );
  }
  return forward.TargetGroupArn !== undefined ? { [forward.TargetGroupArn]: 1 } : {};
}

/**
 * The same actions with the forward action sending traffic by `weights`
 * (as a ForwardConfig, keeping its stickiness settings). Throws when there
 * is no forward action: the deployer never turns another action into one.
 */
export function withForwardWeights(actions: readonly Action[], weights: Weights): Action[] {
  const index = actions.findIndex((a) => a.Type === 'forward');
  if (index < 0) throw new Error('no forward action to set weights on');
  const forward = actions[index]!;
  const targetGroups: TargetGroupTuple[] = Object.entries(weights).map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight }));
  const replaced: Action = {
    Type: 'forward',
    ...(forward.Order !== undefined ? { Order: forward.Order } : {}),
    ForwardConfig: {
      TargetGroups: targetGroups,
      ...(forward.ForwardConfig?.TargetGroupStickinessConfig !== undefined
        ? { TargetGroupStickinessConfig: forward.ForwardConfig.TargetGroupStickinessConfig }
        : {}),
    },
  };
  return actions.map((action, i) => (i === index ? replaced : resent(action)));
}

/**
 * An action sent back as Describe returned it. Describe never returns an
 * OIDC action's client secret, and Modify requires it unless told to keep
 * the existing one.
 */
function resent(action: Action): Action {
  if (action.Type !== 'authenticate-oidc' || action.AuthenticateOidcConfig === undefined) return action;
  const { ClientSecret: _secret, ...oidc } = action.AuthenticateOidcConfig;
  return { ...action, AuthenticateOidcConfig: { ...oidc, UseExistingClientSecret: true } };
}

/** Weights as percentages of their total (a weight of 1 alone is 100%). */
export function asPercentages(weights: Weights): Weights {
  const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
  if (total === 0) return Object.fromEntries(Object.keys(weights).map((k) => [k, 0]));
  return Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, Math.round((w * 100) / total)]));
}
