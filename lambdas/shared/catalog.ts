/**
 * The services the Lambdas know about.
 *
 * CDK compiles the validated config into the bundles of the Lambdas that need
 * it (esbuild `define` replaces `process.env.DEPLOYER_CONFIG` with the JSON
 * text), so there is no runtime fetch and no size limit of environment
 * variables. The local rehearsal sets the same variable in its own process.
 *
 * The config schema is the largest thing the Lambdas build (about 800 zod
 * schemas): it is imported on the first call, not at cold start, so that
 * cost is paid only by a call that parses the config (esbuild initialises a
 * module that only `import()` reaches when that import runs).
 */
import type { DeployerConfig } from './config.ts';

let cached: { raw: string; config: DeployerConfig } | undefined;

/** The validated config the handler was built with. */
export async function loadCatalog(): Promise<DeployerConfig> {
  const raw = process.env.DEPLOYER_CONFIG;
  if (raw === undefined || raw === '') {
    throw new Error('DEPLOYER_CONFIG is not set: the function was built without a config');
  }
  if (cached?.raw !== raw) {
    const { parseConfig } = await import('./config.ts');
    cached = { raw, config: parseConfig(JSON.parse(raw), 'DEPLOYER_CONFIG') };
  }
  return cached.config;
}
