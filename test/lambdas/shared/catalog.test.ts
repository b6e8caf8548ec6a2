import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadCatalog } from '../../../lambdas/shared/catalog.ts';
import { configDocument, parseConfig } from '../../../lambdas/shared/config.ts';
import { CONFIG_DOCUMENT, testConfig } from '../../support/lambda-fixtures.ts';

describe('catalog of services', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is the config the function was built with: its document, validated again with the same defaults', async () => {
    // Prepare
    const config = testConfig();
    vi.stubEnv('DEPLOYER_CONFIG', configDocument(config));

    // Act
    const catalog = await loadCatalog();

    // Assess
    expect(catalog).toEqual(config);
  });

  it('follows a change of the built-in config', async () => {
    // Prepare
    vi.stubEnv('DEPLOYER_CONFIG', configDocument(testConfig()));
    await loadCatalog();
    const onlyWeb = parseConfig({ ecs: CONFIG_DOCUMENT.ecs.filter((s) => s.name === 'web') });
    vi.stubEnv('DEPLOYER_CONFIG', configDocument(onlyWeb));

    // Act
    const catalog = await loadCatalog();

    // Assess
    expect(catalog.ecs.map((s) => s.name)).toEqual(['web']);
  });

  it('says the function was built without a config when there is none', async () => {
    // Prepare
    vi.stubEnv('DEPLOYER_CONFIG', '');

    // Act
    const load = () => loadCatalog();

    // Assess
    await expect(load()).rejects.toThrow('DEPLOYER_CONFIG is not set: the function was built without a config');
  });

  it('refuses a built-in config that does not validate, naming the field', async () => {
    // Prepare
    vi.stubEnv('DEPLOYER_CONFIG', JSON.stringify({ ecs: [{ name: 'web', strategy: 'rolling' }] }));

    // Act
    const load = () => loadCatalog();

    // Assess
    await expect(load()).rejects.toThrow(/DEPLOYER_CONFIG is not a valid deployer config \(5 problems\):\n {2}DEPLOYER_CONFIG: ecs\[0\]\.cluster: required: ECS cluster name or ARN\n/);
  });
});
