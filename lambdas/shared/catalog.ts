/**
 * The services the Lambdas know about.
 *
 * CDK compiles the validated config into the bundles of the Lambdas that need
 * it (esbuild `define` replaces `process.env.DEPLOYER_CONFIG` with the JSON
 * text), so there is no runtime fetch and no size limit of environment
 * variables. The local rehearsal sets the same variable in its own process.
 */
import { parseConfig, type DeployerConfig } from './config.ts';

let cached: { raw: string; config: DeployerConfig } | undefined;

/** The validated config the handler was built with. */
export function loadCatalog(): DeployerConfig {
  const raw = process.env.DEPLOYER_CONFIG;
  if (raw === undefined || raw === '') {
    throw new Error('DEPLOYER_CONFIG is not set: the function was built without a config');
  }
  if (cached?.raw !== raw) cached = { raw, config: parseConfig(JSON.parse(raw), 'DEPLOYER_CONFIG') };
  return cached.config;
}
