/**
 * Loading the deployer config for `cdk synth`. Kept apart from bin/app.ts so
 * tests can check the errors a user sees without spawning the CDK app.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DeployerConfig } from '../lambdas/shared/config.ts';
import { parseConfigYaml } from '../lambdas/shared/config-file.ts';

/** Path used when no `-c config=PATH` is given, relative to the current directory. */
export const DEFAULT_CONFIG_PATH = 'deployer.config.yaml';

/** The config file does not exist (or is not a readable file). */
export class ConfigFileMissing extends Error {
  public override readonly name = 'ConfigFileMissing';

  public constructor(
    /** The path as the user gave it. */
    public readonly configPath: string,
    detail: string,
    /** How the user names another file with the command they ran. */
    pathOption = '`-c config=PATH`',
  ) {
    super(
      `Cannot read the deployer config '${configPath}' (${detail}). ` +
        'Copy examples/deployer.config.yaml to deployer.config.yaml and describe your services, ' +
        `or pass the path of your config with ${pathOption}.`,
    );
  }
}

/**
 * Read and validate a config file. Throws `ConfigFileMissing` when it cannot
 * be read and `ConfigError` (its `problems` name each bad field) when it does
 * not validate.
 *
 * @param configPath path of the YAML file, relative to `cwd` or absolute
 * @param cwd directory relative paths are resolved against
 * @param pathOption how the command names a config file, for the error (`cdk`: `-c config=PATH`)
 */
export function loadConfigFile(configPath: string, cwd: string = process.cwd(), pathOption?: string): DeployerConfig {
  const absolute = path.resolve(cwd, configPath);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? (error as Error).message);
    throw new ConfigFileMissing(configPath, detail, pathOption);
  }
  return parseConfigYaml(text, configPath);
}
