/**
 * A simulated world for the simulator's own tests: one service per strategy
 * from a small config (two rolling, one canary, one blue-green behind the
 * same load balancer, as in the example config), a hand-driven virtual
 * clock, the SDK clients mocked.
 */
import { parseConfig, type DeployerConfig } from '../../lambdas/shared/config.ts';
import { SimulatedWorld, type WorldOptions } from '../../simulator/aws/world.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const EPOCH = Date.parse('2026-01-05T09:00:00.000Z');
export const HEALTH_URL = 'https://web.example.com/health';

const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
/** The load balancer every listener belongs to. */
export const ALB_ARN = `${ELB}:loadbalancer/app/prod-alb/50dc6c495c0c9188`;
/** Production listener: its default action serves checkout. */
export const LISTENER = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
/** Production rule of payments, on LISTENER. */
export const RULE = `${ELB}:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
/** Test listener of payments. */
export const TEST_LISTENER = `${ELB}:listener/app/prod-alb/50dc6c495c0c9188/0467ef3c8400ae65`;
/** Target group of the checkout primary service. */
export const CHECKOUT_TG = `${ELB}:targetgroup/checkout/73e2d6bc24d8a067`;
/** Target group of checkout's canary (empty at first). */
export const CANARY_TG = `${ELB}:targetgroup/checkout-canary/2453ed029918f21f`;
/** Target group of payments-blue (serving at first). */
export const BLUE_TG = `${ELB}:targetgroup/payments-blue/a1b2c3d4e5f60718`;
/** Target group of payments-green (idle at first, behind the test listener). */
export const GREEN_TG = `${ELB}:targetgroup/payments-green/8192a3b4c5d6e7f0`;
/** checkout's health check: through LISTENER. */
export const CHECKOUT_URL = 'https://checkout.example.com/health';
/** payments' health check: through RULE. */
export const PAYMENTS_URL = 'https://payments.example.com/payments/health';
/** payments' test health check: through TEST_LISTENER. */
export const PAYMENTS_TEST_URL = 'https://payments.example.com:8443/payments/health';

/** `REGISTRY/web:TAG` */
export const webImage = (tag: string): string => `${REGISTRY}/web:${tag}`;
/** `REGISTRY/checkout:TAG` */
export const checkoutImage = (tag: string): string => `${REGISTRY}/checkout:${tag}`;
/** `REGISTRY/payments:TAG` */
export const paymentsImage = (tag: string): string => `${REGISTRY}/payments:${tag}`;

/**
 * web (alarms, health check) and orders-api (cluster given by ARN), rolling;
 * checkout, canary on LISTENER; payments, blue-green on RULE with TEST_LISTENER.
 * `only` keeps the entries of these names.
 */
export function testConfig(options: { canaryService?: string; only?: string[] } = {}): DeployerConfig {
  const entries: Array<{ name: string } & Record<string, unknown>> = [
    {
      name: 'web',
      strategy: 'rolling',
      cluster: 'prod',
      service: 'web',
      container: 'app',
      repository: 'web',
      tagPattern: 'v*',
      alarms: ['web-5xx-rate', 'web-p99-latency'],
      healthCheck: { url: HEALTH_URL, body: { path: 'status', equals: 'UP' } },
    },
    {
      name: 'orders-api',
      strategy: 'rolling',
      cluster: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`,
      service: 'orders-api',
      container: 'api',
      repository: 'team/orders-api',
      tagPattern: 'release-*',
      alarms: ['orders-api-5xx-rate'],
    },
    {
      name: 'checkout',
      strategy: 'canary',
      cluster: 'prod',
      service: 'checkout',
      container: 'app',
      repository: 'checkout',
      tagPattern: 'v*',
      loadBalancer: { listener: LISTENER, targetGroup: CHECKOUT_TG, canaryTargetGroup: CANARY_TG },
      ...(options.canaryService === undefined ? {} : { canaryService: options.canaryService }),
      alarms: ['checkout-5xx-rate'],
      healthCheck: { url: CHECKOUT_URL, body: { path: 'status', equals: 'UP' } },
    },
    {
      name: 'payments',
      strategy: 'blue-green',
      cluster: 'prod',
      container: 'app',
      repository: 'payments',
      tagPattern: 'v*',
      blue: { service: 'payments-blue', targetGroup: BLUE_TG },
      green: { service: 'payments-green', targetGroup: GREEN_TG },
      loadBalancer: { listener: RULE, testListener: TEST_LISTENER },
      alarms: ['payments-5xx-rate'],
      healthCheck: { url: PAYMENTS_URL, testUrl: PAYMENTS_TEST_URL, body: { path: 'status', equals: 'UP' } },
    },
  ];
  return parseConfig({ ecs: entries.filter((e) => options.only === undefined || options.only.includes(e.name)) });
}

/** A clock the test moves by hand. */
export class ManualClock {
  public constructor(private time = EPOCH) {}

  public now(): number {
    return this.time;
  }

  public advance(seconds: number): void {
    this.time += seconds * 1000;
  }
}

/** A world, installed; call `uninstall` in afterEach. */
export interface InstalledWorld {
  world: SimulatedWorld;
  clock: ManualClock;
  uninstall: () => void;
}

/** Build and install a world from the test config (or another). */
export function installWorld(options: Partial<Omit<WorldOptions, 'now'>> = {}): InstalledWorld {
  const clock = new ManualClock();
  const world = new SimulatedWorld({ config: testConfig(), ...options, now: () => clock.now() });
  const uninstall = world.install();
  return { world, clock, uninstall };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail, it succeeded');
}
