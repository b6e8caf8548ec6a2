/**
 * A simulated world for the simulator's own tests: two services from a
 * small config, a hand-driven virtual clock, the SDK clients mocked.
 */
import { parseConfig, type DeployerConfig } from '../../lambdas/shared/config.ts';
import { SimulatedWorld, type WorldOptions } from '../../simulator/aws/world.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
export const EPOCH = Date.parse('2026-01-05T09:00:00.000Z');
export const HEALTH_URL = 'https://web.example.com/health';

/** `REGISTRY/web:TAG` */
export const webImage = (tag: string): string => `${REGISTRY}/web:${tag}`;

/** web (alarms, health check) and orders-api, both in cluster prod (given by ARN for orders-api). */
export function testConfig(): DeployerConfig {
  return parseConfig({
    ecs: [
      {
        name: 'web',
        cluster: 'prod',
        service: 'web',
        container: 'app',
        repository: 'web',
        alarms: ['web-5xx-rate', 'web-p99-latency'],
        healthCheck: { url: HEALTH_URL, body: { path: 'status', equals: 'UP' } },
      },
      {
        name: 'orders-api',
        cluster: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`,
        service: 'orders-api',
        container: 'api',
        repository: 'team/orders-api',
        alarms: ['orders-api-5xx-rate'],
      },
    ],
  });
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

/** Build and install a world from the test config. */
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
