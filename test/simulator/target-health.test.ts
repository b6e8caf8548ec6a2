import { describe, expect, it } from 'vitest';
import { acceptableSince, targetHealthAt, unhealthySince, type HealthCheckTiming } from '../../simulator/aws/target-health.ts';

const timing: HealthCheckTiming = { intervalMs: 10_000, healthyThreshold: 3, unhealthyThreshold: 2, deregistrationDelayMs: 30_000 };
const s = (seconds: number): number => seconds * 1000;

describe('target health as a function of time', () => {
  it('counts healthy checks from registration, or from when a listener starts forwarding to the group', () => {
    // Prepare: registered at 100 s; the group is used from 0 to 110 s, then again from 200 s.
    const presence = { registeredAt: s(100), passes: true };
    const usage = [{ from: 0, to: s(110) }, { from: s(200) }];

    // Act
    const states = [105, 115, 205, 215, 229, 230].map((t) => targetHealthAt(presence, s(t), usage, timing)?.State);

    // Assess
    expect(states).toEqual(['initial', 'unused', 'initial', 'initial', 'initial', 'healthy']);
    expect(acceptableSince(presence, usage, timing)).toBe(s(110));
    expect(acceptableSince(presence, [{ from: 0 }], timing)).toBe(s(130));
  });

  it('turns a failing target unhealthy after the unhealthy threshold, and lists a deregistered one as draining until the delay ends', () => {
    // Prepare
    const failing = { registeredAt: s(100), passes: false, deregisteredAt: s(150) };
    const usage = [{ from: 0 }];

    // Act
    const states = [110, 120, 149, 150, 179].map((t) => targetHealthAt(failing, s(t), usage, timing)?.State);
    const gone = targetHealthAt(failing, s(180), usage, timing);

    // Assess
    expect(states).toEqual(['initial', 'unhealthy', 'unhealthy', 'draining', 'draining']);
    expect(gone).toBeUndefined();
    expect(unhealthySince(failing, usage, timing)).toBe(s(120));
    expect(unhealthySince(failing, [], timing)).toBeUndefined();
  });
});
