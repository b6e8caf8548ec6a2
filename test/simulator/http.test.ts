import { DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { HEALTH_URL, installWorld, rejectionOf, webImage, type InstalledWorld } from './world-fixture.ts';

const ecs = new ECSClient({ region: 'us-east-1' });

async function deployWeb(image: string): Promise<void> {
  const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      ...taskDefinition,
      family: 'web',
      containerDefinitions: taskDefinition?.containerDefinitions?.map((c) => (c.name === 'app' ? { ...c, image } : c)),
    }),
  );
  await ecs.send(
    new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: registered.taskDefinition?.taskDefinitionArn }),
  );
}

async function health(): Promise<{ status: number; type: string | null; body: unknown }> {
  const response = await fetch(HEALTH_URL);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

describe('simulated HTTP health checks', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('answers from the serving tasks: the old ones keep answering UP while the new unhealthy ones never serve', async () => {
    // Prepare: the circuit breaker fails the rollout 100 s after the update and rolls back.
    installed = installWorld();
    const { world, clock } = installed;
    world.markImageUnhealthy(webImage('v6.6.6'));

    // Act
    const before = await health();
    await deployWeb(webImage('v6.6.6'));
    const during = await health();
    clock.advance(100);
    const afterRollback = await health();

    // Assess
    expect(before).toMatchObject({ status: 200, body: { status: 'UP', taskDefinition: 'web:7' } });
    expect(during).toMatchObject({ status: 200, body: { status: 'UP', taskDefinition: 'web:7' } });
    expect(afterRollback).toMatchObject({ status: 200, body: { status: 'UP' } });
  });

  it('answers 503 when no task of the service serves', async () => {
    // Prepare
    installed = installWorld();
    const { world } = installed;
    const web = world.ecs.service('prod', 'web')!;

    // Act: scale to zero and let the tasks drain and stop
    await installed.world.withCaller({ functionKey: 'test' }, async () => {
      const { ECSClient, UpdateServiceCommand } = await import('@aws-sdk/client-ecs');
      await new ECSClient({}).send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 0 }));
    });
    installed.clock.advance(120);
    const after = await health();

    // Assess
    expect(world.ecs.tasksOf(web).filter((t) => t.stoppedAt === undefined)).toEqual([]);
    expect(after).toMatchObject({ status: 503, body: { status: 'DOWN' } });
  });

  it('serves a forced response until it is cleared', async () => {
    // Prepare
    installed = installWorld();
    const { http } = installed.world;

    // Act
    http.setResponse(HEALTH_URL, { status: 200, body: { status: 'DEGRADED' } });
    const forced = await health();
    http.clearResponse(HEALTH_URL);
    const normal = await health();

    // Assess
    expect(forced).toEqual({ status: 200, type: 'application/json', body: { status: 'DEGRADED' } });
    expect(normal.body).toMatchObject({ status: 'UP' });
  });

  it('fails other URLs like undici fails an unresolvable host, and logs every request', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const error = await rejectionOf(
      installed.world.withCaller({ functionKey: 'Verify' }, () => fetch('https://elsewhere.example.com/')),
    );

    // Assess
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect(error.cause).toMatchObject({ code: 'ENOTFOUND', hostname: 'elsewhere.example.com' });
    expect(installed.world.http.requests).toEqual([
      expect.objectContaining({ url: 'https://elsewhere.example.com/', method: 'GET', caller: { functionKey: 'Verify' }, error: 'TypeError' }),
    ]);
  });

  it('honours an already aborted signal', async () => {
    // Prepare
    installed = installWorld();

    // Act
    const error = await rejectionOf(fetch(HEALTH_URL, { signal: AbortSignal.abort() }));

    // Assess
    expect(error.name).toBe('AbortError');
  });
});
