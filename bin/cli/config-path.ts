/**
 * Which config file a command reads: `--config PATH`, else
 * `deployer.config.yaml` in the current directory, else the example shipped
 * with the deployer (so a fresh checkout can rehearse at once).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type DeployerConfig } from '../../lambdas/shared/config.ts';
import { ConfigFileMissing, DEFAULT_CONFIG_PATH, loadConfigFile } from '../../infra/load-config.ts';
import { REPO_ROOT } from '../../infra/repo-root.ts';
import { UsageError } from './exit-codes.ts';

export const EXAMPLE_CONFIG = path.join(REPO_ROOT, 'examples', 'deployer.config.yaml');

export interface ResolvedConfig {
  path: string;
  config: DeployerConfig;
  /** True when no config was given and the shipped example was used. */
  isExample: boolean;
}

export function resolveConfig(given: string | undefined, cwd = process.cwd()): ResolvedConfig {
  let file = given;
  let isExample = false;
  if (file === undefined) {
    if (existsSync(path.resolve(cwd, DEFAULT_CONFIG_PATH))) file = DEFAULT_CONFIG_PATH;
    else {
      file = EXAMPLE_CONFIG;
      isExample = true;
    }
  }
  try {
    return { path: file, config: loadConfigFile(file, cwd, '`--config FILE`'), isExample };
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ConfigFileMissing) throw new UsageError(error.message);
    throw error;
  }
}
