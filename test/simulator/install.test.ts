import { DescribeServicesCommand, ECSClient, ListServicesCommand } from '@aws-sdk/client-ecs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { SimulatedWorld } from '../../simulator/aws/world.ts';
import { installWorld, rejectionOf, testConfig } from './world-fixture.ts';

/** A client that can never reach AWS: no credentials lookup, no retries, an endpoint nothing listens on. */
function offlineEcs(): ECSClient {
  return new ECSClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

describe('installing the simulation', () => {
  it('answers SDK clients and fetch while installed, and no longer after uninstall', async () => {
    // Prepare
    const originalFetch = globalThis.fetch;
    const { world, uninstall } = installWorld();
    const ecs = offlineEcs();
    const during = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }));

    // Act
    uninstall();
    const after = await rejectionOf(ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] })));

    // Assess
    expect(during.services?.[0]?.serviceName).toBe('web');
    expect(after.name).not.toBe('ClusterNotFoundException');
    // A network error from the real client: no HTTP response at all.
    expect((after.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode).toBeUndefined();
    expect(`${after.name} ${after.message} ${String((after as { code?: unknown }).code)}`).toMatch(/ECONNREFUSED/);
    expect(globalThis.fetch).toBe(originalFetch);
    expect(world.calls).toHaveLength(1);
    uninstall();
  });

  it('refuses a second world while one is installed, and accepts it after uninstall', () => {
    // Prepare
    const first = installWorld();
    const second = new SimulatedWorld({ config: testConfig(), now: () => 0 });

    // Act
    const refused = (() => {
      try {
        second.install();
        return undefined;
      } catch (error) {
        return error as Error;
      }
    })();
    first.uninstall();
    const uninstallSecond = second.install();
    uninstallSecond();

    // Assess
    expect(refused?.message).toContain('another SimulatedWorld is installed');
  });

  it('fails loudly on commands it does not implement, naming the command and the caller', async () => {
    // Prepare
    const { world, uninstall } = installWorld();
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

    try {
      // Act
      const error = await rejectionOf(
        world.withCaller({ functionKey: 'Verify' }, () => offlineEcs().send(new ListServicesCommand({ cluster: 'prod' }))),
      );
      const get = await doc.send(new GetCommand({ TableName: 'deployer', Key: { pk: 'a', sk: 'b' } }));

      // Assess
      expect(error.name).toBe('SimulationNotImplemented');
      expect(error.message).toBe('the simulated ECS does not implement ListServices (called by Verify)');
      expect(world.calls[0]).toMatchObject({ action: 'ecs:ListServices', resources: ['*'], error: 'SimulationNotImplemented' });
      expect(get.Item).toBeUndefined();
    } finally {
      uninstall();
    }
  });
});
