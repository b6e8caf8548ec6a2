/**
 * `deployer simulate`: rehearse a deployment locally — the real state
 * machine and handlers against a simulated AWS account, on a virtual clock.
 */
import type { DeployerConfig, EcsServiceConfig } from '../../lambdas/shared/config.ts';
import { taskStateNames } from '../../simulator/asl.ts';
import { formatTimeline, type RehearsalReport } from '../../simulator/report.ts';
import { rehearseDeployment, STATE_MACHINE_FILE } from '../../simulator/rehearsal.ts';
import { resolveConfig } from './config-path.ts';
import { EXIT, UsageError } from './exit-codes.ts';

export interface SimulateOptions {
  config?: string;
  image?: string;
  failAt?: string;
  unhealthy?: boolean;
  alarm?: string[];
  json?: boolean;
  verbose?: boolean;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** A tag the service's pattern would deploy (`v*` -> `v1.1.0`), for the default image. */
export function exampleTag(svc: EcsServiceConfig): string {
  const tag = svc.tagPattern.replace(/\*+/g, '1.1.0').replace(/[^A-Za-z0-9._-]/g, '');
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag) ? tag : 'rehearsal';
}

function pickService(config: DeployerConfig, name: string | undefined): EcsServiceConfig {
  const names = config.ecs.map((s) => s.name);
  if (names.length === 0) throw new UsageError('the config describes no ECS service (ecs: [])');
  if (name === undefined) return config.ecs[0]!;
  const svc = config.ecs.find((s) => s.name === name);
  if (svc === undefined) throw new UsageError(`SERVICE: '${name}' is not in the config; services: ${names.join(', ')}`);
  return svc;
}

/** Run the command; returns the exit code. */
export async function simulateCommand(serviceName: string | undefined, options: SimulateOptions): Promise<number> {
  const resolved = resolveConfig(options.config);
  const svc = pickService(resolved.config, serviceName);
  const tasks = taskStateNames(STATE_MACHINE_FILE);
  if (options.failAt !== undefined && !tasks.includes(options.failAt)) {
    throw new UsageError(`--fail-at: '${options.failAt}' is not a Task state of ${STATE_MACHINE_FILE}; one of: ${tasks.join(', ')}`);
  }
  for (const alarm of options.alarm ?? []) {
    if (!svc.alarms.includes(alarm)) {
      throw new UsageError(
        `--alarm: '${alarm}' is not watched by ${svc.name} (its alarms: ${svc.alarms.join(', ') || 'none'}); add it to 'alarms' in the config or pick one of those`,
      );
    }
  }
  const image = options.image ?? `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${svc.repository}:${exampleTag(svc)}`;
  if (resolved.isExample && options.json !== true) {
    process.stderr.write(`(no deployer.config.yaml here: rehearsing with the example ${resolved.path})\n\n`);
  }
  const { report, record } = await rehearseDeployment({
    config: resolved.config,
    service: svc.name,
    image,
    failAt: options.failAt,
    unhealthy: options.unhealthy === true,
    alarms: options.alarm ?? [],
    verbose: options.verbose === true,
    world: { account: ACCOUNT, region: REGION },
  });
  if (isRejectedInput(report)) {
    throw new UsageError(`the deployment input was rejected: ${rejectionMessage(report)}`);
  }
  if (options.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${formatTimeline(record, report)}\n`);
  return report.status === 'SUCCEEDED' ? EXIT.ok : EXIT.deploymentFailed;
}

function isRejectedInput(report: RehearsalReport): boolean {
  return report.states[report.states.length - 1] === 'InputRejected';
}

function rejectionMessage(report: RehearsalReport): string {
  const cause = report.error?.cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}
