/**
 * The smallest valid ECS entry of each strategy, for the config tests that
 * change one field and read what the config says about it (the example's
 * `web`, `checkout` and `payments`).
 */
import { ConfigError, parseConfig } from '../../lambdas/shared/config.ts';
import { BLUE_TG, CHECKOUT_CANARY_TG, CHECKOUT_TG, GREEN_TG, LISTENER_ARN, LISTENER_RULE_ARN } from './lambda-fixtures.ts';

/** One entry of `ecs:`, as a user writes it. */
export type Entry = Record<string, unknown>;

/** A rolling service, `web`. */
export function rollingEntry(overrides: Entry = {}): Entry {
  return { name: 'web', strategy: 'rolling', cluster: 'prod', service: 'web', container: 'app', repository: 'web', tagPattern: 'v*', ...overrides };
}

/** A canary service, `checkout`, behind a listener. */
export function canaryEntry(overrides: Entry = {}): Entry {
  return {
    name: 'checkout',
    strategy: 'canary',
    cluster: 'prod',
    service: 'checkout',
    container: 'app',
    repository: 'checkout',
    tagPattern: 'v*',
    loadBalancer: { listener: LISTENER_ARN, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG },
    ...overrides,
  };
}

/** A blue-green service, `payments`, behind a listener rule. */
export function blueGreenEntry(overrides: Entry = {}): Entry {
  return {
    name: 'payments',
    strategy: 'blue-green',
    cluster: 'prod',
    container: 'app',
    repository: 'payments',
    tagPattern: 'v*',
    blue: { service: 'payments-blue', targetGroup: BLUE_TG },
    green: { service: 'payments-green', targetGroup: GREEN_TG },
    loadBalancer: { listener: LISTENER_RULE_ARN },
    ...overrides,
  };
}

/** The problems of a config with this one ECS service (as `deployer validate` lists them); none when it is accepted. */
export function problemsOfService(service: Entry): string[] {
  try {
    parseConfig({ ecs: [service] }, 'deployer.config.yaml');
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
