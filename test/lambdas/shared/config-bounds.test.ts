/**
 * Every bound of the config at its edge, on both sides: the last value
 * accepted and the first refused, each refusal naming its field. Patterns
 * are tested at both ends (anchored) and for what they must allow.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/shared/config.ts';
import { blueGreenEntry, canaryEntry, problemsOfService as problemsOf, rollingEntry, type Entry } from '../../support/config-entries.ts';
import { CHECKOUT_CANARY_TG, CHECKOUT_TG, LISTENER_ARN, LISTENER_RULE_ARN, TEST_LISTENER_ARN } from '../../support/lambda-fixtures.ts';

/** Valid entries; polling hourly keeps long durations within the event budget. */
const rolling = (overrides: Entry = {}): Entry => rollingEntry({ verifyIntervalSeconds: 3600, ...overrides });
const canary = (overrides: Entry = {}): Entry => canaryEntry({ verifyIntervalSeconds: 3600, ...overrides });
const blueGreen = (overrides: Entry = {}): Entry => blueGreenEntry({ verifyIntervalSeconds: 3600, ...overrides });
const healthCheck = (overrides: Entry = {}): Entry => ({ url: 'https://web.example.com/health', ...overrides });

const DAY = 24 * 3600;

/** [field, the entry at the last accepted value, the entry at the first refused value] */
const bounds: [string, Entry, Entry][] = [
  // Names: 1-40 lowercase letters, digits, dashes; they end up in execution names and keys.
  ['name', rolling({ name: 'a'.repeat(40) }), rolling({ name: 'a'.repeat(41) })],
  ['name', rolling({ name: '0' }), rolling({ name: '' })],
  ['cluster', rolling({ cluster: 'c'.repeat(255) }), rolling({ cluster: 'c'.repeat(256) })],
  ['service', rolling({ service: 's'.repeat(255) }), rolling({ service: 's'.repeat(256) })],
  ['container', rolling({ container: 'c'.repeat(255) }), rolling({ container: 'c'.repeat(256) })],
  ['repository', rolling({ repository: 'r'.repeat(256) }), rolling({ repository: 'r'.repeat(257) })],
  ['tagPattern', rolling({ tagPattern: 't'.repeat(128) }), rolling({ tagPattern: 't'.repeat(129) })],
  ['tagPattern', rolling({ tagPattern: '*' }), rolling({ tagPattern: '' })],
  ['alarms', rolling({ alarms: Array.from({ length: 100 }, (_, i) => `alarm-${i}`) }), rolling({ alarms: Array.from({ length: 101 }, (_, i) => `alarm-${i}`) })],
  ['alarms[0]', rolling({ alarms: ['a'.repeat(255)] }), rolling({ alarms: ['a'.repeat(256)] })],
  ['alarms[0]', rolling({ alarms: ['a'] }), rolling({ alarms: [''] })],
  // Timing.
  ['verifyIntervalSeconds', rolling({ verifyIntervalSeconds: 10 }), rolling({ verifyIntervalSeconds: 9 })],
  ['verifyIntervalSeconds', rolling({ verifyIntervalSeconds: 3600 }), rolling({ verifyIntervalSeconds: 3601 })],
  ['verifyIntervalSeconds', rolling({ verifyIntervalSeconds: 30 }), rolling({ verifyIntervalSeconds: 30.5 })],
  ['deploymentTimeoutSeconds', rolling({ deploymentTimeoutSeconds: 60 }), rolling({ deploymentTimeoutSeconds: 59 })],
  ['deploymentTimeoutSeconds', rolling({ deploymentTimeoutSeconds: 21_600 }), rolling({ deploymentTimeoutSeconds: 21_601 })],
  ['deploymentTimeoutSeconds', rolling({ deploymentTimeoutSeconds: 600 }), rolling({ deploymentTimeoutSeconds: 600.5 })],
  ['bakeSeconds', rolling({ bakeSeconds: 0 }), rolling({ bakeSeconds: -1 })],
  ['bakeSeconds', rolling({ bakeSeconds: DAY }), rolling({ bakeSeconds: DAY + 1 })],
  ['bakeSeconds', rolling({ bakeSeconds: 60 }), rolling({ bakeSeconds: 60.5 })],
  // The health check.
  ['healthCheck.url', rolling({ healthCheck: healthCheck({ url: 'http://web.internal:8080/health' }) }), rolling({ healthCheck: healthCheck({ url: 'ftp://web.internal/health' }) })],
  ['healthCheck.expectedStatus', rolling({ healthCheck: healthCheck({ expectedStatus: 100 }) }), rolling({ healthCheck: healthCheck({ expectedStatus: 99 }) })],
  ['healthCheck.expectedStatus', rolling({ healthCheck: healthCheck({ expectedStatus: 599 }) }), rolling({ healthCheck: healthCheck({ expectedStatus: 600 }) })],
  ['healthCheck.expectedStatus', rolling({ healthCheck: healthCheck({ expectedStatus: 204 }) }), rolling({ healthCheck: healthCheck({ expectedStatus: 200.5 }) })],
  ['healthCheck.timeoutSeconds', rolling({ healthCheck: healthCheck({ timeoutSeconds: 1 }) }), rolling({ healthCheck: healthCheck({ timeoutSeconds: 0 }) })],
  ['healthCheck.timeoutSeconds', rolling({ healthCheck: healthCheck({ timeoutSeconds: 30 }) }), rolling({ healthCheck: healthCheck({ timeoutSeconds: 31 }) })],
  ['healthCheck.failureThreshold', rolling({ healthCheck: healthCheck({ failureThreshold: 1 }) }), rolling({ healthCheck: healthCheck({ failureThreshold: 0 }) })],
  ['healthCheck.failureThreshold', rolling({ healthCheck: healthCheck({ failureThreshold: 10 }) }), rolling({ healthCheck: healthCheck({ failureThreshold: 11 }) })],
  ['healthCheck.body.path', rolling({ healthCheck: healthCheck({ body: { path: 'checks.db-1.status_x', equals: 'UP' } }) }), rolling({ healthCheck: healthCheck({ body: { path: 'checks..status', equals: 'UP' } }) })],
  // Comparison of the new side with the old.
  ['verification.maxErrorRateIncrease', canary({ verification: { maxErrorRateIncrease: 0 } }), canary({ verification: { maxErrorRateIncrease: -0.1 } })],
  ['verification.maxErrorRateIncrease', canary({ verification: { maxErrorRateIncrease: 100 } }), canary({ verification: { maxErrorRateIncrease: 100.1 } })],
  ['verification.maxLatencyRatio', canary({ verification: { maxLatencyRatio: 1 } }), canary({ verification: { maxLatencyRatio: 0.99 } })],
  ['verification.maxLatencyRatio', canary({ verification: { maxLatencyRatio: 100 } }), canary({ verification: { maxLatencyRatio: 100.5 } })],
  ['verification.minRequests', canary({ verification: { minRequests: 0 } }), canary({ verification: { minRequests: -1 } })],
  ['verification.minRequests', canary({ verification: { minRequests: 1_000_000 } }), canary({ verification: { minRequests: 1_000_001 } })],
  ['verification.minRequests', canary({ verification: { minRequests: 10 } }), canary({ verification: { minRequests: 10.5 } })],
  ['verification.maxExtraBake', canary({ verification: { maxExtraBake: '6h' } }), canary({ verification: { maxExtraBake: 6 * 3600 + 1 } })],
  ['verification.maxExtraBake', canary({ verification: { maxExtraBake: 0 } }), canary({ verification: { maxExtraBake: -1 } })],
  ['verification.preexistingAlarms', canary({ verification: { preexistingAlarms: 'block' } }), canary({ verification: { preexistingAlarms: 'ignore' } })],
  // Steps, approvals, keep-warm.
  ['steps[0].weight', canary({ steps: [{ weight: 1 }, { weight: 100 }] }), canary({ steps: [{ weight: 0 }, { weight: 100 }] })],
  ['steps[0].weight', canary({ steps: [{ weight: 100 }] }), canary({ steps: [{ weight: 101 }] })],
  ['steps[0].bake', canary({ steps: [{ weight: 100, bake: '24h' }] }), canary({ steps: [{ weight: 100, bake: DAY + 1 }] })],
  ['steps[0].timeout', canary({ steps: [{ approval: true, timeout: '24h' }, { weight: 100 }] }), canary({ steps: [{ approval: true, timeout: DAY + 1 }, { weight: 100 }] })],
  [
    'steps',
    canary({ steps: Array.from({ length: 20 }, (_, i) => ({ weight: 5 * (i + 1) })) }),
    canary({ steps: [{ approval: true }, ...Array.from({ length: 20 }, (_, i) => ({ weight: 5 * (i + 1) }))] }),
  ],
  ['steps', canary({ steps: [{ weight: 100 }] }), canary({ steps: [] })],
  ['approvalTimeout', canary({ approvalTimeout: '24h' }), canary({ approvalTimeout: DAY + 1 })],
  ['keepWarm', blueGreen({ keepWarm: '24h' }), blueGreen({ keepWarm: DAY + 1 })],
  ['keepWarm', blueGreen({ keepWarm: 0 }), blueGreen({ keepWarm: -1 })],
];

describe('config bounds', () => {
  it.each(bounds)('accepts %s at its last valid value', (_field, accepted) => {
    // Prepare
    const service = accepted;

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual([]);
  });

  it.each(bounds)('refuses %s one step past it, naming the field', (field, _accepted, refused) => {
    // Prepare
    const service = refused;

    // Act
    const problems = problemsOf(service);

    // Assess: a weight of 0 is also "not rising", an empty list also "no weight step"; all about the field.
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(new RegExp(`^ecs\\[0\\]\\.${field.replace(/[.[\]]/g, '\\$&')}: `));
  });
});

describe('config patterns', () => {
  it.each([
    ['name', rolling({ name: 'web-2' })],
    ['name', rolling({ name: '2fa' })],
    ['cluster', rolling({ cluster: 'Prod_cluster-1' })],
    ['cluster', rolling({ cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' })],
    ['cluster', rolling({ cluster: 'arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod' })],
    ['cluster', rolling({ cluster: 'arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/prod' })],
    ['repository', rolling({ repository: 'team/web.api_v2-x' })],
    ['tagPattern', rolling({ tagPattern: 'release-1.2_?*' })],
    ['healthCheck.url', rolling({ healthCheck: healthCheck({ url: 'https://web.example.com/health' }) })],
    ['healthCheck.url', rolling({ healthCheck: healthCheck({ url: 'http://web.example.com/health' }) })],
    ['loadBalancer.listener', canary({ loadBalancer: { listener: LISTENER_RULE_ARN, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG } })],
    ['loadBalancer.testListener', blueGreen({ loadBalancer: { listener: LISTENER_ARN, testListener: TEST_LISTENER_ARN }, healthCheck: healthCheck({ testUrl: 'http://payments.internal:8443/health' }) })],
  ])('accepts a valid %s', (_field, service) => {
    // Prepare
    const entry = service;

    // Act
    const problems = problemsOf(entry);

    // Assess
    expect(problems).toEqual([]);
  });

  it.each([
    // Anchored at both ends: nothing before or after the allowed characters.
    ['name', rolling({ name: '-web' })],
    ['name', rolling({ name: 'web!' })],
    ['name', rolling({ name: 'Web' })],
    ['name', rolling({ name: 'my web' })],
    ['name', rolling({ name: 'web_api' })],
    ['cluster', rolling({ cluster: 'prod/web' })],
    ['cluster', rolling({ cluster: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web' })],
    ['cluster', rolling({ cluster: 'arn:aws:ecs:us-east-1:12345678901:cluster/prod' })],
    ['cluster', rolling({ cluster: 'arn:aws:ecs:useast1:123456789012:cluster/prod' })],
    ['cluster', rolling({ cluster: 'xarn:aws:ecs:us-east-1:123456789012:cluster/prod' })],
    ['service', rolling({ service: 'web.api' })],
    ['container', rolling({ container: 'app:1' })],
    ['repository', rolling({ repository: 'web:latest' })],
    ['repository', rolling({ repository: '/web' })],
    ['repository', rolling({ repository: 'web/' })],
    ['repository', rolling({ repository: 'Web' })],
    ['tagPattern', rolling({ tagPattern: 'v 1' })],
    ['tagPattern', rolling({ tagPattern: 'v[*' })],
    ['tagPattern', rolling({ tagPattern: 'v1/*' })],
    ['healthCheck.url', rolling({ healthCheck: healthCheck({ url: 'web.example.com/health' }) })],
    ['healthCheck.url', rolling({ healthCheck: healthCheck({ url: 'xhttps://web.example.com/health' }) })],
    ['healthCheck.url', rolling({ healthCheck: healthCheck({ url: 'httpsx://web.example.com/health' }) })],
    ['healthCheck.body.path', rolling({ healthCheck: healthCheck({ body: { path: '.status', equals: 'UP' } }) })],
    ['healthCheck.body.path', rolling({ healthCheck: healthCheck({ body: { path: 'status.', equals: 'UP' } }) })],
    ['healthCheck.body.path', rolling({ healthCheck: healthCheck({ body: { path: 'status code', equals: 'UP' } }) })],
    ['loadBalancer.listener', canary({ loadBalancer: { listener: CHECKOUT_TG, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG } })],
    ['loadBalancer.listener', canary({ loadBalancer: { listener: `${LISTENER_ARN}/extra`, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG } })],
    ['loadBalancer.targetGroup', canary({ loadBalancer: { listener: LISTENER_ARN, targetGroup: `x${CHECKOUT_TG}`, canaryTargetGroup: CHECKOUT_CANARY_TG } })],
    ['loadBalancer.testListener', blueGreen({ loadBalancer: { listener: LISTENER_ARN, testListener: LISTENER_RULE_ARN }, healthCheck: healthCheck({ testUrl: 'https://payments.example.com:8443/health' }) })],
    ['healthCheck.testUrl', blueGreen({ healthCheck: healthCheck({ testUrl: 'ftp://payments.internal/health' }) })],
  ])('refuses a %s that does not fit its pattern, naming the field', (field, service) => {
    // Prepare
    const entry = service;

    // Act
    const problems = problemsOf(entry);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^ecs\\[0\\]\\.${field.replace(/[.[\]]/g, '\\$&')}: `));
  });
});

describe('config durations', () => {
  it.each([
    ['30s', 30],
    ['1h30m', 5400],
    [90, 90],
  ])('reads keepWarm %j as %i seconds', (written, seconds) => {
    // Prepare
    const document = { ecs: [blueGreen({ keepWarm: written })] };

    // Act
    const config = parseConfig(document);

    // Assess
    expect(config.ecs[0]).toMatchObject({ keepWarm: seconds });
  });

  it.each([['1.5h'], [1.5], ['soon'], [-30]])('refuses keepWarm %j, saying how to write a duration', (written) => {
    // Prepare
    const service = blueGreen({ keepWarm: written });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual(['ecs[0].keepWarm: a duration such as "30s", "5m", "2h" or "1h30m" (or whole seconds)']);
  });

  it('says the most a duration may be', () => {
    // Prepare
    const service = blueGreen({ keepWarm: '25h' });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual(['ecs[0].keepWarm: at most 24h']);
  });
});
