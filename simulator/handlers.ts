/**
 * The real Lambda handlers, imported in-process for the rehearsal.
 *
 * The environment the stack would give the functions is set first, and
 * the handlers' structured logs are silenced (the rehearsal prints its own
 * timeline; `--verbose` keeps them).
 */
import { fileURLToPath } from 'node:url';
import { ALL_FUNCTIONS, ENV, type FunctionKey } from '../lambdas/registry.ts';
import { configDocument, type DeployerConfig } from '../lambdas/shared/config.ts';
import type { LambdaHandler } from '../lambdas/shared/handler.ts';
import { CHECKOUT_RELEASE_SCRIPT } from './vm/checkout-release-script.ts';

export interface HandlerEnvironment {
  config: DeployerConfig;
  region: string;
  tableName: string;
  eventBusName: string;
  /** The state machine of each strategy (the Trigger starts the service's). */
  stateMachines: Record<string, string>;
  /** The VM state machine of each strategy (the ArtifactTrigger starts the service's). */
  vmStateMachines?: Record<string, string>;
  verbose?: boolean;
}

/** Set what CDK would put in the functions' environment (and bundle as DEPLOYER_CONFIG). */
export function setHandlerEnvironment(env: HandlerEnvironment): void {
  process.env.DEPLOYER_CONFIG = configDocument(env.config);
  // Beside StartSshBatch's bundle in AWS; the checkout's here.
  process.env[ENV.releaseScript] = CHECKOUT_RELEASE_SCRIPT;
  process.env[ENV.table] = env.tableName;
  process.env[ENV.eventBus] = env.eventBusName;
  process.env[ENV.stateMachines] = JSON.stringify(env.stateMachines);
  if (env.vmStateMachines !== undefined) process.env[ENV.vmStateMachines] = JSON.stringify(env.vmStateMachines);
  process.env.AWS_REGION = env.region;
  process.env.POWERTOOLS_SERVICE_NAME = 'deployer';
  // Deployment metrics are EMF lines on stdout in Lambda; the rehearsal prints its own report.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env[ENV.metricsNamespace] = 'Deployer/rehearsal';
  // The SDK clients are answered by the simulation; these only keep the credential chain quiet.
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIAREHEARSAL';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'rehearsal';
}

/** Import every handler of the registry. */
export async function loadHandlers(verbose = false): Promise<Record<FunctionKey, LambdaHandler<unknown>>> {
  // The level must be in the environment before the logger is built: Powertools'
  // injectLambdaContext resets the level to the initial one on every invocation,
  // so a later setLogLevel() alone would not hold.
  const level = verbose ? 'DEBUG' : 'SILENT';
  process.env.POWERTOOLS_LOG_LEVEL = level;
  const { logger } = await import('../lambdas/shared/logger.ts');
  logger.setLogLevel(level);
  const entries = await Promise.all(
    (Object.entries(ALL_FUNCTIONS) as [FunctionKey, { entry: string }][]).map(async ([key, spec]) => {
      const module = (await import(fileURLToPath(new URL(`../${spec.entry}`, import.meta.url)))) as {
        handler?: LambdaHandler<unknown>;
      };
      if (typeof module.handler !== 'function') throw new Error(`${spec.entry} exports no handler`);
      return [key, module.handler] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<FunctionKey, LambdaHandler<unknown>>;
}
