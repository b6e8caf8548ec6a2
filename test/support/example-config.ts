import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DeployerConfig } from '../../lambdas/shared/config.ts';
import { parseConfigYaml } from '../../lambdas/shared/config-file.ts';

export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/deployer.config.yaml', import.meta.url));

/** The shipped example config, validated; `edit` may change its text first. */
export function exampleConfig(edit: (text: string) => string = (text) => text): DeployerConfig {
  return parseConfigYaml(edit(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')), EXAMPLE_CONFIG_PATH);
}

export const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
export const webImage = (tag: string): string => `${REGISTRY}/web:${tag}`;
