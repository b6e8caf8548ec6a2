/**
 * Targets registered by hand (RegisterTargets / DeregisterTargets): the VM
 * hosts of a VM service, by instance ID (`instance` target groups) or IP
 * (`ip` target groups), beside the ECS tasks ECS registers itself.
 *
 * Their health follows the same model as the tasks' (`target-health.ts`):
 * listed from registration, `initial` until healthy-threshold × interval of
 * passing checks while a listener uses the group, then `healthy`;
 * `draining` for the group's deregistration delay after deregistration,
 * then gone. Whether a host passes is read when asked (its service is down
 * while the release script restarts it, a failed host fails); a target that
 * turned from passing to failing is `unhealthy` after unhealthy-threshold ×
 * interval, and one that turned back is `initial` again until it has passed
 * healthy-threshold checks.
 */
import type { TargetHealth } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { HealthCheckTiming, UsageInterval } from './target-health.ts';
import { targetHealthAt } from './target-health.ts';

/** One registration of a target by hand. */
export interface ManualTarget {
  id: string;
  port: number;
  availabilityZone: string;
  registeredAt: number;
  deregisteredAt?: number;
  /** Whether its checks passed when last looked at, and since when (the health clock restarts on a change). */
  passing: boolean;
  passingSince: number;
  /** What it reported (healthy, unhealthy) when its answer last changed: kept until the new answer reaches its threshold. */
  before?: TargetHealth;
}

/** How a registered target is doing now, when it is an instance the world knows. */
export interface TargetCondition {
  /** Not running: `unused` with Target.InvalidState. */
  state: string;
  passes: boolean;
}

/** The targets registered by hand in each target group. */
export class ManualTargets {
  private readonly byGroup = new Map<string, ManualTarget[]>();

  /** Registered (draining included) targets of a group. */
  public of(targetGroupArn: string): ManualTarget[] {
    return this.byGroup.get(targetGroupArn) ?? [];
  }

  /** The registration of `id:port` in the group, if it is listed (not gone after draining) at `at`. */
  public find(targetGroupArn: string, id: string, port: number, at: number, delayMs: number): ManualTarget | undefined {
    return this.of(targetGroupArn).find(
      (t) => t.id === id && t.port === port && (t.deregisteredAt === undefined || at < t.deregisteredAt + delayMs),
    );
  }

  /** Register `id:port` at `at` (a no-op when registered and not draining). */
  public register(targetGroupArn: string, target: { id: string; port: number; availabilityZone: string }, at: number, passes: boolean): void {
    const list = this.byGroup.get(targetGroupArn) ?? [];
    this.byGroup.set(targetGroupArn, list);
    const existing = list.find((t) => t.id === target.id && t.port === target.port && t.deregisteredAt === undefined);
    if (existing !== undefined) return;
    list.push({ ...target, registeredAt: at, passing: passes, passingSince: at });
  }

  /** Start draining `id:port` at `at`; false when it is not registered (or draining already). */
  public deregister(targetGroupArn: string, id: string, port: number, at: number): boolean {
    const target = this.of(targetGroupArn).find((t) => t.id === id && t.port === port && t.deregisteredAt === undefined);
    if (target === undefined) return false;
    target.deregisteredAt = at;
    return true;
  }

  /**
   * The target's health at `at`, as DescribeTargetHealth reports it, or
   * undefined when it is gone. `condition` is how the host is doing now.
   */
  public health(
    target: ManualTarget,
    at: number,
    usage: readonly UsageInterval[],
    timing: HealthCheckTiming,
    condition: TargetCondition | undefined,
  ): TargetHealth | undefined {
    const passes = condition?.passes ?? true;
    if (passes !== target.passing && (target.deregisteredAt === undefined || at < target.deregisteredAt)) {
      const before = this.settledHealth(target, at, usage, timing);
      target.passing = passes;
      target.passingSince = at;
      if (before?.State === 'healthy' || before?.State === 'unhealthy') target.before = before;
      else delete target.before;
    }
    const draining = target.deregisteredAt !== undefined && at >= target.deregisteredAt;
    if (!draining && condition !== undefined && condition.state !== 'running') {
      return { State: 'unused', Reason: 'Target.InvalidState', Description: `Target is in the ${condition.state} state` };
    }
    return this.settledHealth(target, at, usage, timing);
  }

  private settledHealth(target: ManualTarget, at: number, usage: readonly UsageInterval[], timing: HealthCheckTiming): TargetHealth | undefined {
    if (at < target.registeredAt) return undefined;
    // Health checks count from the registration, or from the last change of the host's answer.
    const presence = {
      registeredAt: Math.max(target.registeredAt, target.passingSince),
      passes: target.passing,
      ...(target.deregisteredAt === undefined ? {} : { deregisteredAt: target.deregisteredAt }),
    };
    const health = targetHealthAt(presence, at, usage, timing);
    // A healthy target that starts failing stays healthy until enough checks fail, and the other way round.
    if (health?.State === 'initial' && target.before !== undefined) return target.before;
    return health;
  }
}
