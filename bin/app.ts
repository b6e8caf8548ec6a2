/**
 * The CDK app (`cdk synth` / `cdk deploy`, see cdk.json). The config file
 * comes from `-c config=PATH` (default `deployer.config.yaml`); a missing or
 * invalid config stops synth with the problems listed, before anything is built.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lambdas/shared/config.ts';
import { addDeployerStack } from '../infra/deployer-app.ts';
import { ConfigFileMissing, DEFAULT_CONFIG_PATH, loadConfigFile } from '../infra/load-config.ts';

const app = new App();
const configPath: unknown = app.node.tryGetContext('config') ?? DEFAULT_CONFIG_PATH;

try {
  if (typeof configPath !== 'string' || configPath === '') {
    throw new ConfigFileMissing(String(configPath), 'the context value `config` must be a file path');
  }
  addDeployerStack(app, loadConfigFile(configPath));
} catch (error) {
  if (error instanceof ConfigFileMissing || error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

app.synth();
