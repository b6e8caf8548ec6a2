/**
 * What every operator command starts from: the config (to know the
 * services), the service(s) asked about, and the installed stack with
 * clients for its region. Bad arguments and unknown services are usage
 * errors, found before any AWS call.
 */
import { allServices, serviceNames, type DeployerConfig, type ServiceConfig } from '../../../lambdas/shared/config.ts';
import { findInstalledStack, type InstalledStack } from '../aws/installed-stack.ts';
import { resolveConfig } from '../config-path.ts';
import { UsageError } from '../exit-codes.ts';
import { createOperatorClients, type OperatorClients } from './clients.ts';
import type { OperatorIo } from './io.ts';

/** Options every operator command takes. */
export interface CommonOptions {
  /** Config file given with --config (default: resolveConfig's search). */
  config?: string;
  /** Name (or ARN) of the installed stack. */
  stack: string;
  /** Region given with --region; else the SDK's default chain. */
  region?: string;
}

/** Everything a command needs to act on the installed deployer. */
export interface OperatorContext {
  options: CommonOptions;
  io: OperatorIo;
  configPath: string;
  config: DeployerConfig;
  clients: OperatorClients;
  stack: InstalledStack;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const STACK = /^(?:[A-Za-z][A-Za-z0-9-]{0,127}|arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]{0,127}\/[A-Za-z0-9-]+)$/;

function checkOptions(options: CommonOptions): void {
  if (options.region !== undefined && !REGION.test(options.region)) {
    throw new UsageError(`--region: '${options.region}' is not an AWS region; use a code such as us-east-1`);
  }
  if (!STACK.test(options.stack)) {
    throw new UsageError(`--stack: '${options.stack}' is not a CloudFormation stack name; the deployer's stack is EcsDeployer unless you renamed it`);
  }
}

/** The service named `name` in the config, ECS or VM (a usage error naming the configured ones when absent). */
export function pickService(config: DeployerConfig, configPath: string, name: string): ServiceConfig {
  const svc = allServices(config).find((s) => s.name === name);
  if (svc === undefined) {
    throw new UsageError(`SERVICE: '${name}' is not in ${configPath}; services: ${serviceNames(config).join(', ')}`);
  }
  return svc;
}

/**
 * Check the options, read the config and pick the service (every service,
 * ECS and VM, when `service` is undefined), run the command's own local
 * `check` of what was picked (it throws `UsageError`), then find the
 * installed stack: nothing reaches AWS before every local check passed.
 */
export async function openOperatorContext(
  options: CommonOptions,
  io: OperatorIo,
  service: string | undefined,
  check?: (config: DeployerConfig, services: readonly ServiceConfig[]) => void,
): Promise<{ ctx: OperatorContext; services: ServiceConfig[] }> {
  checkOptions(options);
  const resolved = resolveConfig(options.config);
  const services = service === undefined ? allServices(resolved.config) : [pickService(resolved.config, resolved.path, service)];
  check?.(resolved.config, services);
  if (resolved.isExample) {
    io.stderr(`(no deployer.config.yaml here: using the services of the example ${resolved.path}; pass --config FILE for yours)\n`);
  }
  const clients = createOperatorClients(options.region);
  const stack = await findInstalledStack(clients.cloudFormation, options.stack);
  return { ctx: { options, io, configPath: resolved.path, config: resolved.config, clients, stack }, services };
}
