/**
 * `deployer deploy SERVICE --image IMAGE [--reason TEXT] [--by NAME] [--wait]`
 * (ECS) or `deployer deploy SERVICE --artifact S3_URI [--version V]
 * [--sha256 HEX] [--reason TEXT] [--by NAME] [--wait]` (VM): start a
 * deployment, as a console start would, and with `--wait` follow it to its
 * end (exit 0 succeeded, 1 not, 2 input rejected): usable as a CI step.
 */
import { isVmService, type DeployerConfig, type EcsServiceConfig, type ServiceConfig, type VmServiceConfig } from '../../../lambdas/shared/config.ts';
import type { DeploymentRequest } from '../../../lambdas/shared/deployment.ts';
import { exampleArtifactUri } from '../../../lambdas/shared/request-check.ts';
import type { VmDeploymentRequest } from '../../../lambdas/shared/vm-deployment.ts';
import { exitCodeOf, EXIT, UsageError } from '../exit-codes.ts';
import { followExecution } from './follow-execution.ts';
import { commandLine } from './follow-up.ts';
import type { OperatorIo } from './io.ts';
import { openOperatorContext, type CommonOptions } from './operator-context.ts';
import { operatorName, operatorReason } from './operator-identity.ts';
import { checkDeploymentInput, checkVmDeploymentInput, startDeployment, type StartRequest } from './start-deployment.ts';
import { wholeNumber } from './whole-number.ts';

/** Seconds between two polls of a followed deployment, by default. */
export const DEFAULT_POLL_SECONDS = 5;

/** Options of `deployer deploy`. */
export interface DeployOptions extends CommonOptions {
  /** ECS services: the image. */
  image?: string;
  /** VM services: the artifact's S3 URI. */
  artifact?: string;
  /** VM services: the release name on the hosts. */
  version?: string;
  /** VM services: the artifact's expected SHA-256. */
  sha256?: string;
  reason?: string;
  by?: string;
  wait?: boolean;
  interval?: string;
}

/** Who and why, as every input carries them. */
interface Requester {
  startedBy: string;
  reason?: string;
}

/** An ECS service's input from the flags: --image, and none of the VM flags. */
function ecsInput(svc: EcsServiceConfig, options: DeployOptions, who: Requester, config: DeployerConfig): DeploymentRequest {
  const example = `--image ACCOUNT.dkr.ecr.REGION.amazonaws.com/${svc.repository}:v1.2.3`;
  if (options.artifact !== undefined) {
    throw new UsageError(`--artifact: ${svc.name} is an ECS service: it deploys an image, not an artifact; give ${example} instead`);
  }
  if (options.version !== undefined) {
    throw new UsageError(`--version: only VM services take it (the release name on their hosts); ${svc.name} is an ECS service: leave it out, the image's tag is its version`);
  }
  if (options.sha256 !== undefined) {
    throw new UsageError(`--sha256: only VM services take it (their artifact's checksum); ${svc.name} is an ECS service: leave it out, the image is pinned by its digest`);
  }
  if (options.image === undefined) throw new UsageError(`--image: required for ${svc.name} (an ECS service): the image to deploy, e.g. ${example}`);
  return checkDeploymentInput({ service: svc.name, image: options.image.trim(), ...who }, config);
}

/** A VM service's input from the flags: --artifact, optional --version and --sha256, and no --image. */
function vmInput(svc: VmServiceConfig, options: DeployOptions, who: Requester, config: DeployerConfig): { request: VmDeploymentRequest; version: string } {
  const example = `--artifact ${exampleArtifactUri(svc)}`;
  if (options.image !== undefined) {
    throw new UsageError(`--image: ${svc.name} is a VM service: it deploys an artifact from S3, not an image; give ${example} instead`);
  }
  if (options.artifact === undefined) throw new UsageError(`--artifact: required for ${svc.name} (a VM service): the artifact to deploy, e.g. ${example}`);
  // The console's field order: service, artifact, version, sha256, startedBy, reason.
  const input: VmDeploymentRequest = { service: svc.name, artifact: options.artifact.trim() };
  if (options.version !== undefined) input.version = options.version.trim();
  if (options.sha256 !== undefined) input.sha256 = options.sha256.trim();
  return checkVmDeploymentInput({ ...input, ...who }, config);
}

/** Run the command; returns the exit code. */
export async function deployCommand(service: string, options: DeployOptions, io: OperatorIo): Promise<number> {
  const by = operatorName(options.by);
  const pollSeconds = wholeNumber('--interval', options.interval, DEFAULT_POLL_SECONDS, 1, 300);
  const who: Requester = { startedBy: by };
  if (options.reason !== undefined) who.reason = operatorReason(options.reason);
  let request: StartRequest | undefined;
  let what = '';
  const { ctx, services } = await openOperatorContext(options, io, service, (config, picked) => {
    // One service was named: it is the one picked (an unknown one is a usage error).
    const svc: ServiceConfig = picked[0]!;
    if (isVmService(svc)) {
      const checked = vmInput(svc, options, who, config);
      request = checked.request;
      what = `${checked.request.artifact} as release ${checked.version}`;
    } else {
      const checked = ecsInput(svc, options, who, config);
      request = checked;
      what = checked.image;
    }
  });
  const svc = services[0]!;
  if (request === undefined) throw new Error('deploy: the input was not built before the stack was looked up');
  const started = await startDeployment(ctx, svc, request);
  const why = request.reason === undefined ? '' : `: ${request.reason}`;
  io.stdout(
    `Started ${service}'s deployment of ${what} (${isVmService(svc) ? 'VM ' : ''}${svc.strategy}), by ${by}${why}\n` +
      `  execution  ${started.executionArn}\n` +
      `  console    ${started.consoleUrl}\n`,
  );
  if (options.wait !== true) {
    io.stdout(`Follow it: ${commandLine(options, 'watch', service)}\n`);
    return EXIT.ok;
  }
  const result = await followExecution(ctx, svc, started.executionArn, pollSeconds);
  return exitCodeOf(result.outcome);
}
