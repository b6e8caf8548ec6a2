/**
 * `deployer simulate`: rehearse a deployment locally — the real state
 * machine of the service's strategy and the real handlers against a
 * simulated AWS account, on a virtual clock.
 *
 * The simulated ECR holds what the example services run, a new tag of each
 * service's repository (the default image), and what `--image` names,
 * pushed first as a real push would be; like ECR, it has nothing else. So
 * `--input FILE`, a console input started exactly as given, is rejected
 * when it names a tag nobody pushed.
 */
import { readFileSync } from 'node:fs';
import type { DeployerConfig, EcsServiceConfig } from '../../lambdas/shared/config.ts';
import { registryHost } from '../../lambdas/shared/image-registry.ts';
import { stoppableStateNames, taskStateNames } from '../../simulator/asl.ts';
import { causeMessage, formatTimeline } from '../../simulator/report.ts';
import { rehearseDeployment, stateMachineFile, type ApprovalPolicy } from '../../simulator/rehearsal.ts';
import { resolveConfig } from './config-path.ts';
import { EXIT, UsageError } from './exit-codes.ts';
import { approvalFlags } from './approval-flags.ts';
import { simulateVm } from './simulate-vm.ts';

export interface SimulateOptions {
  config?: string;
  image?: string;
  input?: string;
  failAt?: string;
  stopAt?: string;
  unhealthy?: boolean;
  badCanary?: boolean;
  alarm?: string[];
  approve?: boolean;
  reject?: boolean;
  json?: boolean;
  verbose?: boolean;
  /** VM services: the artifact to deploy (default: the demo app's 2.0.0). */
  artifact?: string;
  /** VM services: this host's commands fail. */
  failHost?: string;
  /** VM services: the hosts are SSH hosts behind a loopback sshd. */
  ssh?: boolean;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** A tag the service's pattern would deploy (`v*` -> `v1.1.0`), for the default image. */
export function exampleTag(svc: EcsServiceConfig): string {
  const tag = svc.tagPattern.replace(/\*+/g, '1.1.0').replace(/\?/g, '1').replace(/[^A-Za-z0-9._-]/g, '');
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag) ? tag : 'rehearsal';
}

function pickService(config: DeployerConfig, name: string | undefined): EcsServiceConfig {
  const names = config.ecs.map((s) => s.name);
  if (names.length === 0) throw new UsageError('the config describes no ECS service (ecs: [])');
  if (name === undefined) return config.ecs[0]!;
  const svc = config.ecs.find((s) => s.name === name);
  if (svc === undefined && config.vm.some((s) => s.name === name)) {
    throw new UsageError(`SERVICE: '${name}' is a VM service, and the rehearsal runs ECS services only for now; ECS services: ${names.join(', ')}`);
  }
  if (svc === undefined) throw new UsageError(`SERVICE: '${name}' is not in the config; services: ${names.join(', ')}`);
  return svc;
}

/** Check the flags against the service before anything runs. */
function checkOptions(svc: EcsServiceConfig, options: SimulateOptions): ApprovalPolicy {
  const file = stateMachineFile(svc.strategy);
  const tasks = taskStateNames(file);
  if (options.failAt !== undefined && !tasks.includes(options.failAt)) {
    throw new UsageError(`--fail-at: '${options.failAt}' is not a Task state of ${file} (${svc.name} is ${svc.strategy}); one of: ${tasks.join(', ')}`);
  }
  const states = stoppableStateNames(file);
  if (options.stopAt !== undefined && !states.includes(options.stopAt)) {
    throw new UsageError(`--stop-at: '${options.stopAt}' is not a state of ${file} (${svc.name} is ${svc.strategy}); one of: ${states.join(', ')}`);
  }
  for (const alarm of options.alarm ?? []) {
    if (!svc.alarms.includes(alarm)) {
      throw new UsageError(
        `--alarm: '${alarm}' is not watched by ${svc.name} (its alarms: ${svc.alarms.join(', ') || 'none'}); add it to 'alarms' in the config or pick one of those`,
      );
    }
  }
  if (options.badCanary === true && svc.strategy === 'rolling') {
    throw new UsageError(`--bad-canary: ${svc.name} is a rolling deployment (no canary and no comparison); use --alarm or --unhealthy, or pick a canary or blue-green service`);
  }
  const hasApproval = svc.strategy !== 'rolling' && svc.steps.some((s) => s.kind === 'approval');
  return approvalFlags(options, hasApproval, `${svc.name} has no approval step to reject; add {approval: true} to its steps`);
}

/** The registry of the simulated account. */
const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

/** The console input in `file`: any JSON, started as it is (the state machine checks it, as in AWS). */
function readInput(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--input: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the path of a JSON file holding the execution input`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--input: ${file} is not JSON (${(error as Error).message}); write the input as you would paste it in the Step Functions console, e.g. {"service": "web", "image": "${REGISTRY}/web:v1.1.0"}`);
  }
}

/** A string field of a JSON object, if it has one. */
function stringField(value: unknown, field: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const found = (value as Record<string, unknown>)[field];
  return typeof found === 'string' ? found : undefined;
}

/**
 * The service whose state machine runs the input: SERVICE, else the one
 * the input names (when configured), else the first; SERVICE and a
 * configured service in the input must agree.
 */
function serviceForInput(config: DeployerConfig, serviceName: string | undefined, input: unknown): EcsServiceConfig {
  const named = stringField(input, 'service');
  const configured = named === undefined ? undefined : config.ecs.find((s) => s.name === named);
  if (serviceName !== undefined && configured !== undefined && configured.name !== serviceName) {
    throw new UsageError(`SERVICE: '${serviceName}' but the --input names service '${configured.name}'; leave SERVICE out, or give the same one`);
  }
  return pickService(config, serviceName ?? configured?.name);
}

/** Run the command; returns the exit code. */
export async function simulateCommand(serviceName: string | undefined, options: SimulateOptions): Promise<number> {
  const resolved = resolveConfig(options.config);
  const vm = resolved.config.vm.find((s) => s.name === serviceName);
  if (vm !== undefined) {
    return simulateVm(resolved.config, vm, {
      ...(options.artifact === undefined ? {} : { artifact: options.artifact }),
      ...(options.failHost === undefined ? {} : { failHost: options.failHost }),
      ...(options.failAt === undefined ? {} : { failAt: options.failAt }),
      ...(options.stopAt === undefined ? {} : { stopAt: options.stopAt }),
      ...(options.approve === undefined ? {} : { approve: options.approve }),
      ...(options.reject === undefined ? {} : { reject: options.reject }),
      unhealthy: options.unhealthy === true,
      json: options.json === true,
      verbose: options.verbose === true,
      ssh: options.ssh === true,
    });
  }
  if (options.ssh === true) throw new UsageError(`--ssh: only for VM services; VM services: ${resolved.config.vm.map((s) => s.name).join(', ') || 'none'}`);
  const input = options.input === undefined ? undefined : readInput(options.input);
  const svc = input === undefined ? pickService(resolved.config, serviceName) : serviceForInput(resolved.config, serviceName, input);
  const approvals = checkOptions(svc, options);
  const homeOf = (s: EcsServiceConfig): string => registryHost(s.registry ?? { accountId: ACCOUNT, region: REGION });
  const exampleImages = resolved.config.ecs.map((s) => `${homeOf(s)}/${s.repository}:${exampleTag(s)}`);
  const defaultImage = `${homeOf(svc)}/${svc.repository}:${exampleTag(svc)}`;
  const image = (input === undefined ? undefined : stringField(input, 'image')) ?? options.image ?? defaultImage;
  if (resolved.isExample && options.json !== true) {
    process.stderr.write(`(no deployer.config.yaml here: rehearsing with the example ${resolved.path})\n\n`);
  }
  const { report, record, restore } = await rehearseDeployment({
    config: resolved.config,
    service: svc.name,
    image,
    ...(input === undefined ? {} : { input }),
    pushedImages: [...exampleImages, ...(options.image === undefined ? [] : [options.image])],
    failAt: options.failAt,
    stopAt: options.stopAt,
    unhealthy: options.unhealthy === true,
    bad: options.badCanary === true,
    alarms: options.alarm ?? [],
    approvals,
    verbose: options.verbose === true,
    world: { account: ACCOUNT, region: REGION },
  });
  if (options.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.status === 'REJECTED') {
    // The input never reached a deployment: a usage error, like a bad flag.
    const cause = causeMessage(report.error?.cause ?? '');
    // In a rehearsal, "push it first" means --image.
    const hint = / was not found in ECR /.test(cause)
      ? ` (the simulated ECR holds the example images and what --image names: add --image ${stringField(input, 'image') ?? 'IMAGE'} to push it first)`
      : '';
    const message = `the deployment input was rejected: ${cause}${hint}`;
    if (options.json === true) return EXIT.usage;
    throw new UsageError(message);
  }
  if (options.json !== true) process.stdout.write(`${formatTimeline(record, report, restore)}\n`);
  return report.status === 'SUCCEEDED' ? EXIT.ok : EXIT.deploymentFailed;
}

