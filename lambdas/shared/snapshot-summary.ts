/**
 * A snapshot in words, for the history, notifications and Fail causes:
 * `checkout on checkout:7 ×4; checkout-canary absent; weights checkout 100%`.
 */
import type { ServiceState, Snapshot } from './deployment.ts';
import { shortTaskDefinition } from './task-definition-name.ts';

function serviceSummary(state: ServiceState): string {
  if (!state.exists) return `${state.service} absent`;
  const revision = state.taskDefinitionArn !== undefined ? shortTaskDefinition(state.taskDefinitionArn) : '?';
  return `${state.service} on ${revision} ×${state.desiredCount}`;
}

/** `targetgroup/checkout/73e2...` -> `checkout`. */
export function targetGroupName(arn: string): string {
  const match = /:targetgroup\/([^/]+)\//.exec(arn);
  return match?.[1] ?? arn;
}

/** `…:listener/app/prod-alb/50dc…/f2f7…` -> `listener f2f7dc8e`, a rule -> `rule 9683b2d0`. */
export function listenerName(arn: string): string {
  const id = arn.slice(arn.lastIndexOf('/') + 1, arn.lastIndexOf('/') + 9);
  return `${arn.includes(':listener-rule/') ? 'rule' : 'listener'} ${id}`;
}

export function snapshotSummary(snapshot: Snapshot): string {
  const services = Object.values(snapshot.services)
    .filter((s): s is ServiceState => s !== undefined)
    .map(serviceSummary);
  const listeners = Object.entries(snapshot.listeners).map(([arn, weights]) => {
    const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
    const parts = Object.entries(weights).map(
      ([tg, w]) => `${targetGroupName(tg)} ${total === 0 ? 0 : Math.round((w * 100) / total)}%`,
    );
    return `${listenerName(arn)} ${parts.join(', ')}`;
  });
  return [...services, ...listeners].join('; ');
}
