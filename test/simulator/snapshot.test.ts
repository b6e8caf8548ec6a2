import { afterEach, describe, expect, it } from 'vitest';
import { installWorld, REGISTRY, type InstalledWorld } from './world-fixture.ts';

describe('world snapshot', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  it('lists every configured service as cluster/service with family:revision, image and desired count', () => {
    // Prepare
    installed = installWorld({ desiredCount: 2 });

    // Act
    const snapshot = installed.world.snapshot();

    // Assess
    expect(snapshot).toEqual({
      services: {
        'prod/web': {
          taskDefinition: 'web:7',
          image: `${REGISTRY}/web@${installed.world.ecr.digestOf('web', 'v1.0.0')}`,
          desiredCount: 2,
        },
        'prod/orders-api': {
          taskDefinition: 'orders-api:7',
          image: `${REGISTRY}/team/orders-api@${installed.world.ecr.digestOf('team/orders-api', 'v1.0.0')}`,
          desiredCount: 2,
        },
      },
      listeners: {},
    });
    expect(installed.world.calls).toEqual([]);
  });
});
