/**
 * The state of the simulated Application Load Balancers: load balancers,
 * listeners, rules, target groups, and two histories the rest of the world
 * reads as functions of time: when each target group was in use (health
 * checks run only then) and what each listener or rule forwarded, with which
 * weights (traffic and metrics are split by them).
 */
import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { HealthCheckTiming, UsageInterval } from './target-health.ts';

/** A target group (always `ip` targets for the services the world seeds; others only by a test). */
export interface SimTargetGroup {
  arn: string;
  name: string;
  protocol: 'HTTP' | 'HTTPS';
  port: number;
  vpcId: string;
  targetType: 'ip' | 'instance' | 'lambda' | 'alb';
  healthCheckPath: string;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  /** Target group attributes, as DescribeTargetGroupAttributes returns them. */
  attributes: Record<string, string>;
  /** When a listener or rule forwarded to it (weight 0 included), oldest first. */
  usage: UsageInterval[];
}

/** One change of what an entry point (listener default action or rule) forwards to. */
export interface ForwardChange {
  at: number;
  /** `{targetGroupArn: weight}`; empty when the action is not a forward. */
  weights: Record<string, number>;
}

/** A listener: its default actions are the default rule's. */
export interface SimListener {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  /** The ARN of its default rule (DescribeRules lists it with `IsDefault`). */
  defaultRuleArn: string;
  defaultActions: Action[];
  history: ForwardChange[];
}

/** A non-default listener rule. */
export interface SimRule {
  arn: string;
  listenerArn: string;
  priority: number;
  conditions: RuleCondition[];
  actions: Action[];
  history: ForwardChange[];
}

/** An Application Load Balancer. */
export interface SimLoadBalancer {
  arn: string;
  name: string;
  dnsName: string;
  createdAt: number;
}

/** `{targetGroupArn: weight}` of the forward action of `actions` (a lone group without ForwardConfig weighs 1). */
export function forwardWeightsOf(actions: readonly Action[]): Record<string, number> {
  const forward = actions.find((a) => a.Type === 'forward');
  if (forward === undefined) return {};
  const groups = forward.ForwardConfig?.TargetGroups ?? [];
  if (groups.length > 0) {
    return Object.fromEntries(groups.map((g) => [g.TargetGroupArn ?? '', g.Weight ?? 1]));
  }
  return forward.TargetGroupArn === undefined ? {} : { [forward.TargetGroupArn]: 1 };
}

/** The weights in force at `t` according to a history (empty before its first change). */
export function weightsAt(history: readonly ForwardChange[], t: number): Record<string, number> {
  let current: Record<string, number> = {};
  for (const change of history) {
    if (change.at > t) break;
    current = change.weights;
  }
  return current;
}

/** Everything the simulated ELBv2 holds. */
export class ElbStore {
  public readonly loadBalancers = new Map<string, SimLoadBalancer>();
  public readonly listeners = new Map<string, SimListener>();
  public readonly rules = new Map<string, SimRule>();
  public readonly targetGroups = new Map<string, SimTargetGroup>();

  /** The health check timing of a target group. */
  public static timingOf(group: SimTargetGroup): HealthCheckTiming {
    return {
      intervalMs: group.healthCheckIntervalSeconds * 1000,
      healthyThreshold: group.healthyThresholdCount,
      unhealthyThreshold: group.unhealthyThresholdCount,
      deregistrationDelayMs: Number(group.attributes['deregistration_delay.timeout_seconds'] ?? '300') * 1000,
    };
  }

  /** The rules of a listener, default rule excluded, by priority. */
  public rulesOf(listenerArn: string): SimRule[] {
    return [...this.rules.values()].filter((r) => r.listenerArn === listenerArn).sort((a, b) => a.priority - b.priority);
  }

  /** The listener or rule an ARN names (a default rule ARN names its listener). */
  public entryPoint(arn: string): SimListener | SimRule | undefined {
    const direct = this.listeners.get(arn) ?? this.rules.get(arn);
    if (direct !== undefined) return direct;
    return [...this.listeners.values()].find((l) => l.defaultRuleArn === arn);
  }

  /** Set a listener's default actions at `at`, recording the forward weights and target group usage. */
  public setDefaultActions(listener: SimListener, actions: Action[], at: number): void {
    listener.defaultActions = actions;
    listener.history.push({ at, weights: forwardWeightsOf(actions) });
    this.refreshUsage(at);
  }

  /** Set a rule's actions at `at`, recording the forward weights and target group usage. */
  public setRuleActions(rule: SimRule, actions: Action[], at: number): void {
    rule.actions = actions;
    rule.history.push({ at, weights: forwardWeightsOf(actions) });
    this.refreshUsage(at);
  }

  /** The load balancer a target group is used by now, if any. */
  public loadBalancerOf(targetGroupArn: string): string | undefined {
    for (const listener of this.listeners.values()) {
      const actions = [listener.defaultActions, ...this.rulesOf(listener.arn).map((r) => r.actions)];
      if (actions.some((a) => targetGroupArn in forwardWeightsOf(a))) return listener.loadBalancerArn;
    }
    return undefined;
  }

  /** Whether a listener or rule forwards to the target group at `t`. */
  public inUseAt(targetGroupArn: string, t: number): boolean {
    const group = this.targetGroups.get(targetGroupArn);
    return group?.usage.some((u) => u.from <= t && (u.to === undefined || t < u.to)) === true;
  }

  /** Open or close the usage intervals of every target group after a change at `at`. */
  public refreshUsage(at: number): void {
    for (const group of this.targetGroups.values()) {
      const used = this.loadBalancerOf(group.arn) !== undefined;
      const open = group.usage.at(-1);
      const isOpen = open !== undefined && open.to === undefined;
      if (used && !isOpen) group.usage.push({ from: at });
      if (!used && isOpen) open.to = at;
    }
  }
}
