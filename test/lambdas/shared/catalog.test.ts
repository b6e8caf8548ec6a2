import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadCatalog } from '../../../lambdas/shared/catalog.ts';
import { exampleConfig } from '../../support/lambda-fixtures.ts';

describe('catalog of services', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is the config the function was built with', () => {
    // Prepare
    const config = exampleConfig();
    vi.stubEnv('DEPLOYER_CONFIG', JSON.stringify(config));

    // Act
    const catalog = loadCatalog();

    // Assess
    expect(catalog).toEqual(config);
  });

  it('follows a change of the built-in config', () => {
    // Prepare
    const config = exampleConfig();
    vi.stubEnv('DEPLOYER_CONFIG', JSON.stringify(config));
    loadCatalog();
    const onlyWeb = { ...config, ecs: config.ecs.filter((s) => s.name === 'web') };
    vi.stubEnv('DEPLOYER_CONFIG', JSON.stringify(onlyWeb));

    // Act
    const catalog = loadCatalog();

    // Assess
    expect(catalog.ecs.map((s) => s.name)).toEqual(['web']);
  });

  it('says the function was built without a config when there is none', () => {
    // Prepare
    vi.stubEnv('DEPLOYER_CONFIG', '');

    // Act
    const load = () => loadCatalog();

    // Assess
    expect(load).toThrow('DEPLOYER_CONFIG is not set: the function was built without a config');
  });

  it('refuses a built-in config that does not validate, naming the field', () => {
    // Prepare
    vi.stubEnv('DEPLOYER_CONFIG', JSON.stringify({ ecs: [{ name: 'web' }] }));

    // Act
    const load = () => loadCatalog();

    // Assess
    expect(load).toThrow(/DEPLOYER_CONFIG is not a valid deployer config:[\s\S]*ecs\[0\]\.cluster: required/);
  });
});
