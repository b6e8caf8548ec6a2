/**
 * A config for rehearsal tests: one service per strategy, with the example's
 * load balancer, and short bakes so that a deployment takes minutes of
 * virtual time (and a fraction of a second of real time).
 */
import type { DeployerConfig } from '../../lambdas/shared/config.ts';
import { parseConfigYaml } from '../../lambdas/shared/config-file.ts';

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
export const LISTENER = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const RULE = `${ELB}:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
export const TEST_LISTENER = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/0467ef3c8400ae65`;
export const CHECKOUT_TG = `${ELB}:targetgroup/checkout/73e2d6bc24d8a067`;
export const CANARY_TG = `${ELB}:targetgroup/checkout-canary/2453ed029918f21f`;
export const BLUE_TG = `${ELB}:targetgroup/payments-blue/a1b2c3d4e5f60718`;
export const GREEN_TG = `${ELB}:targetgroup/payments-green/8192a3b4c5d6e7f0`;

/** The services' YAML; `extra` lines go under the named service. */
export function rehearsalConfigYaml(extra: Partial<Record<'web' | 'checkout' | 'payments', string[]>> = {}): string {
  const lines = (name: 'web' | 'checkout' | 'payments'): string => (extra[name] ?? []).map((l) => `    ${l}\n`).join('');
  return `ecs:
  - name: web
    strategy: rolling
    cluster: prod
    service: web
    container: app
    repository: web
    tagPattern: "v*"
    alarms: [web-5xx-rate]
    healthCheck: { url: https://web.example.com/health, body: { path: status, equals: UP } }
    bakeSeconds: 60
${lines('web')}  - name: checkout
    strategy: canary
    cluster: prod
    service: checkout
    container: app
    repository: checkout
    tagPattern: "v*"
    alarms: [checkout-5xx-rate]
    healthCheck: { url: https://checkout.example.com/health, body: { path: status, equals: UP } }
    loadBalancer: { listener: ${LISTENER}, targetGroup: ${CHECKOUT_TG}, canaryTargetGroup: ${CANARY_TG} }
${lines('checkout')}  - name: payments
    strategy: blue-green
    cluster: prod
    container: app
    repository: payments
    tagPattern: "v*"
    alarms: [payments-5xx-rate]
    blue: { service: payments-blue, targetGroup: ${BLUE_TG} }
    green: { service: payments-green, targetGroup: ${GREEN_TG} }
    loadBalancer: { listener: ${RULE}, testListener: ${TEST_LISTENER} }
    healthCheck:
      url: https://payments.example.com/payments/health
      testUrl: https://payments.example.com:8443/payments/health
      body: { path: status, equals: UP }
    keepWarm: 2m
${lines('payments')}`;
}

/** Short steps with an approval in the middle, for the traffic strategies. */
export const SHORT_STEPS = {
  checkout: ['steps: [{weight: 25, bake: 1m}, {approval: true}, {weight: 100, bake: 1m}]', 'verification: { minRequests: 50 }'],
  payments: ['steps: [{weight: 50, bake: 1m}, {approval: true}, {weight: 100, bake: 1m}]', 'verification: { minRequests: 50 }'],
};

/** `defaults` without the keys `extra` sets, then `extra`. */
function merged(defaults: string[], extra: string[] = []): string[] {
  const key = (line: string): string => line.slice(0, line.indexOf(':'));
  const overridden = new Set(extra.map(key));
  return [...defaults.filter((line) => !overridden.has(key(line))), ...extra];
}

/** The rehearsal config with short steps; `extra` lines replace the defaults with the same key. */
export function rehearsalConfig(extra: Partial<Record<'web' | 'checkout' | 'payments', string[]>> = {}): DeployerConfig {
  return parseConfigYaml(
    rehearsalConfigYaml({
      web: extra.web ?? [],
      checkout: merged(SHORT_STEPS.checkout, extra.checkout),
      payments: merged(SHORT_STEPS.payments, extra.payments),
    }),
    'rehearsal config',
  );
}

export const image = (repository: string, tag: string): string => `123456789012.dkr.ecr.us-east-1.amazonaws.com/${repository}:${tag}`;
