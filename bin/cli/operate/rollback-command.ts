/**
 * `deployer rollback SERVICE --reason TEXT [--by NAME]`: abort the running
 * deployment. Stopping the execution hands over to the stack's watcher,
 * which restores the snapshot taken when the deployment started (services,
 * listener weights; a VM service's hosts back on the releases they served)
 * and records the rollback. With no deployment running, deploy the previous
 * successful image (or VM artifact, pinned by its SHA-256) from the history
 * instead.
 */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { isVmService, type ServiceConfig } from '../../../lambdas/shared/config.ts';
import type { VmDeploymentRequest } from '../../../lambdas/shared/vm-deployment.ts';
import { restoreExecutionName } from '../../../lambdas/shared/restore.ts';
import { awsRequest } from '../aws/aws-failure.ts';
import { EXIT } from '../exit-codes.ts';
import { CommandFailed } from './command-failed.ts';
import { historyPages, type DeploymentRecord } from './deployment-history.ts';
import { commandLine } from './follow-up.ts';
import { imageLabel } from './history-command.ts';
import type { OperatorIo } from './io.ts';
import type { CommonOptions, OperatorContext } from './operator-context.ts';
import { openOperatorContext } from './operator-context.ts';
import { operatorName, operatorReason } from './operator-identity.ts';
import { describeSituation, findRunningDeployment, staleLockNote, type SituationOf } from './running-deployment.ts';
import { checkDeploymentInput, checkVmDeploymentInput, startDeployment, type StartRequest } from './start-deployment.ts';

/** Error name of the StopExecution that asks for a rollback. */
export const ROLLBACK_REQUESTED = 'RollbackRequested';

/** Options of `deployer rollback`. */
export interface RollbackOptions extends CommonOptions {
  reason: string;
  by?: string;
}

/** History read per Query page while looking for the image to go back to. */
const HISTORY_PAGE = 25;

/** The image to redeploy: `REGISTRY/REPO:TAG@sha256:…` keeps the tag for people and pins the digest. */
function imageToRedeploy(record: DeploymentRecord & { image: string }): string {
  const at = record.image.lastIndexOf('@');
  if (record.imageTag === undefined || at < 0 || record.image.slice(0, at).endsWith(`:${record.imageTag}`)) return record.image;
  return `${record.image.slice(0, at)}:${record.imageTag}${record.image.slice(at)}`;
}

/** A SUCCEEDED deployment whose image (or artifact) is known. */
function isSuccess(record: DeploymentRecord): record is DeploymentRecord & { image: string } {
  return record.status === 'SUCCEEDED' && record.image !== undefined;
}

/**
 * What a deployment put in place, to compare deployments whatever their
 * names: an image's digest (`…@sha256:…`); an artifact's SHA-256 (its
 * bytes), else its URI and release name.
 */
function contentOf(svc: ServiceConfig, record: DeploymentRecord & { image: string }): string {
  if (isVmService(svc)) return record.sha256 ?? `${record.image}#${record.imageTag ?? ''}`;
  return record.image.slice(record.image.lastIndexOf('@') + 1);
}

/**
 * In the history, newest first: the last successful deployment (what the
 * service runs) and the successful one before it with another image or
 * artifact.
 */
async function findRollbackTarget(
  ctx: OperatorContext,
  svc: ServiceConfig,
): Promise<{ current?: DeploymentRecord & { image: string }; previous?: DeploymentRecord & { image: string } }> {
  let current: (DeploymentRecord & { image: string }) | undefined;
  for await (const page of historyPages(ctx, svc.name, HISTORY_PAGE)) {
    for (const record of page.filter(isSuccess)) {
      if (current === undefined) current = record;
      else if (contentOf(svc, record) !== contentOf(svc, current)) return { current, previous: record };
    }
  }
  return current === undefined ? {} : { current };
}

/** `v1.3.0 (REGISTRY/web@sha256:…)`, `1.3.0 (s3://…/api-vm-1.3.0.tar.gz)` */
function imageText(record: DeploymentRecord & { image: string }): string {
  return `${imageLabel(record)} (${record.image})`;
}

/** `v1.3.0 (…), deployed AT by WHO` */
function deployedText(record: DeploymentRecord & { image: string }): string {
  const at = record.endedAt ?? record.startedAt;
  return `${imageText(record)}${at === undefined ? '' : `, deployed ${at}`}${record.startedBy === undefined ? '' : ` by ${record.startedBy}`}`;
}

/**
 * The input that deploys `previous` again, checked as `deploy` checks its
 * own, and how the output names what it deploys. A VM artifact is pinned by
 * the SHA-256 it was verified against then, under the same release name, so
 * the hosts get the same bytes (or refuse a changed object).
 */
function redeployInput(
  ctx: OperatorContext,
  svc: ServiceConfig,
  previous: DeploymentRecord & { image: string },
  who: { by: string; reason: string },
): { request: StartRequest; what: string } {
  const requester = { startedBy: who.by, reason: who.reason };
  if (!isVmService(svc)) {
    const request = checkDeploymentInput({ service: svc.name, image: imageToRedeploy(previous), ...requester }, ctx.config);
    return { request, what: request.image };
  }
  const input: VmDeploymentRequest = { service: svc.name, artifact: previous.image };
  if (previous.imageTag !== undefined) input.version = previous.imageTag;
  if (previous.sha256 !== undefined) input.sha256 = previous.sha256;
  const { request, version } = checkVmDeploymentInput({ ...input, ...requester }, ctx.config);
  const pinned = request.sha256 === undefined ? '' : `, sha256 ${request.sha256}`;
  return { request, what: `${request.artifact} as release ${version}${pinned}` };
}

/**
 * A rollback asked for while no deployment of the service runs: like
 * ecspresso's rollback or Argo's undo, deploy the image (or artifact) of the
 * successful deployment before the last one, through the service's
 * strategy. Refused (exit 1) when the history has no such image.
 */
export async function rollbackWithoutRunningDeployment(
  ctx: OperatorContext,
  svc: ServiceConfig,
  situation: SituationOf<'idle'> | SituationOf<'stale'>,
  who: { by: string; reason: string },
): Promise<number> {
  const service = svc.name;
  const { current, previous } = await findRollbackTarget(ctx, svc);
  const noun = isVmService(svc) ? 'artifact' : 'image';
  const deploy = isVmService(svc)
    ? commandLine(ctx.options, 'deploy', service, '--artifact', 'S3_URI')
    : commandLine(ctx.options, 'deploy', service, '--image', 'IMAGE');
  if (current === undefined) {
    throw new CommandFailed(
      `there is nothing to roll back: no deployment of ${service} is running${staleLockNote(situation)} and its history records no successful deployment to go back from; to deploy a given ${noun} run \`${deploy}\``,
    );
  }
  if (previous === undefined) {
    throw new CommandFailed(
      `there is nothing to roll back to: no deployment of ${service} is running${staleLockNote(situation)}, and its history has no successful deployment of another ${noun} before ${imageText(current)}; to deploy a given ${noun} run \`${deploy}\``,
    );
  }
  const reason = `rollback of ${imageLabel(current)} by ${who.by}: ${who.reason}`.slice(0, 1024);
  const { request, what } = redeployInput(ctx, svc, previous, { by: who.by, reason });
  const started = await startDeployment(ctx, svc, request);
  const strategy = `${isVmService(svc) ? 'VM ' : ''}${svc.strategy}`;
  const steps = isVmService(svc) ? 'batches' : 'steps';
  ctx.io.stdout(
    `No deployment of ${service} is running${staleLockNote(situation)}, so rolling back means deploying the ${noun} it ran before.\n` +
      `  now        ${deployedText(current)}\n` +
      `  back to    ${deployedText(previous)}\n` +
      `Started ${service}'s deployment of ${what} (${strategy}, reason: ${request.reason ?? ''}); it goes through ${service}'s ${svc.strategy} ${steps} and verification like any deployment, and rolls back if they fail.\n` +
      `  execution  ${started.executionArn}\n` +
      `  console    ${started.consoleUrl}\n` +
      `Follow it: ${commandLine(ctx.options, 'watch', service)}\n`,
  );
  return EXIT.ok;
}

/** Run the command; returns the exit code. */
export async function rollbackCommand(service: string, options: RollbackOptions, io: OperatorIo): Promise<number> {
  const by = operatorName(options.by);
  const reason = operatorReason(options.reason);
  const { ctx, services } = await openOperatorContext(options, io, service);
  const svc = services[0]!;
  const situation = await findRunningDeployment(ctx, service);
  if (situation.kind !== 'running') return rollbackWithoutRunningDeployment(ctx, svc, situation, { by, reason });
  const { execution } = situation;
  if (execution.restoreOf !== undefined) {
    throw new CommandFailed(
      `${describeSituation(situation)}: a rollback is already under way; follow it with \`${commandLine(options, 'status', service)}\``,
    );
  }
  await awsRequest('states:StopExecution', () =>
    ctx.clients.stepFunctions.send(
      new StopExecutionCommand({ executionArn: execution.executionArn, error: ROLLBACK_REQUESTED, cause: `rollback requested by ${by}: ${reason}` }),
    ),
  );
  const before = !isVmService(svc)
    ? 'services and listener weights'
    : `every host it changed back on the release it served${svc.strategy === 'blue-green' ? ', listener weights' : ''}`;
  io.stdout(
    `Stopped ${service}'s deployment ${execution.name} (${ROLLBACK_REQUESTED}, by ${by}: ${reason}).\n` +
      `The deployer's watcher now hands ${service} to a restore run (${restoreExecutionName(execution.name)}) that puts back what ran before the deployment (${before}) and records it; if the deployment had not changed anything yet, it just releases the lock.\n` +
      `Follow it: ${commandLine(options, 'status', service)}\n`,
  );
  return EXIT.ok;
}
