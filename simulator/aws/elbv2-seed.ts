/**
 * The Application Load Balancer the world starts with, derived from the
 * listener, rule and target group ARNs the config names: each load balancer
 * of those ARNs, each listener (HTTPS 443 for production, the test URL's
 * port for a test listener), each named rule (host and path conditions from
 * the health check URL, forwarding to its target group), and each target
 * group (ip targets on port 8080, the health check settings given). A
 * listener that only hosts a named rule answers 404 by default.
 */
import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { listenerArn, listenerRuleArn, loadBalancerArn, parseElbArn, type Place } from './arns.ts';
import { APP_PORT } from './ecs-seed.ts';
import { forwardWeightsOf, type ElbStore, type SimListener } from './elbv2-store.ts';
import { hexFrom } from './random.ts';

/** A listener or rule the config names, and the target group it forwards to at first. */
export interface EntryPointSeed {
  /** A listener ARN or a listener rule ARN. */
  arn: string;
  targetGroupArn: string;
  /** The health check URL that reaches it (sets the listener's port, the rule's conditions). */
  url?: string;
  role: 'production' | 'test';
}

/** A target group to create. */
export interface TargetGroupSeed {
  arn: string;
  healthCheckPath: string;
}

/** Health check and draining settings of the seeded target groups, in seconds and counts. */
export interface TargetGroupSettings {
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  deregistrationDelaySeconds: number;
}

const DAY_MS = 86_400_000;

function forward(targetGroupArn: string): Action {
  return {
    Type: 'forward',
    TargetGroupArn: targetGroupArn,
    ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
  };
}

const NOT_FOUND: Action = {
  Type: 'fixed-response',
  FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' },
};

function conditionsFor(url: string | undefined): RuleCondition[] {
  if (url === undefined) return [{ Field: 'path-pattern', Values: ['/*'], PathPatternConfig: { Values: ['/*'] } }];
  const parsed = new URL(url);
  const conditions: RuleCondition[] = [
    { Field: 'host-header', Values: [parsed.hostname], HostHeaderConfig: { Values: [parsed.hostname] } },
  ];
  const first = parsed.pathname.split('/').filter((s) => s !== '')[0];
  const segments = parsed.pathname.split('/').filter((s) => s !== '').length;
  if (first !== undefined && segments > 1) {
    const pattern = `/${first}/*`;
    conditions.push({ Field: 'path-pattern', Values: [pattern], PathPatternConfig: { Values: [pattern] } });
  }
  return conditions;
}

function portOf(url: string | undefined, role: EntryPointSeed['role'], taken: Set<number>): { port: number; protocol: 'HTTP' | 'HTTPS' } {
  const protocol = url === undefined || url.startsWith('https:') ? 'HTTPS' : 'HTTP';
  const explicit = url === undefined ? '' : new URL(url).port;
  let port = explicit !== '' ? Number(explicit) : role === 'test' ? 8443 : protocol === 'HTTPS' ? 443 : 80;
  while (taken.has(port) && explicit === '') port += 1;
  taken.add(port);
  return { port, protocol };
}

/** Create the load balancers, listeners, rules and target groups of the config in `store`. */
export function seedLoadBalancing(
  store: ElbStore,
  place: Place,
  entries: readonly EntryPointSeed[],
  targetGroups: readonly TargetGroupSeed[],
  settings: TargetGroupSettings,
  at: number,
): void {
  const since = at - 30 * DAY_MS;
  for (const seed of targetGroups) {
    const parsed = parseElbArn(seed.arn);
    if (parsed?.kind !== 'targetgroup' || store.targetGroups.has(seed.arn)) continue;
    store.targetGroups.set(seed.arn, {
      arn: seed.arn,
      name: parsed.name,
      protocol: 'HTTP',
      port: APP_PORT,
      vpcId: 'vpc-0a1b2c3d4e5f60000',
      targetType: 'ip',
      healthCheckPath: seed.healthCheckPath,
      healthCheckIntervalSeconds: settings.healthCheckIntervalSeconds,
      healthCheckTimeoutSeconds: settings.healthCheckTimeoutSeconds,
      healthyThresholdCount: settings.healthyThresholdCount,
      unhealthyThresholdCount: settings.unhealthyThresholdCount,
      attributes: {
        'deregistration_delay.timeout_seconds': String(settings.deregistrationDelaySeconds),
        'stickiness.enabled': 'false',
        'stickiness.type': 'lb_cookie',
        'stickiness.lb_cookie.duration_seconds': '86400',
        'stickiness.app_cookie.cookie_name': '',
        'stickiness.app_cookie.duration_seconds': '86400',
        'load_balancing.algorithm.type': 'round_robin',
        'load_balancing.algorithm.anomaly_mitigation': 'off',
        'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
        'slow_start.duration_seconds': '0',
        'target_group_health.dns_failover.minimum_healthy_targets.count': '1',
        'target_group_health.dns_failover.minimum_healthy_targets.percentage': 'off',
        'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': '1',
        'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': 'off',
        'waf.fail_open.enabled': 'false',
      },
      usage: [],
    });
  }
  const ports = new Map<string, Set<number>>();
  const listenerFor = (arn: string, entry: EntryPointSeed | undefined): SimListener | undefined => {
    const parsed = parseElbArn(arn);
    if (parsed?.kind !== 'listener' && parsed?.kind !== 'listener-rule') return undefined;
    const lbArn = loadBalancerArn(place, parsed.lbName, parsed.lbId);
    if (!store.loadBalancers.has(lbArn)) {
      store.loadBalancers.set(lbArn, {
        arn: lbArn,
        name: parsed.lbName,
        dnsName: `${parsed.lbName}-${parseInt(parsed.lbId.slice(0, 8), 16)}.${place.region}.elb.amazonaws.com`,
        createdAt: since,
      });
    }
    const arnOfListener = listenerArn(place, parsed.lbName, parsed.lbId, parsed.listenerId);
    const existing = store.listeners.get(arnOfListener);
    if (existing !== undefined) return existing;
    const taken = ports.get(lbArn) ?? new Set<number>();
    ports.set(lbArn, taken);
    const { port, protocol } = portOf(entry?.url, entry?.role ?? 'production', taken);
    const listener: SimListener = {
      arn: arnOfListener,
      loadBalancerArn: lbArn,
      port,
      protocol,
      defaultRuleArn: listenerRuleArn(place, parsed.lbName, parsed.lbId, parsed.listenerId, hexFrom(16, arnOfListener, 'default')),
      defaultActions: [NOT_FOUND],
      history: [],
    };
    store.listeners.set(arnOfListener, listener);
    return listener;
  };
  // Listeners named directly first, so that their port follows their own URL.
  const ordered = [...entries].sort((a, b) => Number(a.arn.includes(':listener-rule/')) - Number(b.arn.includes(':listener-rule/')));
  for (const entry of ordered) {
    const listener = listenerFor(entry.arn, entry);
    if (listener === undefined || !store.targetGroups.has(entry.targetGroupArn)) continue;
    if (entry.arn === listener.arn) {
      if (listener.defaultActions[0]?.Type !== 'forward') listener.defaultActions = [forward(entry.targetGroupArn)];
      continue;
    }
    if (store.rules.has(entry.arn)) continue;
    store.rules.set(entry.arn, {
      arn: entry.arn,
      listenerArn: listener.arn,
      priority: 10 * (store.rulesOf(listener.arn).length + 1),
      conditions: conditionsFor(entry.url),
      actions: [forward(entry.targetGroupArn)],
      history: [{ at: since, weights: { [entry.targetGroupArn]: 1 } }],
    });
  }
  for (const listener of store.listeners.values()) {
    if (listener.history.length === 0) listener.history.push({ at: since, weights: forwardWeightsOf(listener.defaultActions) });
  }
  store.refreshUsage(since);
}
