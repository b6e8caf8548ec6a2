/**
 * Production traffic through the simulated load balancer, minute by minute,
 * deterministic for a given seed. Every production listener or rule gets a
 * steady request rate (with a little per-minute noise); each second it is
 * split over the target groups of its forward action by weight, and within a
 * group evenly over the targets that are healthy at that second (a group
 * without one answers 503 from the load balancer itself, which no target
 * metric counts). Each target then serves by its image's profile:
 *
 * - normal: 0.2% 5xx, response time log-normal with a 45 ms median (p99 ≈ 120 ms);
 * - bad: 8% 5xx, 250 ms median (p99 ≈ 900 ms).
 */
import type { ServingProfile } from './image-health.ts';
import { weightsAt, type ForwardChange } from './elbv2-store.ts';
import { normalDraw, randomFrom } from './random.ts';
import { servesAt, type HealthCheckTiming, type TargetPresence, type UsageInterval } from './target-health.ts';

/** A listener (default action) or rule that receives production traffic. */
export interface TrafficEntry {
  arn: string;
  loadBalancerArn: string;
  history: readonly ForwardChange[];
}

/** A target that may serve: its registration, health-check outcome and serving profile. */
export interface ServingTarget {
  id: string;
  presence: TargetPresence;
  profile: ServingProfile;
}

/** What traffic is computed from. */
export interface TrafficSource {
  entries(): TrafficEntry[];
  /** Every target ever registered in the group (ECS brought up to date). */
  targets(targetGroupArn: string): ServingTarget[];
  /** The group's health check timing and usage history. */
  group(targetGroupArn: string): { timing: HealthCheckTiming; usage: readonly UsageInterval[] } | undefined;
}

/** What one target group served in one minute. */
export interface MinuteTraffic {
  requests: number;
  errors: number;
  /** Response time of each request, in seconds. */
  latencies: number[];
}

interface Profile {
  errorRate: number;
  medianSeconds: number;
  sigma: number;
}

const PROFILES: Record<ServingProfile, Profile> = {
  normal: { errorRate: 0.002, medianSeconds: 0.045, sigma: 0.42 },
  bad: { errorRate: 0.08, medianSeconds: 0.25, sigma: 0.55 },
};

const EMPTY: MinuteTraffic = { requests: 0, errors: 0, latencies: [] };

/** Minute-by-minute traffic of the world's target groups; complete minutes are computed once. */
export class Traffic {
  private readonly cache = new Map<string, MinuteTraffic>();

  public constructor(
    private readonly source: TrafficSource,
    private readonly seed: string,
    private readonly requestsPerSecond: number,
  ) {}

  /**
   * What `targetGroupArn` served from the production entries of
   * `loadBalancerArn` in the minute starting at `minute` (epoch ms, a whole
   * minute). Call it only for minutes that are over.
   */
  public minute(targetGroupArn: string, loadBalancerArn: string, minute: number): MinuteTraffic {
    const key = `${targetGroupArn}#${loadBalancerArn}#${minute}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const computed = this.compute(targetGroupArn, loadBalancerArn, minute);
    this.cache.set(key, computed);
    return computed;
  }

  /** Requests per second each target received on average over the minute. */
  private expectedRequests(targetGroupArn: string, loadBalancerArn: string, minute: number): Map<ServingTarget, number> {
    const expected = new Map<ServingTarget, number>();
    const group = this.source.group(targetGroupArn);
    if (group === undefined) return expected;
    const targets = this.source.targets(targetGroupArn);
    for (const entry of this.source.entries()) {
      if (entry.loadBalancerArn !== loadBalancerArn) continue;
      const noise = Math.exp(0.05 * normalDraw(randomFrom(this.seed, 'rate', entry.arn, minute)));
      for (let second = 0; second < 60; second += 1) {
        const t = minute + second * 1000;
        const weights = weightsAt(entry.history, t);
        const weight = weights[targetGroupArn] ?? 0;
        const total = Object.values(weights).reduce((sum, w) => sum + w, 0);
        if (weight <= 0 || total <= 0) continue;
        const serving = targets.filter((target) => servesAt(target.presence, t, group.usage, group.timing));
        if (serving.length === 0) continue;
        const share = (this.requestsPerSecond * noise * weight) / total / serving.length;
        for (const target of serving) expected.set(target, (expected.get(target) ?? 0) + share);
      }
    }
    return expected;
  }

  private compute(targetGroupArn: string, loadBalancerArn: string, minute: number): MinuteTraffic {
    const expected = this.expectedRequests(targetGroupArn, loadBalancerArn, minute);
    if (expected.size === 0) return EMPTY;
    const result: MinuteTraffic = { requests: 0, errors: 0, latencies: [] };
    const ordered = [...expected.entries()].sort(([a], [b]) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.presence.registeredAt - b.presence.registeredAt));
    for (const [target, mean] of ordered) {
      const random = randomFrom(this.seed, 'serve', targetGroupArn, target.id, target.presence.registeredAt, minute);
      const profile = PROFILES[target.profile];
      const count = Math.floor(mean + random());
      for (let i = 0; i < count; i += 1) {
        if (random() < profile.errorRate) result.errors += 1;
        result.latencies.push(profile.medianSeconds * Math.exp(profile.sigma * normalDraw(random)));
      }
      result.requests += count;
    }
    return result;
  }
}
