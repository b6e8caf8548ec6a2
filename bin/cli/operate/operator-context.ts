/**
 * What every operator command starts from: the config (to know the
 * services), the service(s) asked about, and the installed stack with
 * clients for its region. Bad arguments and unknown services are usage
 * errors, found before any AWS call.
 */
import { allServices, findVmService, serviceNames, type DeployerConfig, type EcsServiceConfig, type ServiceConfig } from '../../../lambdas/shared/config.ts';
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

/** The service named `name` in the config, of either kind (a usage error naming the configured ones when absent). */
export function pickAnyService(config: DeployerConfig, configPath: string, name: string): ServiceConfig {
  const svc = allServices(config).find((s) => s.name === name);
  if (svc === undefined) {
    throw new UsageError(`SERVICE: '${name}' is not in ${configPath}; services: ${serviceNames(config).join(', ')}`);
  }
  return svc;
}

/**
 * The ECS service named `name` in the config (a usage error naming the
 * configured ones when absent). A VM service is refused by name: the
 * commands that act on a deployment's steps know ECS deployments only.
 */
export function pickService(config: DeployerConfig, configPath: string, name: string): EcsServiceConfig {
  const svc = config.ecs.find((s) => s.name === name);
  if (svc === undefined) {
    const vm = findVmService(config, name);
    if (vm !== undefined) {
      throw new UsageError(
        `SERVICE: '${name}' is a VM service; this command handles ECS services only for now: deploy it by uploading its artifact under s3://${vm.artifacts.bucket}/${vm.artifacts.prefix} or start it from the Step Functions console, and follow it with \`deployer status ${name}\``,
      );
    }
    throw new UsageError(`SERVICE: '${name}' is not in ${configPath}; services: ${serviceNames(config).join(', ')}`);
  }
  return svc;
}

/** Read the config, check the options, then find the installed stack: nothing reaches AWS before every local check passed. */
async function openContext<S>(
  options: CommonOptions,
  io: OperatorIo,
  pick: (config: DeployerConfig, configPath: string) => S[],
  check?: (config: DeployerConfig, configPath: string) => void,
): Promise<{ ctx: OperatorContext; services: S[] }> {
  checkOptions(options);
  const resolved = resolveConfig(options.config);
  const services = pick(resolved.config, resolved.path);
  check?.(resolved.config, resolved.path);
  if (resolved.isExample) {
    io.stderr(`(no deployer.config.yaml here: using the services of the example ${resolved.path}; pass --config FILE for yours)\n`);
  }
  const clients = createOperatorClients(options.region);
  const stack = await findInstalledStack(clients.cloudFormation, options.stack);
  return { ctx: { options, io, configPath: resolved.path, config: resolved.config, clients, stack }, services };
}

/**
 * Check the options, read the config and pick the ECS service (every ECS
 * service when `service` is undefined), run the command's own local `check`
 * (it throws `UsageError`), then find the installed stack: nothing reaches
 * AWS before every local check passed.
 */
export async function openOperatorContext(
  options: CommonOptions,
  io: OperatorIo,
  service: string | undefined,
  check?: (config: DeployerConfig, configPath: string) => void,
): Promise<{ ctx: OperatorContext; services: EcsServiceConfig[] }> {
  return openContext(options, io, (config, path) => (service === undefined ? config.ecs : [pickService(config, path, service)]), check);
}

/**
 * The same for the commands that read what every service does, ECS or VM
 * (`status`, `history`): every service when `service` is undefined.
 */
export async function openServicesContext(
  options: CommonOptions,
  io: OperatorIo,
  service: string | undefined,
): Promise<{ ctx: OperatorContext; services: ServiceConfig[] }> {
  return openContext(options, io, (config, path) => (service === undefined ? allServices(config) : [pickAnyService(config, path, service)]));
}
