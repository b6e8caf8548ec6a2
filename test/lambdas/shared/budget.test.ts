import { describe, expect, it } from 'vitest';
import { intervalWithinBudget, MAX_HISTORY_EVENTS_BUDGET, MAX_WORST_CASE_SECONDS, worstCase, worstCaseSeconds } from '../../../lambdas/shared/budget.ts';
import { ConfigError, type RollingServiceConfig } from '../../../lambdas/shared/config.ts';
import { parseConfig, type EcsServiceConfig } from '../../../lambdas/shared/config.ts';
import { vmCanary, vmRolling } from '../../support/vm-config-fixtures.ts';
import { BLUE_TG, CHECKOUT_CANARY_TG, CHECKOUT_TG, GREEN_TG, LISTENER_ARN, LISTENER_RULE_ARN, configuredService } from '../../support/lambda-fixtures.ts';

const base = { cluster: 'prod', container: 'app', tagPattern: 'v*', deploymentTimeoutSeconds: 600, verifyIntervalSeconds: 30 };

function service(raw: Record<string, unknown>): EcsServiceConfig {
  return parseConfig({ ecs: [{ ...base, ...raw }] }).ecs[0]!;
}

function canary(overrides: Record<string, unknown>): EcsServiceConfig {
  return service({
    name: 'checkout',
    strategy: 'canary',
    service: 'checkout',
    repository: 'checkout',
    loadBalancer: { listener: LISTENER_ARN, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG },
    ...overrides,
  });
}

function blueGreen(overrides: Record<string, unknown>): EcsServiceConfig {
  return service({
    name: 'payments',
    strategy: 'blue-green',
    repository: 'payments',
    blue: { service: 'payments-blue', targetGroup: BLUE_TG },
    green: { service: 'payments-green', targetGroup: GREEN_TG },
    loadBalancer: { listener: LISTENER_RULE_ARN },
    ...overrides,
  });
}

describe('worst case of a deployment', () => {
  it('is 36 hours at most', () => {
    // Prepare
    const hours = 36;

    // Act
    const seconds = MAX_WORST_CASE_SECONDS;

    // Assess
    expect(seconds).toBe(hours * 3600);
  });

  it('is, for a rolling service, the rollout, the bake with one more check, and the rollback', () => {
    // Prepare
    const svc = configuredService('web');

    // Act
    const seconds = worstCaseSeconds(svc);

    // Assess
    // web: rollout 1200 s, bake 300 s, interval 30 s, rollback 1200 s.
    expect(seconds).toBe(1200 + 300 + 30 + 1200);
  });

  it('counts, for a canary, every step at its bake plus the extra wait for traffic and a scaling, and every approval at its timeout', () => {
    // Prepare
    const oneStep = canary({ steps: [{ weight: 100, bake: '5m' }], verification: { maxExtraBake: '10m' } });
    const withApproval = canary({ steps: [{ approval: true, timeout: '2h' }, { weight: 100, bake: '5m' }], verification: { maxExtraBake: '10m' } });

    // Act
    const [first, second] = [worstCaseSeconds(oneStep), worstCaseSeconds(withApproval)];

    // Assess
    // step: bake 300 + extra 600 + metrics lag 120 + scaling 600; promote 600; drain + scale-down 1200; rollback 1800.
    expect(first).toBe(300 + 600 + 120 + 600 + 600 + 1200 + 1800);
    expect(second - first).toBe(7200);
  });

  it('uses approvalTimeout for an approval step without its own timeout', () => {
    // Prepare
    const steps = [{ approval: true }, { weight: 100 }];

    // Act
    const [short, long] = [worstCaseSeconds(canary({ steps, approvalTimeout: '1h' })), worstCaseSeconds(canary({ steps, approvalTimeout: '3h' }))];

    // Assess
    expect(long - short).toBe(2 * 3600);
  });

  it('counts, for blue-green, the check of the idle colour, the keep-warm and its extra wait', () => {
    // Prepare
    const cold = blueGreen({ keepWarm: 0, verification: { maxExtraBake: 0 } });
    const warm = blueGreen({ keepWarm: '1h', verification: { maxExtraBake: 0 } });
    const tested = blueGreen({ keepWarm: 0, verification: { maxExtraBake: 0 }, healthCheck: { url: 'https://p.example.com/h', failureThreshold: 4 } });

    // Act
    const [a, b, c] = [worstCaseSeconds(cold), worstCaseSeconds(warm), worstCaseSeconds(tested)];

    // Assess
    expect(b - a).toBe(3600);
    // No health check: one interval for the test phase; failureThreshold 4: four.
    expect(c - a).toBe(3 * 30);
  });

  it('keeps the example’s services well under the limit', () => {
    // Prepare
    const services = ['web', 'orders-api', 'checkout', 'payments'].map(configuredService);

    // Act
    const worst = Math.max(...services.map(worstCaseSeconds));

    // Assess
    expect(worst).toBeLessThan(MAX_WORST_CASE_SECONDS);
  });
});

describe('history events budget', () => {
  it('counts the polls of the longest phases: a 24h bake polled every 30s needs more than the budget', () => {
    // Prepare
    const web = service({ name: 'web', strategy: 'rolling', service: 'web', repository: 'web', verifyIntervalSeconds: 30 }) as RollingServiceConfig;

    // Act: the schema would refuse this one; the budget itself is what is measured here.
    const worst = worstCase({ ...web, bakeSeconds: 86_400 });

    // Assess: 2,881 polls of the bake at 9 events each.
    expect(worst.parts.find((p) => p.what === 'the bake')!.events).toBe((Math.ceil((86_400 + 30) / 30) + 1) * 9);
    expect(worst.events).toBeGreaterThan(MAX_HISTORY_EVENTS_BUDGET);
  });

  it('waits for the lock on re-checks every 15 minutes: a 36h wait is under 2,000 events', () => {
    // Prepare
    const web = service({ name: 'web', strategy: 'rolling', service: 'web', repository: 'web' });

    // Act
    const lock = worstCase(web).parts.find((p) => p.what === 'waiting for the lock')!;

    // Assess
    expect(lock.events).toBeLessThan(2_000);
  });

  it('refuses a service over the budget, naming verifyIntervalSeconds and the interval that would fit', () => {
    // Act
    const refusal = (() => {
      try {
        service({ name: 'web', strategy: 'rolling', service: 'web', repository: 'web', bakeSeconds: 86_400 });
      } catch (error) {
        return error as ConfigError;
      }
      return undefined;
    })();

    // Assess
    expect(refusal?.problems).toEqual([expect.stringMatching(/^ecs\[0\]\.verifyIntervalSeconds: a deployment of web could write up to \d+ Step Functions history events, mostly polling every 30s for the bake .* raise verifyIntervalSeconds to at least 45/)]);
  });

  it('suggests the smallest interval that fits', () => {
    // Prepare
    const web = service({ name: 'web', strategy: 'rolling', service: 'web', repository: 'web', bakeSeconds: 36_000, verifyIntervalSeconds: 30 }) as RollingServiceConfig;

    // Act
    const interval = intervalWithinBudget({ ...web, bakeSeconds: 86_400 });

    // Assess
    expect(interval).toBe(45);
    expect(worstCase({ ...web, bakeSeconds: 86_400, verifyIntervalSeconds: 45 }).events).toBeLessThanOrEqual(MAX_HISTORY_EVENTS_BUDGET);
    expect(worstCase({ ...web, bakeSeconds: 86_400, verifyIntervalSeconds: 40 }).events).toBeGreaterThan(MAX_HISTORY_EVENTS_BUDGET);
  });
});

describe('worst case of a VM service', () => {
  const vm = (raw: Record<string, unknown>) => parseConfig({ vm: [raw] }).vm[0]!;

  it('counts every batch twice at batchTimeout (its run and its rollback), plus the bake', () => {
    // Prepare
    const three = vm(vmRolling({ batches: ['25%', '50%', '100%'], batchTimeout: '20m', bake: '5m' }));
    const six = vm(vmRolling({ batches: ['10%', '25%', '40%', '60%', '80%', '100%'], batchTimeout: '20m', bake: '5m' }));

    // Act
    const [short, long] = [worstCaseSeconds(three), worstCaseSeconds(six)];

    // Assess
    expect(short).toBe(2 * 3 * 1200 + 300 + 30);
    expect(long - short).toBe(2 * 3 * 1200);
  });

  it("adds the canary's bake and, when it is approved, the approval timeout", () => {
    // Prepare
    const plain = vm(vmCanary({ canary: { bake: '10m' } }));
    const approved = vm(vmCanary({ canary: { bake: '10m', approval: true }, approvalTimeout: '2h' }));

    // Act
    const [a, b] = [worstCase(plain), worstCase(approved)];

    // Assess
    expect(a.parts.map((p) => p.what)).toContain('the canary bake');
    expect(b.seconds - a.seconds).toBe(7200);
  });

  it('finds the verifyIntervalSeconds that brings many long batches within the history budget', () => {
    // Prepare
    const batches = Array.from({ length: 20 }, (_unused, i) => `${(i + 1) * 5}%`);
    const svc = { ...vm(vmRolling({ batches, batchTimeout: '45m', verifyIntervalSeconds: 300 })), verifyIntervalSeconds: 10 };

    // Act
    const interval = intervalWithinBudget(svc);

    // Assess
    expect(worstCase(svc).events).toBeGreaterThan(MAX_HISTORY_EVENTS_BUDGET);
    expect(interval).toBeDefined();
    expect(worstCase({ ...svc, verifyIntervalSeconds: interval! }).events).toBeLessThanOrEqual(MAX_HISTORY_EVENTS_BUDGET);
    expect(worstCase({ ...svc, verifyIntervalSeconds: interval! - 5 }).events).toBeGreaterThan(MAX_HISTORY_EVENTS_BUDGET);
  });
});
